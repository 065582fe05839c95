// The native consumer engine: librdkafka's consumer through the addon. Messages arrive in batches
// copied into one ArrayBuffer per call (see native/consumer.cc); waiting takes no thread.
import type { EventEmitter } from 'node:events'

import {
  binding,
  nativeConfig,
  type NativeConsumedBatch,
  type NativeConsumer,
  type TopicPartitionOffset,
} from '../../binding'
import { FETCH_QUEUE_BACKOFF_MS, STATISTICS_DEFAULTS, type ResolvedConsumerConfig } from '../../config'
import { emitSafely } from '../../emit'
import { KafkaError } from '../../errors'
import { librdkafkaPattern } from '../../topic-pattern'
import type { ConsumedMessage, TopicPartition, TopicPartitionPosition } from '../../types'
import { librdkafkaVersion, requireLibrdkafka, versionAtLeast } from '../../version'
import type { ConsumerEngine } from '../contract'
import { partitionKey, reachCluster } from '../shared'
import { EVENT_KIND, META } from './layout'
import { forget, releaseAtExit } from './lifetime'

// The meta row's columns as module constants: read per message, they must not cost a lookup.
const {
  width: W,
  partition: PARTITION,
  offset: OFFSET,
  timestamp: TIMESTAMP,
  valueAt: VALUE_AT,
  valueLen: VALUE_LEN,
  keyAt: KEY_AT,
  keyLen: KEY_LEN,
  topic: TOPIC,
  headers: HEADERS,
} = META
const NO_HEADERS: Array<[string, Buffer | null]> = Object.freeze([]) as never
const RECHECK_MS = 50

/**
 * What the native engine adds to a consumer's keys, for the librdkafka `version` it runs on,
 * unless the application set them: `fetch.queue.backoff.ms` where librdkafka has it (>= 2.2);
 * before 2.2 that pause was fixed at up to a second, and `queued.min.messages` of 1,000,000
 * keeps the queue from draining to the threshold instead (it costs memory, so it is not used
 * where the backoff can be set: 236 MB peak instead of 180 MB in the run above).
 */
export function fetchPacing(version: string, config: Readonly<Record<string, string>>): Record<string, string> {
  if (versionAtLeast(version, 2, 2)) {
    return 'fetch.queue.backoff.ms' in config ? {} : { 'fetch.queue.backoff.ms': String(FETCH_QUEUE_BACKOFF_MS) }
  }
  return 'queued.min.messages' in config ? {} : { 'queued.min.messages': '1000000' }
}

export class NativeConsumerEngine implements ConsumerEngine {
  readonly name = 'native'
  readonly #native: NativeConsumer
  readonly #events: EventEmitter
  readonly #wake: { fn: (() => void) | undefined }
  readonly #atExit: ReturnType<typeof releaseAtExit>
  #closing = false
  // librdkafka reports no position for a partition from a seek until a message is read there;
  // the sought offset is the position meanwhile (what lag() counts from).
  readonly #sought = new Map<string, TopicPartitionPosition>()

