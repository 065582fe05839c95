import { EventEmitter } from 'node:events'

import { emitSafely } from './emit'

import { binding, type NativeConsumedBatch, type NativeConsumer, type TopicPartitionOffset } from './binding'
import { checkInt, forget, MAX_MS, reachCluster, releaseAtExit } from './client'
import { describe, resolveConsumerConfig, type ConsumerConfig } from './config'
import { invalidArg, KafkaError, stateError } from './errors'
import type { LogEntry } from './types'

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

export interface ConsumerEvents {
  rebalance: [event: RebalanceEvent]
  warning: [error: KafkaError]
  fatal: [error: KafkaError]
  log: [entry: LogEntry]
  stats: [stats: Record<string, unknown>]
}

const NO_HEADERS: Array<[string, Buffer | null]> = Object.freeze([]) as never
const RECHECK_MS = 50
// Layout of a consumed batch's meta array: see native/consumer.cc.
const W = 9

function checkPartitions(list: unknown, withOffsets: boolean): TopicPartitionOffset[] {
  if (!Array.isArray(list)) throw invalidArg(`expected an array of { topic, partition${withOffsets ? ', offset' : ''} }`)
  return list.map((tp, i) => {
    if (tp === null || typeof tp !== 'object' || typeof tp.topic !== 'string' || tp.topic.length === 0) {
      throw invalidArg(`partitions[${i}] needs a topic name`, { index: i })
    }
    checkInt(`partitions[${i}].partition`, tp.partition, 0, MAX_MS)
    const out: TopicPartitionOffset = { topic: tp.topic, partition: tp.partition }
    if (withOffsets || tp.offset !== undefined) {
      const o = typeof tp.offset === 'bigint' ? Number(tp.offset) : tp.offset
      if (typeof o !== 'number' || !Number.isSafeInteger(o)) {
        throw invalidArg(`partitions[${i}].offset must be an integer (got ${describe(tp.offset)})`, { index: i })
      }
      out.offset = o
    }
    return out
  })
}

function key(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}

/**
 * A Kafka consumer in a consumer group, over librdkafka. Messages come in batches:
 *
 * ```ts
 * const consumer = new Consumer({ 'bootstrap.servers': servers, 'group.id': 'g1', 'enable.auto.commit': false })
 * consumer.subscribe(['events'])
 * for await (const batch of consumer) {
 *   handle(batch)
 *   await consumer.commit()
 * }
 * ```
 */
export class Consumer extends EventEmitter<ConsumerEvents> {
  readonly #native: NativeConsumer
  readonly #wake: { fn: (() => void) | undefined }
  readonly #atExit: ReturnType<typeof releaseAtExit>
  #closing: Promise<void> | undefined
  #source: 'none' | 'subscribe' | 'assign' = 'none'
  #busy: Promise<unknown> = Promise.resolve()

  constructor(config: ConsumerConfig) {
    super()
    const librdkafka = resolveConsumerConfig(config)
    // The native wake-up callback must not keep this object alive: it reaches the waiter only.
    const wake: { fn: (() => void) | undefined } = { fn: undefined }
    this.#wake = wake
    try {
      this.#native = new (binding().Consumer)(librdkafka, () => wake.fn?.())
    } catch (err) {
      throw KafkaError.from(err)
    }
    // librdkafka's threads must not outlive the process's teardown: destroy at exit.
    this.#atExit = releaseAtExit(this.#native, (native) => native.destroySync())
  }

