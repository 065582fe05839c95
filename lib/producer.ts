import { EventEmitter } from 'node:events'

import { emitSafely } from './emit'

import { flattenPacked, isPacked, packBatch, type FlatBatch } from './batch'
import { binding, type DispatchCallback, type NativeProducer, type SettledRow } from './binding'
import { checkInt, forget, MAX_MS, reachCluster, releaseAtExit } from './client'
import { describe, resolveProducerConfig, type ProducerConfig } from './config'
import { describeErrno, invalidArg, KafkaError, stateError } from './errors'
import type { BatchFailure, BatchReport, LogEntry, PackedMessages, ProduceInput, ProducerStats } from './types'

interface PendingBatch {
  resolve: (report: BatchReport) => void
  /** Holds the caller's stack, so errors in the report point at the produceBatch call. */
  origin: Error
}

/** JS-side state the native dispatch callback needs. It must not reference the Producer. */
interface DispatchState {
  pending: Map<number, PendingBatch>
  idle: Array<() => void>
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


function errorFor(errno: number, origin: Error): KafkaError {
  const info = describeErrno(errno, () => binding().errorCodes())
  const e = new KafkaError(info.description, { code: info.name, errno, retriable: info.retriable })
  e.stack = `KafkaError: ${info.description}${origin.stack?.slice(origin.stack.indexOf('\n')) ?? ''}`
  return e
}

function settle(state: DispatchState, row: SettledRow): void {
  const [id, delivered, indices, codes] = row
  const batch = state.pending.get(id)
  if (batch === undefined) return
  state.pending.delete(id)
  const errors: BatchFailure[] = []
  if (indices !== undefined && codes !== undefined) {
    const shared = new Map<number, KafkaError>()
    for (let i = 0; i < indices.length; i++) {
      let error = shared.get(codes[i])
      if (error === undefined) {
        error = errorFor(codes[i], batch.origin)
        shared.set(codes[i], error)
      }
      errors.push({ index: indices[i], error })
    }
  }
  batch.resolve({ delivered, failed: errors.length, errors })
}

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
  readonly #native: NativeProducer
  readonly #state: DispatchState
  readonly #atExit: ReturnType<typeof releaseAtExit>
  #nextId = 1
  #closing: Promise<void> | undefined

  /**
   * @param config librdkafka configuration keys (e.g. `bootstrap.servers`, `linger.ms`) plus
   *   `preset` (`durable` by default) and `exitFlushTimeoutMs`. A key librdkafka does not know, or
   *   a value it refuses, throws a KafkaError (`_INVALID_ARG`) naming the key.
   */
  constructor(config?: ProducerConfig) {
    super()
    const resolved = resolveProducerConfig(config)
    const state: DispatchState = { pending: new Map(), idle: [] }
    this.#state = state
    // The callback lives as long as the native producer; it reaches this object only weakly so
    // that a producer nobody references can be collected.
    const self = new WeakRef<Producer>(this)
    // Must never throw: it runs from a native callback (see DispatchToJs).
    const onEvents: DispatchCallback = (settled, stats, errors, logs) => {
      try {
        for (const row of settled) settle(state, row)
        if (state.pending.size === 0 && state.idle.length > 0) {
          for (const wake of state.idle.splice(0)) wake()
        }
        const producer = self.deref()
        if (producer === undefined) return
        for (const json of stats) emitSafely(producer, 'stats', JSON.parse(json) as Record<string, unknown>)
        for (const raw of errors) {
          const e = KafkaError.from(raw)
          emitSafely(producer, e.fatal ? 'fatal' : 'warning', e)
        }
        for (const [level, facility, message] of logs) emitSafely(producer, 'log', { level, facility, message })
      } catch (err) {
        queueMicrotask(() => {
          throw err
        })
      }
    }
    try {
      this.#native = new (binding().Producer)(resolved.librdkafka, onEvents, resolved.exitFlushTimeoutMs)
    } catch (err) {
      throw KafkaError.from(err)
    }
    // Gives in-flight messages up to exitFlushTimeoutMs at process exit.
    this.#atExit = releaseAtExit(this.#native, (native) => native.closeSync())
  }

  /**
   * Checks that a broker answers (a metadata request). Optional: produceBatch connects lazily,
   * but this fails fast with the reason when the cluster is unreachable.
   */
  async connect(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = checkInt('connect: timeoutMs', options.timeoutMs ?? 10_000, 0, MAX_MS)
    if (this.#closing) throw stateError('producer is closed')
    await reachCluster((ms) => this.#native.ping(ms), timeoutMs)
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
      if (Array.isArray(messages)) {
        if (messages.length === 0) return Promise.resolve({ delivered: 0, failed: 0, errors: [] })
        packed = packBatch(messages as ReadonlyArray<ProduceInput>)
      } else if (isPacked(messages)) {
        const flat = flattenPacked(messages)
        if (flat.count === 0) return Promise.resolve({ delivered: 0, failed: 0, errors: [] })
        packed = flat
      } else {
        throw invalidArg(`messages must be an array or packed messages (got ${describe(messages)})`)
      }
      const id = this.#nextId++
      const origin = new Error()
      Error.captureStackTrace(origin, this.produceBatch)
      return new Promise<BatchReport>((resolve, reject) => {
        this.#state.pending.set(id, { resolve, origin })
        try {
          this.#native.produceBatch(
            topic,
            id,
            packed.values,
            packed.keys,
            packed.partitions,
            packed.timestamps,
            packed.headers,
            packed.layout,
          )
        } catch (err) {
          this.#state.pending.delete(id)
          reject(KafkaError.from(err))
        }
      })
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
    const remaining = await this.#native.flush(timeoutMs)
    // A close() begun meanwhile cuts the flush short; it settles every batch itself.
    if (remaining > 0 && this.#closing) return this.#closing
    if (remaining > 0) {
      throw new KafkaError(`flush timed out after ${timeoutMs} ms with ${remaining} messages undelivered`, {
        code: '_TIMED_OUT',
        retriable: true,
      })
    }
    await this.#whenIdle()
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
    forget(this.#atExit)
    this.#closing = (async () => {
      await this.#native.close(timeoutMs)
      await this.#whenIdle()
    })()
    return this.#closing
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** Counters since creation; `produced === delivered + failed + queued` always holds. */
  stats(): ProducerStats {
    const s = this.#native.stats()
    return {
      produced: s.produced,
      delivered: s.delivered,
      failed: s.failed,
      queued: s.produced - s.delivered - s.failed,
      bytesDelivered: s.bytesDelivered,
      backlog: s.backlog,
      pendingBatches: this.#state.pending.size,
    }
  }

  #whenIdle(): Promise<void> {
    if (this.#state.pending.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#state.idle.push(resolve))
  }
}
