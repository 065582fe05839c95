export { Producer, type ProducerEvents } from './producer'
export {
  Consumer,
  type ConsumedMessage,
  type ConsumerEvents,
  type RebalanceEvent,
  type TopicPartition,
  type TopicPartitionPosition,
} from './consumer'
export { MockCluster, type MockClusterOptions } from './mock-cluster'
export { KafkaError, type KafkaErrorOptions } from './errors'
export { PRESETS, type ConfigValue, type ConsumerConfig, type Engine, type Preset, type ProducerConfig, type ProducerOptions } from './config'
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
export { librdkafkaVersion, nativeBuild, type NativeBuild } from './version'
