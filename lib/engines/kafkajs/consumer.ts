// The kafkajs consumer engine: a pull-based bridge over kafkajs's push-based eachBatch.
//
// eachBatch puts each fetched batch in a buffer and waits (heartbeating) until consumeBatch has
// taken all of it, or until the batch is dropped (pause, seek, rebalance, close). So the buffer
// never holds more than the batches kafkajs is handling at once: a slow application slows
// fetching instead of growing memory. Offsets are resolved only for messages consumeBatch
// returned, so kafkajs's auto commit and its rejoin commits cover exactly what the application
// received (at least once), as librdkafka's stored offsets do.
import type { EventEmitter } from 'node:events'

import type { Consumer as KafkajsConsumer, EachBatchPayload, Kafka } from 'kafkajs'

import type { TopicPartitionOffset } from '../../binding'
import type { ResolvedConsumerConfig } from '../../config'
import { emitSafely } from '../../emit'
import { KafkaError } from '../../errors'
import type { ConsumedMessage, TopicPartition, TopicPartitionPosition } from '../../types'
import type { ConsumerEngine } from '../contract'
import { partitionKey } from '../shared'
import { rangeAssigner, roundRobinAssigner } from './assigners'
import { BatchBuffer, type Entry } from './buffer'
import { createKafka, reach, within } from './client'
import { kafkajsConsumerSettings, type ConsumerSettings } from './config'
import { fromKafkajs, transactionsUnavailable } from './errors'
import { INVALID_OFFSET, OffsetReader } from './offsets'

/** How often a waiting eachBatch checks that kafkajs still runs, and heartbeats. */
const TICK_MS = 100

export class KafkajsConsumerEngine implements ConsumerEngine {
  /** Each partition's high watermark as its last fetched batch said (cachedWatermarks). */
  readonly #highs = new Map<string, number>()
  readonly name = 'kafkajs'
  readonly #settings: ConsumerSettings
  readonly #kafka: Kafka
  readonly #events: EventEmitter
  readonly #offsets: OffsetReader
  #consumer: KafkajsConsumer | undefined
  /** The current subscription's start (connect, subscribe, run), awaited by consume. */
  #starting: Promise<void> = Promise.resolve()
  readonly #buffer = new BatchBuffer()
  #waiter: (() => void) | undefined
  #assignment: TopicPartition[] = []
  #positions = new Map<string, TopicPartitionPosition>()
  #lastConsume = Date.now()
  /** A crash kafkajs does not recover from: consume rejects with it from then on. */
  #failure: KafkaError | undefined
  #closed = false

  constructor(resolved: ResolvedConsumerConfig, events: EventEmitter) {
    this.#settings = kafkajsConsumerSettings(resolved.kafkajs)
    this.#events = events
    this.#kafka = createKafka(this.#settings, new WeakRef(events))
    this.#offsets = new OffsetReader(this.#kafka)
  }

  connect(timeoutMs: number): Promise<void> {
    return reach(() => this.#offsets.admin(), timeoutMs)
  }

  subscribe(topics: ReadonlyArray<string | RegExp>): void {
    const previous = this.#consumer
    const s = this.#settings
    const consumer = this.#kafka.consumer({
      groupId: s.groupId,
      partitionAssigners: s.assigners.map((a) => (a === 'range' ? rangeAssigner : roundRobinAssigner)),
      metadataMaxAge: s.metadataMaxAge,
      sessionTimeout: s.sessionTimeoutMs,
      rebalanceTimeout: s.maxPollIntervalMs,
      heartbeatInterval: s.heartbeatIntervalMs,
      minBytes: s.minBytes,
      maxBytes: s.maxBytes,
      maxBytesPerPartition: s.maxBytesPerPartition,
      maxWaitTimeInMs: s.maxWaitTimeInMs,
      readUncommitted: s.readUncommitted,
      allowAutoTopicCreation: s.allowAutoTopicCreation,
    })
    this.#consumer = consumer
    this.#failure = undefined
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.#onJoin(consumer, payload.memberAssignment))
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#consumer !== consumer) return
      const e = fromKafkajs(payload.error)
      this.#buffer.dropAll()
      this.#setAssignment([])
      if (payload.restart) emitSafely(this.#events, 'warning', e)
      else {
        this.#failure = e
        emitSafely(this.#events, 'fatal', e)
        this.#waiter?.()
      }
    })
    this.#starting = this.#starting
      .catch(() => {})
      .then(async () => {
        if (previous !== undefined) await this.#stop(previous)
        if (this.#closed || this.#consumer !== consumer) return
        await consumer.connect()
        await consumer.subscribe({ topics: [...topics], fromBeginning: s.fromBeginning })
        await consumer.run({
          autoCommit: s.autoCommit,
          autoCommitInterval: s.autoCommitIntervalMs,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: 8,
          eachBatch: (payload) => this.#onBatch(consumer, payload),
        })
      })
      .catch((err) => {
        throw fromKafkajs(err)
      })
    this.#starting.catch(() => {}) // consume reports it
  }

