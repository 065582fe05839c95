export { Producer, type ProducerEvents } from './producer'
export { MockCluster, type MockClusterOptions } from './mock-cluster'
export { KafkaError, type KafkaErrorOptions } from './errors'
export { PRESETS, type ConfigValue, type Preset, type ProducerConfig, type ProducerOptions } from './config'
export type {
  BatchFailure,
  BatchReport,
  Headers,
  LogEntry,
  Message,
  PackedMessages,
  Payload,
  ProduceInput,
  ProducerStats,
} from './types'
export { librdkafkaVersion } from './version'
