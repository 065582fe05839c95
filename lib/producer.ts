import { EventEmitter } from 'node:events'

import { flattenPacked, isPacked, packBatch, type FlatBatch } from './batch'
import { checkInt, MAX_MS } from './client'
import { describe, resolveProducerConfig, type ProducerConfig } from './config'
import { resolveEngine } from './engine'
import { invalidArg, KafkaError, stateError } from './errors'
import { KafkajsProducerEngine } from './kafkajs/producer'
import { NativeProducerEngine } from './native/producer'
import type { BatchReport, LogEntry, PackedMessages, ProduceInput, ProducerStats } from './types'

/**
 * What a Producer asks of its engine. The Producer checks arguments and state; an engine only
 * sends. `send` resolves once every message is delivered or failed.
 */
export interface ProducerEngine {
  readonly name: 'native' | 'kafkajs'
  connect(timeoutMs: number): Promise<void>
  send(topic: string, batch: FlatBatch, count: number, origin: Error): Promise<BatchReport>
  flush(timeoutMs: number): Promise<void>
  close(timeoutMs: number): Promise<void>
  stats(): ProducerStats
}

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
export class Producer extends EventEmitter<ProducerEvents> {
  readonly #engine: ProducerEngine
  #closing: Promise<void> | undefined

  /**
   * @param config librdkafka configuration keys (e.g. `bootstrap.servers`, `linger.ms`) plus
   *   `preset` (`durable` by default), `exitFlushTimeoutMs` and `engine` (`auto` by default). A
   *   key librdkafka does not know, a value it refuses, or a key the kafkajs engine cannot honour
   *   throws a KafkaError (`_INVALID_ARG`) naming the key.
   */
  constructor(config?: ProducerConfig) {
    super()
    const resolved = resolveProducerConfig(config)
    const self = new WeakRef<EventEmitter>(this)
    this.#engine =
      resolveEngine(resolved.engine) === 'native'
        ? new NativeProducerEngine(resolved, self)
        : new KafkajsProducerEngine(resolved, self)
  }

  /** The engine this producer runs on. */
  get engine(): 'native' | 'kafkajs' {
    return this.#engine.name
  }

  /**
   * Checks that a broker answers (a metadata request). Optional: produceBatch connects lazily,
   * but this fails fast with the reason when the cluster is unreachable.
   */
  async connect(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = checkInt('connect: timeoutMs', options.timeoutMs ?? 10_000, 0, MAX_MS)
    if (this.#closing) throw stateError('producer is closed')
    await this.#engine.connect(timeoutMs)
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
   */
  produceBatch(topic: string, messages: ReadonlyArray<ProduceInput> | PackedMessages): Promise<BatchReport> {
    try {
      if (this.#closing) throw stateError('producer is closed')
      if (typeof topic !== 'string') throw invalidArg(`topic must be a string (got ${describe(topic)})`)
      if (topic.length === 0 || topic.length > 249) throw invalidArg('topic must be 1 to 249 characters long')
      let packed: FlatBatch
      let count: number
      if (Array.isArray(messages)) {
        count = messages.length
        if (count === 0) return Promise.resolve({ delivered: 0, failed: 0, errors: [] })
        packed = packBatch(messages as ReadonlyArray<ProduceInput>)
      } else if (isPacked(messages)) {
        const flat = flattenPacked(messages)
        count = flat.count
        if (count === 0) return Promise.resolve({ delivered: 0, failed: 0, errors: [] })
        packed = flat
      } else {
        throw invalidArg(`messages must be an array or packed messages (got ${describe(messages)})`)
      }
      const origin = new Error()
      Error.captureStackTrace(origin, this.produceBatch)
      return this.#engine.send(topic, packed, count, origin)
    } catch (err) {
      return Promise.reject(KafkaError.from(err))
    }
  }

  /**
   * Sends everything queued now (without waiting for `linger.ms`) and waits until every batch
   * has settled. Rejects with `_TIMED_OUT` if messages are still undelivered after `timeoutMs`.
   */
  async flush(timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<void> {
    checkInt('flush: timeoutMs', timeoutMs, 0, MAX_MS)
    await this.#engine.flush(timeoutMs)
  }

  /**
   * Delivers what is in flight (for at most `timeoutMs`), fails the rest (`_PURGE_QUEUE`), and
   * releases the client. Every batch promise has settled when this resolves. Safe to call twice.
   */
  close(timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<void> {
    if (this.#closing) return this.#closing
    try {
      checkInt('close: timeoutMs', timeoutMs, 0, MAX_MS)
    } catch (err) {
      return Promise.reject(err)
    }
    this.#closing = this.#engine.close(timeoutMs)
    return this.#closing
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** Counters since creation; `produced === delivered + failed + queued` always holds. */
  stats(): ProducerStats {
    return this.#engine.stats()
  }
}
