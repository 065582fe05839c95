import type { TopicPartitionOffset } from './binding'
import { channels } from './channels'
import { emitSafely } from './emit'
import { Client } from './client'
import { resolveConsumerConfig, type ConsumerConfig, type ResolvedConsumerConfig } from './config'
import { resolveEngine } from './engine'
import type { ConsumerEngine } from './engines/contract'
import { KafkajsConsumerEngine } from './engines/kafkajs/consumer'
import { NativeConsumerEngine } from './engines/native/consumer'
import { partitionKey } from './engines/shared'
import { invalidArg, KafkaError, stateError } from './errors'
import { ConsumerHealth, type HealthReport, type StallEvent } from './health'
import type { Collected, MetricsOptions } from './metrics/catalog'
import { clientLabels, ConsumerMetrics } from './metrics/clients'
import type { Statistics } from './metrics/librdkafka'
import { checkPattern } from './topic-pattern'
import type { ConsumedMessage, LogEntry, RebalanceEvent, TopicPartition, TopicPartitionPosition } from './types'
import { checkInt, describe, MAX_MS, MAX_PARTITION } from './validate'

export interface ConsumerEvents {
  rebalance: [event: RebalanceEvent]
  warning: [error: KafkaError]
  fatal: [error: KafkaError]
  log: [entry: LogEntry]
  stats: [stats: Record<string, unknown>]
  /**
   * The application has not called consumeBatch for `stallRatio` of `max.poll.interval.ms`: soon
   * the member is evicted from its group (once per stall).
   */
  stall: [event: StallEvent]
}

