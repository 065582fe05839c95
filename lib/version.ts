import { binding, bindingFile, type BuildInfo } from './binding'
import { KafkaError } from './errors'

/** The version of the librdkafka the native addon runs on, e.g. "2.15.1". */
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

/** Whether a librdkafka version such as "2.15.1" is `major.minor` or newer. */
export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [have, haveMinor] = version.split('.').map(Number) as [number, number]
  return have > major || (have === major && haveMinor >= minor)
}

/** Whether the loaded librdkafka is `major.minor` or newer. */
export function librdkafkaAtLeast(major: number, minor: number): boolean {
  return versionAtLeast(librdkafkaVersion(), major, minor)
}

/**
 * Throws `_NOT_IMPLEMENTED`, naming the version needed, when the loaded librdkafka is older than
 * `major.minor` (a source build against an older system library; the prebuilt binary has 2.15.1).
 */
export function requireLibrdkafka(what: string, major: number, minor: number, key?: string): void {
  if (librdkafkaAtLeast(major, minor)) return
  const version = librdkafkaVersion()
  const err = new KafkaError(
    `${what} needs librdkafka ${major}.${minor} or newer; this process runs ${version} (a source build against the system's ` +
      'librdkafka: install a newer one and rebuild, or use the prebuilt binary)',
    { code: '_NOT_IMPLEMENTED' },
  )
  if (key !== undefined) err.key = key
  throw err
}
