import { flattenPacked, isPacked, packBatch, valueBytes, type FlatBatch } from './batch'
import { channels } from './channels'
import { Client } from './client'
import { Consumer, consumerGroupMetadata } from './consumer'
import { resolveProducerConfig, type ProducerConfig } from './config'
import { resolveEngine } from './engine'
import type { ProducerEngine } from './engines/contract'
import { KafkajsProducerEngine } from './engines/kafkajs/producer'
import { NativeProducerEngine } from './engines/native/producer'
import { invalidArg, KafkaError } from './errors'
import type { Collected } from './metrics/catalog'
import { clientLabels, ProducerMetrics } from './metrics/clients'
import type { Statistics } from './metrics/librdkafka'
import { Transactions } from './transactions'
import type {
  BatchReport,
  LogEntry,
  PackedMessages,
  ProduceInput,
  ProduceOptions,
  ProducerStats,
  TopicPartitionPosition,
} from './types'
import { checkInt, describe, MAX_MS, MAX_PARTITION } from './validate'

export interface ProducerEvents {
  /** librdkafka's statistics (parsed JSON), every `statistics.interval.ms`. */
  stats: [stats: Record<string, unknown>]
  /** A client-level error librdkafka recovers from by itself (e.g. a broker went down). */
  warning: [error: KafkaError]
  /** An unrecoverable error: the producer fails everything from now on; create a new one. */
  fatal: [error: KafkaError]
  /** librdkafka's log lines (instead of stderr). */
  log: [entry: LogEntry]
}

const DEFAULT_TIMEOUT_MS = 30_000

/**
 * A Kafka producer over librdkafka. One `produceBatch` call hands a whole batch to the native
 * side; payload Buffers are not copied, so **do not modify a Buffer until its batch's promise has
 * settled**.
 *
 * ```ts
 * const producer = new Producer({ 'bootstrap.servers': '127.0.0.1:9092' })
 * await producer.connect()
 * const report = await producer.produceBatch('events', [Buffer.from('a'), { value: 'b', key: 'k' }])
 * await producer.close()
 * ```
 */
export class Producer extends Client<ProducerEvents, ProducerEngine> {
  readonly #txn: Transactions
  readonly #metrics: ProducerMetrics
  /**
   * @param config librdkafka configuration keys (e.g. `bootstrap.servers`, `linger.ms`) plus
   *   `preset` (`durable` by default), `exitFlushTimeoutMs` and `engine` (`auto` by default). A
   *   key librdkafka does not know, a value it refuses, or a key the kafkajs engine cannot honour
   *   throws a KafkaError (`_INVALID_ARG`) naming the key.
   */
  constructor(config?: ProducerConfig) {
    let clientId = ''
    super('producer', (events) => {
      const resolved = resolveProducerConfig(config)
      clientId = resolved.librdkafka['client.id'] ?? 'rdkafka'
      // The native engine holds the producer weakly: a producer may be collected while its
      // batches are still in flight.
      const self = new WeakRef(events)
      return resolveEngine(resolved.engine) === 'native'
        ? new NativeProducerEngine(resolved, self)
        : new KafkajsProducerEngine(resolved, self)
    })
    this.#txn = new Transactions(typeof config?.['transactional.id'] === 'string')
    this.#metrics = new ProducerMetrics(clientLabels(clientId, 'producer'))
  }

  protected override observe(event: string, args: readonly unknown[]): void {
    if (event === 'stats') this.#metrics.statistics.observe(args[0] as Statistics)
  }

  /** @internal Adds this producer's samples to a scrape (see metricsText). */
  collectMetrics(out: Collected): void {
    this.#metrics.collect(out, this.core.stats())
  }

