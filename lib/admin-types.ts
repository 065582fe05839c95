// The Admin client's public types: what its calls take and what they answer. Calls on many items
// answer per item, in the order given; an item that failed carries its KafkaError.
import type { KafkaError } from './errors'
import type { TopicPartition } from './types'

/** The last argument of every Admin call. */
export interface AdminCallOptions {
  /** How long the call may take (default 30,000 ms); then it fails with `_TIMED_OUT`. */
  timeoutMs?: number
}

/** For the calls that change something: ask the broker to check the change without making it. */
export interface ValidateOptions extends AdminCallOptions {
  validateOnly?: boolean
}

export interface NewTopic {
  topic: string
  /** Default: the broker's `num.partitions`. */
  partitions?: number
  /** Default: the broker's `default.replication.factor`. */
  replicationFactor?: number
  /** Topic configuration, e.g. `{ 'retention.ms': '86400000', 'cleanup.policy': 'compact' }`. */
  config?: Record<string, string | number | boolean>
}

/** The outcome for one topic of createTopics, deleteTopics or createPartitions. */
export interface TopicOutcome {
  topic: string
  error?: KafkaError
}

export interface PartitionInfo {
  partition: number
  /** The leader's broker id; -1 while there is none. */
  leader: number
  replicas: number[]
  /** The in-sync replicas. */
  isr: number[]
}

export interface TopicDescription {
  topic: string
  /** The topic's id (base64, as Kafka's tools print it); null where the engine or broker gives none. */
  topicId: string | null
  internal: boolean
  partitions: PartitionInfo[]
  /** With `{ configs: true }` only. */
  configs?: ConfigEntry[]
  error?: KafkaError
}

export interface BrokerInfo {
  id: number
  host: string
  port: number
}

export interface ClusterDescription {
  clusterId: string | null
  /** The controller's broker id; -1 if unknown. */
  controller: number
  brokers: BrokerInfo[]
}

export interface GroupListing {
  groupId: string
  /** librdkafka's name for the state: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead, Unknown. */
  state: string
  /** A group whose members only commit offsets (no group membership): Kafka's "simple" groups. */
  simple: boolean
}

export interface GroupMember {
  memberId: string
  clientId: string
  host: string
  groupInstanceId: string | null
  assignment: TopicPartition[]
}

export interface GroupDescription {
  groupId: string
  state: string
  /** The partition assignor the group settled on (e.g. `range`, `cooperative-sticky`). */
  protocol: string
  simple: boolean
  coordinator: BrokerInfo | null
  members: GroupMember[]
  error?: KafkaError
}

/** The outcome for one group of deleteGroups. */
export interface GroupOutcome {
  groupId: string
  error?: KafkaError
}

/** What listOffsets looks up: the first offset, the next offset to be written, or the first at or after a time (ms). */
export type OffsetSpec = 'earliest' | 'latest' | number

export interface OffsetQuery extends TopicPartition {
  at: OffsetSpec
}

export interface ListedOffset extends TopicPartition {
  /** -1 when no message is at or after the timestamp asked for. */
  offset: number
  /** The message's timestamp for a timestamp query; -1 otherwise. */
  timestamp: number
  error?: KafkaError
}

/** A partition's outcome in the group offset calls and deleteRecords. */
export interface PartitionOutcome extends TopicPartition {
  /** listGroupOffsets: the committed offset (-1001 where none); deleteRecords: the new start of the log. */
  offset: number
  error?: KafkaError
}

export interface OffsetToSet extends TopicPartition {
  offset: number | bigint
}

export interface RecordsToDelete extends TopicPartition {
  /** Every record before this offset goes; -1 means up to the end of the log. */
  before: number | bigint
}

export type ResourceType = 'topic' | 'broker'

export interface ConfigResource {
  type: ResourceType
  /** A topic name, or a broker id as a string. */
  name: string
}

export interface ConfigEntry {
  name: string
  /** null for a sensitive entry (a password): the value never leaves the broker. */
  value: string | null
  /** librdkafka's name for where the value comes from, e.g. DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG. */
  source: string
  readOnly: boolean
  isDefault: boolean
  sensitive: boolean
  /** The values it overrides, most specific first (native engine; empty on kafkajs). */
  synonyms: Array<Omit<ConfigEntry, 'synonyms'>>
}

export interface ConfigDescription extends ConfigResource {
  entries: ConfigEntry[]
  error?: KafkaError
}

/** One incremental change: `set` a value, `delete` it (back to the default), `append` to or `subtract` from a list. */
export interface ConfigChange {
  name: string
  op?: 'set' | 'delete' | 'append' | 'subtract'
  value?: string | number | boolean
}

export interface ConfigAlteration extends ConfigResource {
  changes: ConfigChange[]
}

export interface ConfigOutcome extends ConfigResource {
  error?: KafkaError
}
