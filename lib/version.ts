import { binding, bindingFile, type BuildInfo } from './binding'

/** The version of the librdkafka the native addon runs on, e.g. "2.0.2". */
export function librdkafkaVersion(): string {
  return binding().librdkafkaVersion()
}

/** What the loaded native addon is: its file, how it was built, and librdkafka's features. */
export interface NativeBuild extends BuildInfo {
  /** The .node file loaded: a prebuilt binary under prebuilds/, or a source build under build/. */
  file: string
}

/** Describes the native addon this process loaded (loading it if needed; throws if it cannot). */
export function nativeBuild(): NativeBuild {
  return { ...binding().buildInfo(), file: bindingFile() }
}