  /**
   * Sends a batch with one native call and resolves once every message is delivered or failed.
   * Failures do not reject: they are listed by index in the report. The promise rejects only
   * when the batch was not accepted at all (bad input, producer closed), and then no message of
   * it was sent.
   *
   * Buffers are handed to librdkafka without a copy and kept alive until the batch settles;
   * modifying one before that changes what is sent.
   *
   * `messages` is an array (Buffers, strings, or message objects with key, partition, headers,
   * timestamp), or the packed form: one Buffer of values back to back plus their lengths.
   * `{ offsets: true }` adds where each message was written (`partitions`, `offsets`) to the report.
   */
  produceBatch(
    topic: string,
    messages: ReadonlyArray<ProduceInput> | PackedMessages,
    options?: ProduceOptions,
  ): Promise<BatchReport> {
    let trace: ProduceTrace | undefined
    try {
      this.checkOpen()
      const offsets = wantsOffsets(options)
      if (this.#txn.state !== 'none') this.#txn.check('produceBatch', 'open')
      if (typeof topic !== 'string') throw invalidArg(`topic must be a string (got ${describe(topic)})`)
      if (topic.length === 0 || topic.length > 249) throw invalidArg('topic must be 1 to 249 characters long')
      if (channels.produceStart.hasSubscribers || channels.produceEnd.hasSubscribers) {
        trace = { client: this, topic, messages }
        channels.produceStart.publish(trace)
      }
      let packed: FlatBatch
      let count: number
      if (Array.isArray(messages)) {
        count = messages.length
        if (count === 0) return this.#settled(topic, 0, Promise.resolve(emptyReport(offsets)), trace)
        packed = packBatch(messages as ReadonlyArray<ProduceInput>)
      } else if (isPacked(messages)) {
        const flat = flattenPacked(messages)
        count = flat.count
        if (count === 0) return this.#settled(topic, 0, Promise.resolve(emptyReport(offsets)), trace)
        packed = flat
      } else {
        throw invalidArg(`messages must be an array or packed messages (got ${describe(messages)})`)
      }
      const origin = new Error()
      Error.captureStackTrace(origin, this.produceBatch)
      this.#metrics.accepted(topic, count, valueBytes(packed, count))
      const sent = this.core.send(topic, packed, count, origin, offsets)
      return this.#settled(topic, count, sent, trace)
    } catch (err) {
      const error = KafkaError.from(err)
      if (trace !== undefined) channels.produceEnd.publish(Object.assign(trace, { error }))
      return Promise.reject(error)
    }
  }

  /** Counts a batch's outcome and tells the end channel. */
  async #settled(
    topic: string,
    count: number,
    sent: Promise<BatchReport>,
    trace: ProduceTrace | undefined,
  ): Promise<BatchReport> {
    let report: BatchReport
    try {
      report = await sent
    } catch (err) {
      this.#metrics.refused(topic, count, (err as KafkaError).code)
      if (trace !== undefined) channels.produceEnd.publish(Object.assign(trace, { error: err }))
      throw err
    }
    this.#metrics.settled(topic, report)
    if (trace !== undefined) channels.produceEnd.publish(Object.assign(trace, { report }))
    return report
  }