  constructor(resolved: ResolvedConsumerConfig, events: EventEmitter) {
    this.#events = events
    // The native wake-up callback must not keep this object alive: it reaches the waiter only.
    const wake: { fn: (() => void) | undefined } = { fn: undefined }
    this.#wake = wake
    // KIP-848's consumer group protocol is generally available from librdkafka 2.10.
    if (resolved.librdkafka['group.protocol'] === 'consumer')
      requireLibrdkafka('group.protocol "consumer" (KIP-848)', 2, 10, 'group.protocol')
    try {
      this.#native = new (binding().Consumer)(
        nativeConfig({
          ...STATISTICS_DEFAULTS,
          ...resolved.librdkafka,
          ...fetchPacing(librdkafkaVersion(), resolved.librdkafka),
        }),
        () => wake.fn?.(),
      )
    } catch (err) {
      throw KafkaError.from(err)
    }
    // librdkafka's threads must not outlive the process's teardown: destroy at exit.
    this.#atExit = releaseAtExit(this.#native, (native) => native.destroySync())
  }

  connect(timeoutMs: number): Promise<void> {
    return reachCluster((ms) => this.#native.ping(ms), timeoutMs)
  }

  subscribe(topics: ReadonlyArray<string | RegExp>): void {
    // librdkafka takes a regular expression as a name starting with ^ (lib/topic-pattern.ts).
    this.#native.subscribe(topics.map((t) => (typeof t === 'string' ? t : librdkafkaPattern(t))))
  }

  unsubscribe(): void {
    this.#native.unsubscribe()
  }

  assign(partitions: TopicPartitionOffset[]): void {
    this.#native.assign(partitions)
  }

  unassign(): void {
    this.#native.unassign()
  }

  assignment(): TopicPartition[] {
    return this.#native.assignment().map(({ topic, partition }) => ({ topic, partition }))
  }

  consume(max: number, timeoutMs: number): Promise<ConsumedMessage[]> {
    return this.#consume(max, timeoutMs)
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
    const batch = this.#native.consume(max)
    this.#dispatch(batch)
    const { count, meta, topics } = batch
    const arena = batch.arena
    const out = new Array<ConsumedMessage>(count)
    for (let i = 0; i < count; i++) {
      const r = i * W
      const valueLen = meta[r + VALUE_LEN]
      const keyLen = meta[r + KEY_LEN]
      const h = meta[r + HEADERS]
      out[i] = {
        topic: topics[meta[r + TOPIC]],
        partition: meta[r + PARTITION],
        offset: meta[r + OFFSET],
        timestamp: meta[r + TIMESTAMP],
        key: keyLen < 0 ? null : Buffer.from(arena, meta[r + KEY_AT], keyLen),
        value: valueLen < 0 ? null : Buffer.from(arena, meta[r + VALUE_AT], valueLen),
        headers: h < 0 ? NO_HEADERS : pairs(batch.headers![h]),
      }
    }
    if (this.#sought.size > 0) for (const m of out) this.#sought.delete(partitionKey(m.topic, m.partition))
    return { messages: out, more: batch.more }
  }

  #dispatch(batch: NativeConsumedBatch): void {
    if (batch.rebalances.length > 0) this.#sought.clear()
    for (const r of batch.rebalances) {
      emitSafely(this.#events, 'rebalance', {
        type: r.type,
        protocol: r.protocol,
        partitions: r.partitions.map(({ topic, partition }) => ({ topic, partition })),
      })
    }
    for (const e of batch.errors) emitSafely(this.#events, 'warning', KafkaError.from(e))
    for (const [kind, a, b] of batch.events) {
      if (kind === EVENT_KIND.error || kind === EVENT_KIND.commitError) {
        const e = KafkaError.from(a)
        emitSafely(this.#events, e.fatal ? 'fatal' : 'warning', e)
      } else if (kind === EVENT_KIND.log) {
        const text = b as string
        const nl = text.indexOf('\n')
        emitSafely(this.#events, 'log', {
          level: a as number,
          facility: text.slice(0, nl),
          message: text.slice(nl + 1),
        })
      } else {
        // Parsed even without a listener: the consumer's metrics read the statistics.
        emitSafely(this.#events, 'stats', JSON.parse(a as string) as Record<string, unknown>)
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
      // before were librdkafka's fetcher pausing at queued.min.messages (see fetchPacing).
      const timer = setTimeout(done, Math.min(ms, RECHECK_MS))
      this.#wake.fn = done
      this.#native.setWaiting(true) // a waiting consumeBatch keeps the process alive
    })
  }

  commit(offsets: TopicPartitionOffset[] | null, async: boolean): Promise<void> {
    return this.#native.commit(offsets, async) ?? Promise.resolve()
  }

  async seek(positions: TopicPartitionOffset[], timeoutMs: number): Promise<void> {
    throwPerPartition(await this.#native.seek(positions, timeoutMs))
    for (const { topic, partition, offset } of positions)
      this.#sought.set(partitionKey(topic, partition), { topic, partition, offset: offset! })
  }

  pause(partitions: TopicPartitionOffset[]): void {
    throwPerPartition(this.#native.pause(partitions))
  }

  resume(partitions: TopicPartitionOffset[]): void {
    throwPerPartition(this.#native.resume(partitions))
  }

  position(partitions: TopicPartitionOffset[] | undefined): TopicPartitionPosition[] {
    const positions = this.#native.position(partitions ?? this.#native.assignment())
    return positions.map(({ topic, partition, offset }) => {
      // A seek librdkafka has not applied yet reads as no position; report the offset sought.
      const sought = offset! < 0 ? this.#sought.get(partitionKey(topic, partition)) : undefined
      return sought ?? { topic, partition, offset: offset! }
    })
  }

  async committed(
    partitions: TopicPartitionOffset[] | undefined,
    timeoutMs: number,
  ): Promise<TopicPartitionPosition[]> {
    const result = await this.#native.committed(partitions ?? this.#native.assignment(), timeoutMs)
    return result.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset! }))
  }

  watermarks(topic: string, partition: number, timeoutMs: number): Promise<{ low: number; high: number }> {
    return this.#native.watermarks(topic, partition, timeoutMs)
  }

  cachedWatermarks(topic: string, partition: number): { low: number; high: number } {
    const [low, high] = this.#native.cachedWatermarks(topic, partition)
    return { low, high }
  }

  groupMetadata(): unknown {
    return this.#native.groupMetadata()
  }

  close(timeoutMs: number): Promise<void> {
    forget(this.#atExit)
    this.#closing = true
    const closed = this.#native.close(timeoutMs)
    this.#wake.fn?.()
    return closed
  }
}

function throwPerPartition(result: TopicPartitionOffset[]): void {
  const failed = result.find((tp) => tp.error)
  if (failed) throw KafkaError.from(failed.error)
}

function pairs(flat: Array<string | Buffer | null>): Array<[string, Buffer | null]> {
  const out: Array<[string, Buffer | null]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as Buffer | null])
  return out
}
