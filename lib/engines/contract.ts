// What the public classes ask of an engine: the interfaces both engines (native/, kafkajs/)
// implement. The classes check arguments and state; an engine only does the work. Engines import
// this file and lib/types.ts, never the classes that hold them.
import type { FlatBatch } from '../batch'
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
  send(topic: string, batch: FlatBatch, count: number, origin: Error): Promise<BatchReport>
  flush(timeoutMs: number): Promise<void>
  stats(): ProducerStats
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
}
