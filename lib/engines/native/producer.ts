// The native producer engine: batches go to librdkafka through the addon in one call each.
import type { EventEmitter } from 'node:events'

import type { FlatBatch } from '../../batch'
import {
  binding,
  nativeConfig,
  type DispatchCallback,
  type NativeProducer,
  type SettledRow,
  type TopicPartitionOffset,
} from '../../binding'
import { STATISTICS_DEFAULTS, type ResolvedProducerConfig } from '../../config'
import { emitSafely } from '../../emit'
import { describeErrno, KafkaError } from '../../errors'
import type { BatchFailure, BatchReport, ProducerStats } from '../../types'
import type { ProducerEngine } from '../contract'
import { reachCluster } from '../shared'
import { forget, releaseAtExit } from './lifetime'

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

function errorFor(errno: number, origin: Error): KafkaError {
  const info = describeErrno(errno, () => binding().errorCodes())
  const e = new KafkaError(info.description, { code: info.name, errno, retriable: info.retriable })
  e.stack = `KafkaError: ${info.description}${origin.stack?.slice(origin.stack.indexOf('\n')) ?? ''}`
  return e
}

function settle(state: DispatchState, row: SettledRow): void {
  const [id, delivered, indices, codes, partitions, offsets] = row
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
  const report: BatchReport = { delivered, failed: errors.length, errors }
  if (offsets !== undefined) {
    report.partitions = partitions
    report.offsets = offsets
  }
  batch.resolve(report)
}

export class NativeProducerEngine implements ProducerEngine {
  readonly name = 'native'
  readonly #native: NativeProducer
  readonly #state: DispatchState
  readonly #atExit: ReturnType<typeof releaseAtExit>
  #nextId = 1
  #closing: Promise<void> | undefined

  /** `events` is reached weakly, so that a producer nobody references can be collected. */
  constructor(resolved: ResolvedProducerConfig, events: WeakRef<EventEmitter>) {
    const state: DispatchState = { pending: new Map(), idle: [] }
    this.#state = state
    // Must never throw: it runs from a native callback (see DispatchToJs).
    const onEvents: DispatchCallback = (settled, stats, errors, logs) => {
      try {
        for (const row of settled) settle(state, row)
        if (state.pending.size === 0 && state.idle.length > 0) {
          for (const wake of state.idle.splice(0)) wake()
        }
        const producer = events.deref()
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
      this.#native = new (binding().Producer)(
        nativeConfig({ ...STATISTICS_DEFAULTS, ...resolved.librdkafka }),
        onEvents,
        resolved.exitFlushTimeoutMs,
      )
    } catch (err) {
      throw KafkaError.from(err)
    }
    // Gives in-flight messages up to exitFlushTimeoutMs at process exit.
    this.#atExit = releaseAtExit(this.#native, (native) => native.closeSync())
  }

  connect(timeoutMs: number): Promise<void> {
    return reachCluster((ms) => this.#native.ping(ms), timeoutMs)
  }

  send(topic: string, batch: FlatBatch, _count: number, origin: Error, offsets: boolean): Promise<BatchReport> {
    const id = this.#nextId++
    return new Promise<BatchReport>((resolve, reject) => {
      this.#state.pending.set(id, { resolve, origin })
      try {
        this.#native.produceBatch(
          topic,
          id,
          batch.values,
          batch.keys,
          batch.partitions,
          batch.timestamps,
          batch.headers,
          batch.layout,
          offsets,
        )
      } catch (err) {
        this.#state.pending.delete(id)
        reject(KafkaError.from(err))
      }
    })
  }

  async flush(timeoutMs: number): Promise<void> {
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

  close(timeoutMs: number): Promise<void> {
    forget(this.#atExit)
    this.#closing = (async () => {
      await this.#native.close(timeoutMs)
      await this.#whenIdle()
    })()
    return this.#closing
  }

  initTransactions(timeoutMs: number): Promise<void> {
    return this.#native.initTransactions(timeoutMs)
  }

  beginTransaction(): void {
    this.#native.beginTransaction()
  }

  sendOffsetsToTransaction(offsets: TopicPartitionOffset[], group: unknown, timeoutMs: number): Promise<void> {
    return this.#native.sendOffsetsToTransaction(offsets, group as Buffer, timeoutMs)
  }

  commitTransaction(timeoutMs: number): Promise<void> {
    return this.#native.commitTransaction(timeoutMs)
  }

  abortTransaction(timeoutMs: number): Promise<void> {
    return this.#native.abortTransaction(timeoutMs)
  }

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
