// What the public classes ask of an engine: the interfaces both engines (native/, kafkajs/)
// implement. The classes check arguments and state; an engine only does the work. Engines import
// this file and lib/types.ts, never the classes that hold them.
import type {
  ClusterDescription,
  ConfigDescription,
  ConfigOutcome,
  ConfigResource,
  GroupDescription,
  GroupListing,
  GroupOutcome,
  ListedOffset,
  PartitionInfo,
  PartitionOutcome,
  TopicDescription,
  TopicOutcome,
} from '../admin-types'
import type { FlatBatch } from '../batch'
import type { KafkaError } from '../errors'
import type { TopicPartitionOffset } from '../binding'
import type { BatchReport, ConsumedMessage, ProducerStats, TopicPartition, TopicPartitionPosition } from '../types'

/** What every engine has, whatever client it serves (lib/client.ts holds one). */
export interface ClientEngine {
  readonly name: 'native' | 'kafkajs'
  connect(timeoutMs: number): Promise<void>
  close(timeoutMs: number): Promise<void>
}

/**
 * What a Producer asks of its engine. The Producer checks arguments and state; an engine only
 * sends. `send` resolves once every message is delivered or failed.
 */
export interface ProducerEngine extends ClientEngine {
  /** `offsets`: report each message's partition and offset (BatchReport.partitions/offsets). */
  send(topic: string, batch: FlatBatch, count: number, origin: Error, offsets: boolean): Promise<BatchReport>
  flush(timeoutMs: number): Promise<void>
  stats(): ProducerStats
  /** Transactions; the Producer keeps their state and calls them only in the right one. */
  initTransactions(timeoutMs: number): Promise<void>
  beginTransaction(): void
  /** `group`: what the consumer engine's groupMetadata() returned. */
  sendOffsetsToTransaction(offsets: TopicPartitionOffset[], group: unknown, timeoutMs: number): Promise<void>
  commitTransaction(timeoutMs: number): Promise<void>
  abortTransaction(timeoutMs: number): Promise<void>
}

/**
 * What a Consumer asks of its engine. The Consumer checks arguments and state (and runs one
 * consume at a time); engines may throw anything, the Consumer turns it into a KafkaError.
 */
export interface ConsumerEngine extends ClientEngine {
  subscribe(topics: ReadonlyArray<string | RegExp>): void
  unsubscribe(): void
  assign(partitions: TopicPartitionOffset[]): void
  unassign(): void
  assignment(): TopicPartition[]
  consume(max: number, timeoutMs: number): Promise<ConsumedMessage[]>
  /** `offsets` null: the positions of everything consumed so far. */
  commit(offsets: TopicPartitionOffset[] | null, async: boolean): Promise<void>
  seek(positions: TopicPartitionOffset[], timeoutMs: number): Promise<void>
  pause(partitions: TopicPartitionOffset[]): void
  resume(partitions: TopicPartitionOffset[]): void
  /** `partitions` undefined: the assignment. */
  position(partitions: TopicPartitionOffset[] | undefined): TopicPartitionPosition[]
  committed(partitions: TopicPartitionOffset[] | undefined, timeoutMs: number): Promise<TopicPartitionPosition[]>
  watermarks(topic: string, partition: number, timeoutMs: number): Promise<{ low: number; high: number }>
  /** The watermarks as of the last fetch (no request); -1001 where unknown. */
  cachedWatermarks(topic: string, partition: number): { low: number; high: number }
  /** The group membership a transactional producer commits offsets for (opaque to the classes). */
  groupMetadata(): unknown
}

/** A topic to create, with every default filled in (-1: the broker's). */
export interface TopicSpec {
  topic: string
  partitions: number
  replicationFactor: number
  config: Array<[string, string]>
}

/** An incremental config change; `value` null for `delete`. */
export interface ConfigOp {
  name: string
  op: 'set' | 'delete' | 'append' | 'subtract'
  value: string | null
}

/**
 * What an Admin asks of its engine. The Admin checks arguments (no duplicates, offsets as
 * numbers); an engine answers per item in the order given, an item's failure in its `error`, and
 * rejects only when the request as a whole failed.
 */
export interface AdminEngine extends ClientEngine {
  createTopics(topics: TopicSpec[], validateOnly: boolean, timeoutMs: number): Promise<TopicOutcome[]>
  deleteTopics(topics: string[], timeoutMs: number): Promise<TopicOutcome[]>
  createPartitions(
    items: Array<{ topic: string; count: number }>,
    validateOnly: boolean,
    timeoutMs: number,
  ): Promise<TopicOutcome[]>
  /** Every topic, internal ones included. */
  listTopics(timeoutMs: number): Promise<string[]>
  /** Partitions and leaders from a metadata request (any broker answers; no controller needed). */
  metadata(
    topics: string[],
    timeoutMs: number,
  ): Promise<Array<{ topic: string; partitions: PartitionInfo[]; error?: KafkaError }>>
  describeTopics(topics: string[], timeoutMs: number): Promise<TopicDescription[]>
  describeCluster(timeoutMs: number): Promise<ClusterDescription>
  listGroups(timeoutMs: number): Promise<GroupListing[]>
  describeGroups(groupIds: string[], timeoutMs: number): Promise<GroupDescription[]>
  deleteGroups(groupIds: string[], timeoutMs: number): Promise<GroupOutcome[]>
  /** `offset`: -2 earliest, -1 latest, else a timestamp (ms). */
  listOffsets(queries: TopicPartitionOffset[], readCommitted: boolean, timeoutMs: number): Promise<ListedOffset[]>
  /** `partitions` null: every partition the group has an offset for. */
  listGroupOffsets(groupId: string, partitions: TopicPartition[] | null, timeoutMs: number): Promise<PartitionOutcome[]>
  alterGroupOffsets(groupId: string, offsets: TopicPartitionOffset[], timeoutMs: number): Promise<PartitionOutcome[]>
  deleteGroupOffsets(groupId: string, partitions: TopicPartition[], timeoutMs: number): Promise<PartitionOutcome[]>
  /** `offset`: delete every record before it (-1: all). */
  deleteRecords(items: TopicPartitionOffset[], timeoutMs: number): Promise<PartitionOutcome[]>
  describeConfigs(resources: ConfigResource[], timeoutMs: number): Promise<ConfigDescription[]>
  alterConfigs(
    items: Array<ConfigResource & { ops: ConfigOp[] }>,
    validateOnly: boolean,
    timeoutMs: number,
  ): Promise<ConfigOutcome[]>
}
