import { binding } from './binding'

/** The version of the librdkafka the native addon runs on, e.g. "2.0.2". */
export function librdkafkaVersion(): string {
  return binding().librdkafkaVersion()
}