  /** Checks that a broker answers (a metadata request); fails fast with the reason otherwise. */
  async connect(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = checkInt('connect: timeoutMs', options.timeoutMs ?? 10_000, 0, MAX_MS)
    if (this.#closing) throw stateError('consumer is closed')
    await reachCluster((ms) => this.#native.ping(ms), timeoutMs)
  }

  /**
   * Joins the group for these topics. A RegExp subscribes to every topic it matches (librdkafka
   * checks for new matching topics every `topic.metadata.refresh.interval.ms`).
   */
  subscribe(topics: ReadonlyArray<string | RegExp>): void {
    if (!Array.isArray(topics) || topics.length === 0) throw invalidArg('subscribe: expected a non-empty array of topics')
    const names = topics.map((t, i) => {
      if (t instanceof RegExp) return t.source.startsWith('^') ? t.source : `^${t.source}`
      if (typeof t !== 'string' || t.length === 0) throw invalidArg(`subscribe: topics[${i}] must be a name or a RegExp`, { index: i })
      return t
    })
    this.#call(() => this.#native.subscribe(names))
    this.#source = 'subscribe'
  }

  unsubscribe(): void {
    this.#call(() => this.#native.unsubscribe())
    this.#source = 'none'
  }

  /** Reads these partitions without group balancing; `offset` absent means the committed one. */
  assign(partitions: ReadonlyArray<TopicPartition & { offset?: number | bigint }>): void {
    const list = checkPartitions(partitions, false)
    this.#call(() => this.#native.assign(list))
    this.#source = 'assign'
  }

  unassign(): void {
    this.#call(() => this.#native.unassign())
    this.#source = 'none'
  }

  /** The partitions this consumer currently reads. */
  assignment(): TopicPartition[] {
    return this.#call(() => this.#native.assignment()).map(({ topic, partition }) => ({ topic, partition }))
  }

  /**
   * Resolves with up to `max` messages as soon as any are available, or with an empty array
   * after `timeoutMs`. Waiting takes no thread: librdkafka's fetchers fill a queue and wake this
   * call up. Rejects with `_STATE` before subscribe/assign or after close; resolves empty when
   * close() is called while it waits.
   */
  consumeBatch(max = 10_000, timeoutMs = 1000): Promise<ConsumedMessage[]> {
    try {
      checkInt('consumeBatch: max', max, 1, 1_000_000)
      checkInt('consumeBatch: timeoutMs', timeoutMs, 0, MAX_MS)
      if (this.#closing) throw stateError('consumer is closed')
      if (this.#source === 'none') throw stateError('consumeBatch before subscribe() or assign()')
    } catch (err) {
      return Promise.reject(err)
    }
    // One consumeBatch at a time; later calls wait their turn.
    const run = this.#busy.then(() => this.#consume(max, timeoutMs))
    this.#busy = run.catch(() => {})
    return run
  }

  async #consume(max: number, timeoutMs: number): Promise<ConsumedMessage[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.#closing) return []
      const { messages, more } = this.#pull(max)
      if (messages.length > 0) return messages
      if (more) continue
      const left = deadline - Date.now()
      if (left <= 0) return []
      await this.#waitForMessages(left)
    }
  }

  #pull(max: number): { messages: ConsumedMessage[]; more: boolean } {
    const batch = this.#call(() => this.#native.consume(max))
    this.#dispatch(batch)
    const { count, meta, topics } = batch
    const arena = batch.arena
    const out = new Array<ConsumedMessage>(count)
    for (let i = 0; i < count; i++) {
      const r = i * W
      const valueLen = meta[r + 4]
      const keyLen = meta[r + 6]
      const h = meta[r + 8]
      out[i] = {
        topic: topics[meta[r + 7]],
        partition: meta[r],
        offset: meta[r + 1],
        timestamp: meta[r + 2],
        key: keyLen < 0 ? null : Buffer.from(arena, meta[r + 5], keyLen),
        value: valueLen < 0 ? null : Buffer.from(arena, meta[r + 3], valueLen),
        headers: h < 0 ? NO_HEADERS : pairs(batch.headers![h]),
      }
    }
    return { messages: out, more: batch.more }
  }

  #dispatch(batch: NativeConsumedBatch): void {
    for (const r of batch.rebalances) {
      emitSafely(this, 'rebalance', {
        type: r.type,
        protocol: r.protocol,
        partitions: r.partitions.map(({ topic, partition }) => ({ topic, partition })),
      })
    }
    for (const e of batch.errors) emitSafely(this, 'warning', KafkaError.from(e))
    for (const [kind, a, b] of batch.events) {
      if (kind <= 1) {
        const e = KafkaError.from(a)
        emitSafely(this, e.fatal ? 'fatal' : 'warning', e)
      } else if (kind === 2) {
        const text = b as string
        const nl = text.indexOf('\n')
        emitSafely(this, 'log', { level: a as number, facility: text.slice(0, nl), message: text.slice(nl + 1) })
      } else if (this.listenerCount('stats') > 0) {
        emitSafely(this, 'stats', JSON.parse(a as string) as Record<string, unknown>)
      }
    }
  }