function checkPartitions(list: unknown, withOffsets: boolean): TopicPartitionOffset[] {
  if (!Array.isArray(list))
    throw invalidArg(`expected an array of { topic, partition${withOffsets ? ', offset' : ''} }`)
  return list.map((tp, i) => {
    if (tp === null || typeof tp !== 'object' || typeof tp.topic !== 'string' || tp.topic.length === 0) {
      throw invalidArg(`partitions[${i}] needs a topic name`, { index: i })
    }
    checkInt(`partitions[${i}].partition`, tp.partition, 0, MAX_PARTITION)
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

/** What a transactional Producer reads from a Consumer: its engine's group metadata. */
let groupMetadataOf: (consumer: Consumer) => unknown

/** The consumer's group membership, for Producer.sendOffsetsToTransaction. Not public API. */
export function consumerGroupMetadata(consumer: Consumer): unknown {
  return groupMetadataOf(consumer)
}

/**
 * A Kafka consumer in a consumer group, over librdkafka (or kafkajs: see `engine`). Messages come
 * in batches:
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
export class Consumer extends Client<ConsumerEvents, ConsumerEngine> {
  static {
    groupMetadataOf = (c) => c.call(() => c.core.groupMetadata())
  }

  // 'left': unsubscribed or unassigned; consumeBatch still serves what leaving needs.
  #source: 'none' | 'subscribe' | 'assign' | 'left' = 'none'
  #busy: Promise<unknown> = Promise.resolve()
  readonly #metrics: ConsumerMetrics
  readonly #health: ConsumerHealth
  readonly #groupId: string

  /**
   * @param config librdkafka consumer keys (`group.id` required) plus `engine` (`auto` by
   *   default). A key librdkafka refuses, or one the kafkajs engine cannot honour, throws a
   *   KafkaError (`_INVALID_ARG`) naming the key.
   */
  constructor(config: ConsumerConfig) {
    let resolved: ResolvedConsumerConfig | undefined
    super('consumer', (events) => {
      resolved = resolveConsumerConfig(config)
      return resolveEngine(resolved.engine) === 'native'
        ? new NativeConsumerEngine(resolved, events)
        : new KafkajsConsumerEngine(resolved, events)
    })
    const keys = resolved!.librdkafka
    this.#groupId = keys['group.id']!
    this.#metrics = new ConsumerMetrics(
      clientLabels(keys['client.id']!, 'consumer'),
      (keys['isolation.level'] ?? 'read_committed') === 'read_committed',
    )
    this.#health = new ConsumerHealth(
      this.#metrics,
      Number(keys['max.poll.interval.ms'] ?? 300_000),
      resolved!.stallRatio,
      (e) => emitSafely(this, 'stall', e),
    )
  }

  protected override observe(event: string, args: readonly unknown[]): void {
    if (event === 'stats') {
      this.#metrics.statistics.observe(args[0] as Statistics)
    } else if (event === 'rebalance') {
      const e = args[0] as RebalanceEvent
      this.#metrics.rebalanced(e.type)
      this.#health.rebalanced(e.type)
      if (channels.rebalance.hasSubscribers) channels.rebalance.publish({ client: this, groupId: this.#groupId, ...e })
    }
  }

  /** @internal Adds this consumer's samples to a scrape (see metricsText). */
  collectMetrics(out: Collected, options: MetricsOptions): void {
    this.#metrics.collect(out, this.closed ? 0 : this.assignment().length, options)
  }

  /**
   * Whether the application keeps up with the group: time since its last consumeBatch call and
   * since the last message, the margin left to max.poll.interval.ms, and whether the group is
   * stable (joined, with an assignment, no rebalance under way).
   */
  health(): HealthReport {
    return this.#health.report(this.#source)
  }

  /**
   * Joins the group for these topics. A RegExp subscribes to every topic whose name it matches,
   * as `RegExp.test` would, on both engines; flags and constructs that librdkafka's POSIX regular
   * expressions would read differently are refused (lib/topic-pattern.ts). The native engine also
   * picks up matching topics created later (every `topic.metadata.refresh.interval.ms`).
   */
  subscribe(topics: ReadonlyArray<string | RegExp>): void {
    if (!Array.isArray(topics) || topics.length === 0)
      throw invalidArg('subscribe: expected a non-empty array of topics')
    topics.forEach((t, i) => {
      if (t instanceof RegExp) checkPattern(t, i)
      else if (typeof t !== 'string' || t.length === 0)
        throw invalidArg(`subscribe: topics[${i}] must be a name or a RegExp`, { index: i })
    })
    this.call(() => this.core.subscribe(topics))
    this.#source = 'subscribe'
    this.#health.watch()
  }

  /**
   * Leaves the group's subscription. Until the next subscribe, consumeBatch resolves empty; on the
   * native engine it is also what hands the revocation to librdkafka (the `revoke` event, an
   * auto commit, assignment() emptying), so keep calling it, or close, for the group to move on.
   */
  unsubscribe(): void {
    this.call(() => this.core.unsubscribe())
    if (this.#source !== 'none') this.#source = 'left'
  }

  /** Reads these partitions without group balancing; `offset` absent means the committed one. */
  assign(partitions: ReadonlyArray<TopicPartition & { offset?: number | bigint }>): void {
    const list = checkPartitions(partitions, false)
    this.call(() => this.core.assign(list))
    this.#source = 'assign'
    this.#health.watch()
  }

  unassign(): void {
    this.call(() => this.core.unassign())
    if (this.#source !== 'none') this.#source = 'left'
  }

  /** The partitions this consumer currently reads. */
  assignment(): TopicPartition[] {
    return this.call(() => this.core.assignment())
  }

  /**
   * Resolves with up to `max` messages as soon as any are available, or with an empty array
   * after `timeoutMs`. Waiting takes no thread: librdkafka's fetchers fill a queue and wake this
   * call up. Rejects with `_STATE` before the first subscribe/assign or after close; resolves empty when
   * close() is called while it waits.
   */
  consumeBatch(max = 10_000, timeoutMs = 1000): Promise<ConsumedMessage[]> {
    try {
      checkInt('consumeBatch: max', max, 1, 1_000_000)
      checkInt('consumeBatch: timeoutMs', timeoutMs, 0, MAX_MS)
      this.checkOpen()
      if (this.#source === 'none') throw stateError('consumeBatch before subscribe() or assign()')
    } catch (err) {
      return Promise.reject(err)
    }
    this.#metrics.polled()
    // One consumeBatch at a time; later calls wait their turn.
    const run = this.#busy.then(async () => {
      if (this.closed) return []
      const batch = await this.callAsync(() => this.core.consume(max, timeoutMs))
      this.#metrics.consumed(batch)
      if (batch.length > 0 && channels.consumeBatch.hasSubscribers)
        channels.consumeBatch.publish({ client: this, groupId: this.#groupId, messages: batch })
      return batch
    })
    this.#busy = run.catch(() => {}).finally(() => this.#metrics.pollDone())
    return run
  }

  /** Async iteration: non-empty batches until the consumer is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumedMessage[], void, undefined> {
    while (!this.closed) {
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
    this.checkOpen()
    let list: TopicPartitionOffset[] | null = null
    if (offsets !== undefined) {
      list = checkPartitions(offsets, true)
      const assigned = new Set(this.assignment().map((tp) => partitionKey(tp.topic, tp.partition)))
      const stray = list.find((tp) => !assigned.has(partitionKey(tp.topic, tp.partition)))
      if (stray) {
        throw invalidArg(`commit: ${stray.topic} [${stray.partition}] is not assigned to this consumer`)
      }
    }
    try {
      await this.callAsync(() => this.core.commit(list, options.async === true))
    } catch (err) {
      this.#committed(list, err as KafkaError)
      throw err
    }
    this.#committed(list, undefined)
  }

  #committed(offsets: TopicPartitionOffset[] | null, error: KafkaError | undefined): void {
    this.#metrics.committed(error)
    if (channels.commit.hasSubscribers)
      channels.commit.publish({ client: this, groupId: this.#groupId, offsets, error })
  }

  /**
   * Moves the position of assigned partitions. An offset beyond the log's ends is settled by the
   * `auto.offset.reset` policy on the next fetch (earliest, latest, or an error).
   */
  async seek(positions: ReadonlyArray<TopicPartitionPosition>, timeoutMs = 10_000): Promise<void> {
    const list = checkPartitions(positions, true)
    checkInt('seek: timeoutMs', timeoutMs, 0, MAX_MS)
    await this.callAsync(() => this.core.seek(list, timeoutMs))
  }

  pause(partitions: ReadonlyArray<TopicPartition>): void {
    const list = checkPartitions(partitions, false)
    this.call(() => this.core.pause(list))
  }

  resume(partitions: ReadonlyArray<TopicPartition>): void {
    const list = checkPartitions(partitions, false)
    this.call(() => this.core.resume(list))
  }

  /** The next offset to read of each partition (default: the assignment); -1001 if unknown yet. */
  position(partitions?: ReadonlyArray<TopicPartition>): TopicPartitionPosition[] {
    const list = partitions === undefined ? undefined : checkPartitions(partitions, false)
    return this.call(() => this.core.position(list))
  }

  /** The group's committed offsets of these partitions (default: the assignment); -1001 where none. */
  async committed(partitions?: ReadonlyArray<TopicPartition>, timeoutMs = 10_000): Promise<TopicPartitionPosition[]> {
    const list = partitions === undefined ? undefined : checkPartitions(partitions, false)
    return this.callAsync(() => this.core.committed(list, timeoutMs))
  }

  /** The partition's low and high watermarks (first offset, and next offset to be written). */
  async watermarks(topic: string, partition: number, timeoutMs = 10_000): Promise<{ low: number; high: number }> {
    if (typeof topic !== 'string' || topic.length === 0)
      throw invalidArg('watermarks: topic must be a non-empty string')
    checkInt('watermarks: partition', partition, 0, MAX_PARTITION)
    return this.callAsync(() => this.core.watermarks(topic, partition, timeoutMs))
  }

  /**
   * The partition's watermarks as the last fetch response said, without a request: -1001 until
   * it was fetched (the kafkajs engine knows only the high one).
   */
  cachedWatermarks(topic: string, partition: number): { low: number; high: number } {
    if (typeof topic !== 'string' || topic.length === 0)
      throw invalidArg('cachedWatermarks: topic must be a non-empty string')
    checkInt('cachedWatermarks: partition', partition, 0, MAX_PARTITION)
    return this.call(() => this.core.cachedWatermarks(topic, partition))
  }

  /** Messages not yet consumed per assigned partition: high watermark minus position. */
  async lag(timeoutMs = 10_000): Promise<Array<TopicPartition & { lag: number }>> {
    const positions = this.position()
    return Promise.all(
      positions.map(async (p) => {
        const { low, high } = await this.watermarks(p.topic, p.partition, timeoutMs)
        // Where reading resumes: the position, else the committed offset, else the log's start.
        const committed = p.offset >= 0 ? p.offset : (await this.committed([p], timeoutMs))[0]!.offset
        return { topic: p.topic, partition: p.partition, lag: Math.max(0, high - (committed >= 0 ? committed : low)) }
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
    this.#health.stop()
    return this.closeOnce(timeoutMs, 1)
  }
}
