export { Producer, type ProducerEvents } from './producer'
export { Consumer, type ConsumerEvents } from './consumer'
export { Admin, type AdminEvents } from './admin'
export type * from './admin-types'
export { runTransactional, type TransactionalLoop, type TransactionalStats } from './transactional'
export { MockCluster, type MockClusterOptions } from './mock-cluster'
export { KafkaError, type KafkaErrorOptions } from './errors'
export { metricsText, type PromRegistry } from './metrics/exposition'
export { FAMILIES as METRIC_FAMILIES, type MetricsOptions } from './metrics/catalog'
export { CHANNELS } from './channels'
export type { HealthReport, StallEvent } from './health'
export {
  PRESETS,
  type AdminConfig,
  type ConfigValue,
  type ConsumerConfig,
  type Engine,
  type Preset,
  type ProducerConfig,
  type ProducerOptions,
} from './config'
export type {
  BatchFailure,
  BatchReport,
  ConsumedMessage,
  Headers,
  LogEntry,
  Message,
  PackedMessages,
  Payload,
  ProduceInput,
  ProduceOptions,
  ProducerStats,
  RebalanceEvent,
  TopicPartition,
  TopicPartitionPosition,
} from './types'
export { librdkafkaVersion, nativeBuild, type NativeBuild } from './version'
