import type { KafkaError } from './errors'

/** A payload or key: Buffers are sent without a copy; strings are encoded as UTF-8. */
export type Payload = Buffer | Uint8Array | string

/** Message headers: an object, or a list of pairs when a name repeats. */
export type Headers = Record<string, Payload | null | undefined> | Array<[string, Payload | null]>

/** One message of a batch, when it needs more than a value. */
export interface Message {
  /** The value; `null` makes a tombstone (deletes the key on a compacted topic). */
  value: Payload | null
  key?: Payload | null
  /** Target partition; by default librdkafka's partitioner picks one from the key. */
  partition?: number
  headers?: Headers
  /** Create time in ms since the epoch (number or Date); by default the time of enqueueing. */
  timestamp?: number | Date
}

/**
 * A batch as one Buffer holding every value back to back, with their lengths: the fastest form,
 * since nothing is read per message in JavaScript or at the native boundary. Still zero-copy:
 * librdkafka reads `values` in place, so do not modify it until the batch settles.
 */
export interface PackedMessages {
  values: Buffer
  /** Length of each value in bytes, in order; their sum may not exceed `values.length`. */
  lengths: Uint32Array | ReadonlyArray<number>
  /** Partition of each message; -1 lets the partitioner choose. */
  partitions?: Int32Array | ReadonlyArray<number>
}

/** What `produceBatch` accepts for each message. */
export type ProduceInput = Buffer | string | Uint8Array | Message

/** One failed message of a batch. */
export interface BatchFailure {
  /** Position of the message in the array given to produceBatch. */
  index: number
  /** Why it failed. Messages of one batch that failed for the same reason share one instance. */
  error: KafkaError
}

/** The outcome of one produceBatch call, once every message is delivered or failed. */
export interface BatchReport {
  delivered: number
  failed: number
  /** Each failed message by index, in index order. Empty when all were delivered. */
  errors: BatchFailure[]
  /**
   * With `{ offsets: true }`: the partition each message was written to, by index (-1 where a
   * failed message never got one).
   */
  partitions?: Int32Array
  /** With `{ offsets: true }`: the offset each message was written at, by index; -1 where it failed. */
  offsets?: Float64Array
}

/** Options of one produceBatch call. */
export interface ProduceOptions {
  /**
   * Report where each message was written (`partitions` and `offsets` in the report). Off by
   * default: it costs 12 bytes per message and a pass over the batch.
   */
  offsets?: boolean
}

/** Counters of a producer since it was created. */
export interface ProducerStats {
  /** Messages accepted by produceBatch. Always produced = delivered + failed + queued. */
  produced: number
  /** Messages the broker acknowledged. */
  delivered: number
  /** Messages finalized with an error. */
  failed: number
  /** Messages accepted and not yet delivered or failed. */
  queued: number
  /** Value bytes of delivered messages. */
  bytesDelivered: number
  /** Of `queued`, the messages still waiting for room in librdkafka's queue (backpressure). */
  backlog: number
  /** Batches whose promise has not settled yet. */
  pendingBatches: number
}

/** A librdkafka log line, emitted as the producer's `log` event (syslog levels: 7 debug … 0 emerg). */
export interface LogEntry {
  level: number
  facility: string
  message: string
}

/** One consumed message. Offsets and timestamps are numbers: exact below 2^53. */
export interface ConsumedMessage {
  topic: string
  partition: number
  offset: number
  /** Milliseconds since the epoch; -1 when the message has none. */
  timestamp: number
  key: Buffer | null
  /** `null` for a tombstone; an empty Buffer for an empty value. */
  value: Buffer | null
  /** In the order the producer wrote them; a name may repeat. */
  headers: Array<[string, Buffer | null]>
}

export interface TopicPartition {
  topic: string
  partition: number
}

export interface TopicPartitionPosition extends TopicPartition {
  /** The next offset to read (Kafka's convention for positions and commits). */
  offset: number
}

export interface RebalanceEvent {
  type: 'assign' | 'revoke'
  /** librdkafka's rebalance protocol: EAGER, or COOPERATIVE for cooperative-sticky. */
  protocol: string
  partitions: TopicPartition[]
}