  unsubscribe(): void {
    const previous = this.#consumer
    this.#consumer = undefined
    if (previous === undefined) return
    this.#starting = this.#starting.catch(() => {}).then(() => this.#stop(previous))
  }

  /** Leaves the group: commits what was consumed (with auto commit), drops the buffer, reports the revocation. */
  async #stop(consumer: KafkajsConsumer): Promise<void> {
    this.#buffer.dropAll()
    if (this.#settings.autoCommit) await this.#commitPositions(consumer).catch(() => {})
    this.#setAssignment([])
    await consumer.disconnect().catch(() => {})
  }

  assign(): void {
    throw noManualAssignment('assign')
  }

  unassign(): void {
    throw noManualAssignment('unassign')
  }

  assignment(): TopicPartition[] {
    return this.#assignment.map((tp) => ({ ...tp }))
  }

  #onJoin(consumer: KafkajsConsumer, memberAssignment: Record<string, number[]>): void {
    if (this.#consumer !== consumer) return
    const next: TopicPartition[] = []
    for (const topic of Object.keys(memberAssignment).sort()) {
      for (const partition of [...memberAssignment[topic]!].sort((a, b) => a - b)) next.push({ topic, partition })
    }
    // kafkajs rebalances eagerly: every partition is given up and the new set assigned. Offsets
    // restart from the committed ones, so what was buffered or positioned is void.
    this.#buffer.dropAll()
    this.#setAssignment(next)
  }

  #setAssignment(next: TopicPartition[]): void {
    const previous = this.#assignment
    this.#assignment = next
    this.#positions.clear()
    if (previous.length > 0)
      emitSafely(this.#events, 'rebalance', { type: 'revoke', protocol: 'EAGER', partitions: previous })
    if (next.length > 0) emitSafely(this.#events, 'rebalance', { type: 'assign', protocol: 'EAGER', partitions: next })
  }

  async #onBatch(consumer: KafkajsConsumer, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload
    this.#highs.set(partitionKey(batch.topic, batch.partition), Number(batch.highWatermark))
    if (batch.messages.length === 0) {
      resolveOffset(batch.lastOffset())
      return
    }
    if (isStale() || this.#consumer !== consumer || this.#closed) return
    let wake: () => void = () => {}
    const entry: Entry = {
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages,
      taken: 0,
      released: false,
      release: () => {
        entry.released = true
        wake()
      },
    }
    this.#buffer.push(entry)
    this.#waiter?.()
    try {
      while (!entry.released) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, TICK_MS)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        if (entry.released) break
        if (!isRunning() || this.#consumer !== consumer || this.#closed) {
          this.#buffer.drop(entry)
          break
        }
        // An application that stops consuming for max.poll.interval.ms leaves the group, as
        // with librdkafka: the session then times out and the partitions go to other members.
        if (Date.now() - this.#lastConsume < this.#settings.maxPollIntervalMs) await heartbeat()
      }
    } catch (err) {
      this.#buffer.drop(entry) // a rebalance: kafkajs rejoins
      throw err
    } finally {
      if (entry.taken > 0) resolveOffset(entry.messages[entry.taken - 1]!.offset)
    }
  }