  /**
   * Sends everything queued now (without waiting for `linger.ms`) and waits until every batch
   * has settled. Rejects with `_TIMED_OUT` if messages are still undelivered after `timeoutMs`.
   */
  async flush(timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<void> {
    checkInt('flush: timeoutMs', timeoutMs, 0, MAX_MS)
    await this.core.flush(timeoutMs)
  }

  /**
   * Delivers what is in flight (for at most `timeoutMs`), fails the rest (`_PURGE_QUEUE`), and
   * releases the client. Every batch promise has settled when this resolves. Safe to call twice.
   */
  close(timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<void> {
    return this.closeOnce(timeoutMs, 0)
  }

  /**
   * Registers the `transactional.id` with the cluster, fencing any older producer with the same
   * id and aborting its open transaction. Once, before the first transaction.
   */
  async initTransactions(options?: { timeoutMs?: number }): Promise<void> {
    const timeoutMs = txnTimeout('initTransactions', options)
    this.checkOpen()
    this.#txn.check('initTransactions', 'uninitialized')
    await this.#txn.run(() => this.core.initTransactions(timeoutMs), 'ready', 'uninitialized')
  }

  /** Opens a transaction: produceBatch calls from now on belong to it until commit or abort. */
  beginTransaction(): void {
    this.checkOpen()
    this.#txn.check('beginTransaction', 'ready')
    try {
      this.core.beginTransaction()
    } catch (err) {
      const e = KafkaError.from(err)
      if (e.fatal) this.#txn.state = 'fatal'
      throw e
    }
    this.#txn.state = 'open'
  }

  /**
   * Commits the consumer's offsets as part of the transaction (consume-transform-produce): they
   * count only if the transaction commits. `offsets` are the next offsets to read; by default the
   * consumer's positions on its assigned partitions. The consumer's group metadata (generation,
   * member id) lets the broker refuse a zombie that lost its partitions.
   */
  async sendOffsetsToTransaction(
    consumer: Consumer,
    offsets?: ReadonlyArray<TopicPartitionPosition>,
    options?: { timeoutMs?: number },
  ): Promise<void> {
    const timeoutMs = txnTimeout('sendOffsetsToTransaction', options)
    if (!(consumer instanceof Consumer)) throw invalidArg('sendOffsetsToTransaction: expected a turbokafka Consumer')
    this.checkOpen()
    this.#txn.check('sendOffsetsToTransaction', 'open')
    const list = offsets === undefined ? consumer.position().filter((p) => p.offset >= 0) : checkOffsets(offsets)
    if (list.length === 0) return
    const group = consumerGroupMetadata(consumer)
    await this.#txn.run(() => this.core.sendOffsetsToTransaction(list, group, timeoutMs), 'open', 'open')
  }

  /**
   * Delivers every message of the transaction and commits it: `read_committed` consumers see them
   * (and its offsets count) from now on. A failure with `abortable` needs abortTransaction();
   * `retriable` (e.g. `_TIMED_OUT`) may be retried; `fatal` needs a new producer.
   */
  async commitTransaction(options?: { timeoutMs?: number }): Promise<void> {
    const timeoutMs = txnTimeout('commitTransaction', options)
    this.checkOpen()
    this.#txn.check('commitTransaction', 'open')
    await this.#txn.run(() => this.core.commitTransaction(timeoutMs), 'ready', 'open', true)
  }

  /** Aborts the transaction: its messages are never shown to `read_committed` consumers. */
  async abortTransaction(options?: { timeoutMs?: number }): Promise<void> {
    const timeoutMs = txnTimeout('abortTransaction', options)
    this.checkOpen()
    this.#txn.check('abortTransaction', 'open')
    await this.#txn.run(() => this.core.abortTransaction(timeoutMs), 'ready', 'open', true)
  }

  /** Counters since creation; `produced === delivered + failed + queued` always holds. */
  stats(): ProducerStats {
    return this.core.stats()
  }
}

/** The payload of the produce channels (docs/observability.md). */
interface ProduceTrace {
  client: Producer
  topic: string
  messages: ReadonlyArray<ProduceInput> | PackedMessages
  report?: BatchReport
  error?: unknown
}

function wantsOffsets(options: ProduceOptions | undefined): boolean {
  if (options === undefined) return false
  if (options === null || typeof options !== 'object')
    throw invalidArg(`produceBatch: options must be an object (got ${describe(options)})`)
  if (options.offsets !== undefined && typeof options.offsets !== 'boolean')
    throw invalidArg(`produceBatch: options.offsets must be a boolean (got ${describe(options.offsets)})`)
  return options.offsets === true
}

function emptyReport(offsets: boolean): BatchReport {
  const report: BatchReport = { delivered: 0, failed: 0, errors: [] }
  if (offsets) {
    report.partitions = new Int32Array(0)
    report.offsets = new Float64Array(0)
  }
  return report
}

function txnTimeout(call: string, options: { timeoutMs?: number } | undefined): number {
  return checkInt(`${call}: timeoutMs`, options?.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, MAX_MS)
}

function checkOffsets(list: unknown): TopicPartitionPosition[] {
  if (!Array.isArray(list))
    throw invalidArg('sendOffsetsToTransaction: offsets must be an array of { topic, partition, offset }')
  return list.map((p: Record<string, unknown>, i) => {
    if (p === null || typeof p !== 'object' || typeof p.topic !== 'string' || p.topic.length === 0) {
      throw invalidArg(`sendOffsetsToTransaction: offsets[${i}] needs a topic name`, { index: i })
    }
    const partition = checkInt(`sendOffsetsToTransaction: offsets[${i}].partition`, p.partition, 0, MAX_PARTITION)
    const o = typeof p.offset === 'bigint' ? Number(p.offset) : p.offset
    const offset = checkInt(`sendOffsetsToTransaction: offsets[${i}].offset`, o, 0, Number.MAX_SAFE_INTEGER)
    return { topic: p.topic, partition, offset }
  })
}