  #waitForMessages(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#wake.fn = undefined
        if (!this.#closing) this.#native.setWaiting(false)
        resolve()
      }
      // The queue event is the wake-up; the slice is a safety net: a waiting call looks at the
      // queue again at least every RECHECK_MS (a cheap native call). Traced with librdkafka
      // 2.0.2, every empty-to-non-empty transition did raise the event; the long waits seen
      // before were librdkafka's fetcher pausing at queued.min.messages (see CONSUMER_DEFAULTS).
      const timer = setTimeout(done, Math.min(ms, RECHECK_MS))
      this.#wake.fn = done
      this.#native.setWaiting(true) // a waiting consumeBatch keeps the process alive
    })
  }

  /** Async iteration: non-empty batches until the consumer is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumedMessage[], void, undefined> {
    while (!this.#closing) {
      const batch = await this.consumeBatch(10_000, 1000)
      if (batch.length > 0) yield batch
    }
  }

  /**
   * Commits offsets: by default the positions of everything consumed so far (the next offset to
   * read, per partition); or explicit `{ topic, partition, offset }` entries, where offset is the
   * next one to read. Only assigned partitions may be committed. Synchronous unless `async: true`
   * (then failures come as `warning` events).
   */
  async commit(offsets?: ReadonlyArray<TopicPartitionPosition>, options: { async?: boolean } = {}): Promise<void> {
    if (this.#closing) throw stateError('consumer is closed')
    let list: TopicPartitionOffset[] | null = null
    if (offsets !== undefined) {
      list = checkPartitions(offsets, true)
      const assigned = new Set(this.assignment().map(key))
      const stray = list.find((tp) => !assigned.has(key(tp)))
      if (stray) {
        throw invalidArg(`commit: ${stray.topic} [${stray.partition}] is not assigned to this consumer`)
      }
    }
    try {
      await this.#native.commit(list, options.async === true)
    } catch (err) {
      throw KafkaError.from(err)
    }
  }

  /**
   * Moves the position of assigned partitions. An offset beyond the log's ends is settled by the
   * `auto.offset.reset` policy on the next fetch (earliest, latest, or an error).
   */
  async seek(positions: ReadonlyArray<TopicPartitionPosition>, timeoutMs = 10_000): Promise<void> {
    const list = checkPartitions(positions, true)
    checkInt('seek: timeoutMs', timeoutMs, 0, MAX_MS)
    const result = await this.#callAsync(() => this.#native.seek(list, timeoutMs))
    const failed = result.find((tp) => tp.error)
    if (failed) throw KafkaError.from(failed.error)
  }

  pause(partitions: ReadonlyArray<TopicPartition>): void {
    this.#throwPerPartition(this.#call(() => this.#native.pause(checkPartitions(partitions, false))))
  }

  resume(partitions: ReadonlyArray<TopicPartition>): void {
    this.#throwPerPartition(this.#call(() => this.#native.resume(checkPartitions(partitions, false))))
  }

  /** The next offset to read of each partition (default: the assignment); -1001 if unknown yet. */
  position(partitions?: ReadonlyArray<TopicPartition>): TopicPartitionPosition[] {
    const list = partitions === undefined ? this.#call(() => this.#native.assignment()) : checkPartitions(partitions, false)
    return this.#call(() => this.#native.position(list)).map(({ topic, partition, offset }) => ({ topic, partition, offset: offset! }))
  }

  /** The group's committed offsets of these partitions (default: the assignment). */
  async committed(partitions?: ReadonlyArray<TopicPartition>, timeoutMs = 10_000): Promise<TopicPartitionPosition[]> {
    const list = partitions === undefined ? this.#call(() => this.#native.assignment()) : checkPartitions(partitions, false)
    const result = await this.#callAsync(() => this.#native.committed(list, timeoutMs))
    return result.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset! }))
  }

  /** The partition's low and high watermarks (first offset, and next offset to be written). */
  async watermarks(topic: string, partition: number, timeoutMs = 10_000): Promise<{ low: number; high: number }> {
    if (typeof topic !== 'string' || topic.length === 0) throw invalidArg('watermarks: topic must be a non-empty string')
    checkInt('watermarks: partition', partition, 0, MAX_MS)
    return this.#callAsync(() => this.#native.watermarks(topic, partition, timeoutMs))
  }

  /** Messages not yet consumed per assigned partition: high watermark minus position. */
  async lag(timeoutMs = 10_000): Promise<Array<TopicPartition & { lag: number }>> {
    const positions = this.position()
    return Promise.all(
      positions.map(async (p) => {
        const { high } = await this.watermarks(p.topic, p.partition, timeoutMs)
        const committed = p.offset >= 0 ? p.offset : (await this.committed([p], timeoutMs))[0]!.offset
        return { topic: p.topic, partition: p.partition, lag: committed >= 0 ? Math.max(0, high - committed) : high }
      }),
    )
  }

  /**
   * Leaves the group cleanly (revoking its partitions and, with auto commit, committing) and
   * releases the client. If leaving takes longer than `timeoutMs`, the client is released anyway
   * and the group notices by session timeout. A consumeBatch waiting meanwhile resolves empty.
   * Safe to call twice.
   */
  close(timeoutMs = 30_000): Promise<void> {
    if (this.#closing) return this.#closing
    try {
      checkInt('close: timeoutMs', timeoutMs, 1, MAX_MS)
    } catch (err) {
      return Promise.reject(err)
    }
    forget(this.#atExit)
    this.#closing = this.#native.close(timeoutMs)
    this.#wake.fn?.()
    return this.#closing
  }

  get closed(): boolean {
    return this.#closing !== undefined
  }

  #call<T>(fn: () => T): T {
    if (this.#closing) throw stateError('consumer is closed')
    try {
      return fn()
    } catch (err) {
      throw KafkaError.from(err)
    }
  }

  async #callAsync<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closing) throw stateError('consumer is closed')
    try {
      return await fn()
    } catch (err) {
      throw KafkaError.from(err)
    }
  }

  #throwPerPartition(result: TopicPartitionOffset[]): void {
    const failed = result.find((tp) => tp.error)
    if (failed) throw KafkaError.from(failed.error)
  }

}

function pairs(flat: Array<string | Buffer | null>): Array<[string, Buffer | null]> {
  const out: Array<[string, Buffer | null]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as Buffer | null])
  return out
}