  async consume(max: number, timeoutMs: number): Promise<ConsumedMessage[]> {
    this.#lastConsume = Date.now()
    const deadline = Date.now() + timeoutMs
    // kafkajs's run() resolves only once the group is joined, which takes as long as the other
    // members take to rejoin: until then a call answers empty at its own deadline.
    while (!(await this.#startedWithin(deadline - Date.now()))) {
      if (this.#closed || Date.now() >= deadline) return []
    }
    for (;;) {
      if (this.#failure) throw this.#failure
      const out = this.#take(max)
      if (out.length > 0 || this.#closed) return out
      const left = deadline - Date.now()
      if (left <= 0) return []
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left)
        function done() {
          clearTimeout(timer)
          resolve()
        }
        this.#waiter = done
      })
      this.#waiter = undefined
      this.#lastConsume = Date.now()
    }
  }

  /** Whether the current subscription started within `ms` (close wakes the wait); rejects with its failure. */
  #startedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    let wake: (() => void) | undefined
    const expired = new Promise<boolean>((resolve) => {
      wake = () => resolve(false)
      timer = setTimeout(wake, Math.max(0, ms)) // after an already-started subscription's microtask
    })
    this.#waiter = wake
    return Promise.race([this.#starting.then(() => true), expired]).finally(() => {
      clearTimeout(timer)
      if (this.#waiter === wake) this.#waiter = undefined
    })
  }

  /** Takes up to `max` buffered messages and records each partition's position after them. */
  #take(max: number): ConsumedMessage[] {
    return this.#buffer.take(max, (topic, partition, offset) =>
      this.#positions.set(partitionKey(topic, partition), { topic, partition, offset }),
    )
  }

  #assigned(list: ReadonlyArray<TopicPartition>, what: string): void {
    const mine = new Set(this.#assignment.map((tp) => partitionKey(tp.topic, tp.partition)))
    const stray = list.find((tp) => !mine.has(partitionKey(tp.topic, tp.partition)))
    if (stray !== undefined) {
      throw new KafkaError(`${what}: ${stray.topic} [${stray.partition}] is not assigned to this consumer`, {
        code: '_UNKNOWN_PARTITION',
      })
    }
  }

  async commit(offsets: TopicPartitionOffset[] | null, async: boolean): Promise<void> {
    const consumer = this.#consumer
    if (consumer === undefined) throw new KafkaError('commit: not subscribed', { code: '_STATE' })
    const commit = offsets === null ? this.#commitPositions(consumer) : this.#commitList(consumer, offsets)
    if (!async) return commit
    commit.catch((err: unknown) => emitSafely(this.#events, 'warning', fromKafkajs(err)))
  }

  #commitPositions(consumer: KafkajsConsumer): Promise<void> {
    const positions = [...this.#positions.values()]
    if (positions.length === 0) {
      return Promise.reject(new KafkaError('commit: nothing consumed to commit', { code: '_NO_OFFSET' }))
    }
    return this.#commitList(consumer, positions)
  }

  async #commitList(
    consumer: KafkajsConsumer,
    offsets: ReadonlyArray<{ topic: string; partition: number; offset?: number }>,
  ): Promise<void> {
    try {
      await consumer.commitOffsets(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })),
      )
    } catch (err) {
      throw fromKafkajs(err)
    }
  }

  /** The current subscription's kafkajs consumer; after unsubscribe() there is none. */
  #subscribed(what: string): KafkajsConsumer {
    if (this.#consumer === undefined)
      throw new KafkaError(`${what}: not subscribed (unsubscribe() was called)`, { code: '_STATE' })
    return this.#consumer
  }

  async seek(positions: TopicPartitionOffset[]): Promise<void> {
    this.#assigned(positions, 'seek')
    for (const p of positions) {
      const k = partitionKey(p.topic, p.partition)
      this.#buffer.dropWhere((e) => partitionKey(e.topic, e.partition) === k)
      this.#subscribed('seek').seek({ topic: p.topic, partition: p.partition, offset: String(p.offset) })
      this.#positions.set(k, { topic: p.topic, partition: p.partition, offset: p.offset! })
    }
  }

  pause(partitions: TopicPartitionOffset[]): void {
    this.#assigned(partitions, 'pause')
    for (const p of partitions) {
      const k = partitionKey(p.topic, p.partition)
      // Like librdkafka, messages already fetched for a paused partition are discarded; resume
      // fetches them again from the position.
      this.#buffer.dropWhere((e) => partitionKey(e.topic, e.partition) === k)
      this.#subscribed('pause').pause([{ topic: p.topic, partitions: [p.partition] }])
    }
  }

  resume(partitions: TopicPartitionOffset[]): void {
    this.#assigned(partitions, 'resume')
    for (const p of partitions) this.#subscribed('resume').resume([{ topic: p.topic, partitions: [p.partition] }])
  }

  position(partitions: TopicPartitionOffset[] | undefined): TopicPartitionPosition[] {
    return (partitions ?? this.#assignment).map(({ topic, partition }) => ({
      topic,
      partition,
      offset: this.#positions.get(partitionKey(topic, partition))?.offset ?? INVALID_OFFSET,
    }))
  }

  committed(partitions: TopicPartitionOffset[] | undefined, timeoutMs: number): Promise<TopicPartitionPosition[]> {
    return this.#offsets.committed(this.#settings.groupId, partitions ?? this.#assignment, timeoutMs)
  }

  watermarks(topic: string, partition: number, timeoutMs: number): Promise<{ low: number; high: number }> {
    return this.#offsets.watermarks(topic, partition, timeoutMs)
  }

  /** The high watermark of the partition's last fetched batch; kafkajs's fetches carry no low one. */
  cachedWatermarks(topic: string, partition: number): { low: number; high: number } {
    return { low: -1001, high: this.#highs.get(partitionKey(topic, partition)) ?? -1001 }
  }

  groupMetadata(): unknown {
    throw transactionsUnavailable()
  }

  async close(timeoutMs: number): Promise<void> {
    this.#closed = true
    this.#waiter?.()
    const consumer = this.#consumer
    const leave = async () => {
      await this.#starting.catch(() => {})
      if (consumer !== undefined) await this.#stop(consumer)
      await this.#offsets.close()
    }
    // Past the timeout the group notices by session timeout, as with the native engine.
    await within(leave(), timeoutMs, 'close').catch(() => {})
  }
}

function noManualAssignment(call: string): KafkaError {
  return new KafkaError(
    `${call}: the kafkajs engine reads through group subscriptions only (kafkajs has no manual assignment); use subscribe() or engine: native`,
    { code: '_NOT_IMPLEMENTED' },
  )
}
