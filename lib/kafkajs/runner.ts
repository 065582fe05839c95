// consumer.run() of the kafkajs layer: a loop over consumeBatch that hands each partition's part
// of a batch to eachBatch, or message by message to eachMessage, with kafkajs's rules. An offset
// counts as processed once resolved (after each eachMessage, by resolveOffset in eachBatch, or
// at the end of eachBatch with eachBatchAutoResolve); commits follow autoCommit, at most every
// autoCommitInterval ms or autoCommitThreshold resolved messages, else after each batch. A
// handler that throws: its partition is sought back to the first message not processed, a
// consumer.crash event says so, and after the retry back-off the messages come again.
import type { Batch, ConsumerRunConfig, EachBatchPayload, KafkaMessage } from 'kafkajs'

import type { Consumer } from '../consumer'
import { partitionKey } from '../engines/shared'
import type { ConsumedMessage, TopicPartition } from '../types'
import { fromConsumed } from './messages'

/** What the runner needs of the consumer layer around it. */
export interface RunnerHost {
  readonly consumer: Consumer
  readonly groupId: string
  readonly retryMs: number
  running: boolean
  emit(type: string, payload: unknown): void
  /** Whether anyone listens to `type` (so that its payload is built only then). */
  listens(type: string): boolean
  /** Pauses a partition from inside a handler (its rest of the batch is then skipped). */
  pauseNow(tp: TopicPartition): void
  /** Seeks `tp` before the next batch (kafkajs's seek). */
  seekTo(tp: TopicPartition, offset: number): void
  /** Seeks asked for since the last batch, to apply before the next one. */
  takeSeeks(): void
  /** True when a seek or pause for `tp` came during this batch: its rest is stale. */
  touched(tp: TopicPartition): boolean
  /** True when the application asked for a seek of `tp` that is not applied yet. */
  seekPending(tp: TopicPartition): boolean
}

/** A partition batch's figures as kafkajs's batch events and Batch give them (strings). */
interface BatchInfo extends TopicPartition {
  highWatermark: string
  offsetLag: string
  offsetLagLow: string
  batchSize: number
  firstOffset: string
  lastOffset: string
}

export class Runner {
  readonly #host: RunnerHost
  readonly #config: ConsumerRunConfig
  /** Next offset to commit per partition (resolved + 1), not yet committed. */
  readonly #pending = new Map<string, TopicPartition & { offset: number }>()
  #resolvedSinceCommit = 0
  #lastCommit = Date.now()

  constructor(host: RunnerHost, config: ConsumerRunConfig) {
    this.#host = host
    this.#config = config
  }

  async loop(): Promise<void> {
    const host = this.#host
    while (host.running) {
      host.takeSeeks()
      const batch = await host.consumer.consumeBatch(10_000, 100).catch((err: unknown) => {
        if (host.running) host.emit('consumer.crash', { error: err, groupId: host.groupId, restart: true })
        return [] as ConsumedMessage[]
      })
      if (!host.running) break
      const groups = byPartition(batch)
      const concurrency = Math.max(1, this.#config.partitionsConsumedConcurrently ?? 1)
      for (let i = 0; i < groups.length; i += concurrency) {
        await Promise.all(groups.slice(i, i + concurrency).map((g) => this.#partition(g)))
      }
      if (batch.length > 0) await this.commitIfNecessary()
    }
  }

  /** One partition's messages of a batch, through the handler. */
  async #partition(messages: ConsumedMessage[]): Promise<void> {
    const { topic, partition } = messages[0]!
    const tp = { topic, partition }
    const started = Date.now()
    const observed =
      this.#host.listens('consumer.start_batch_process') || this.#host.listens('consumer.end_batch_process')
    // Built once, only when an event or eachBatch's batch needs it (it reads the watermarks).
    const info = observed || this.#config.eachBatch ? this.#batchInfo(tp, messages) : undefined
    if (observed) this.#host.emit('consumer.start_batch_process', info)
    let next = messages[0]!.offset // the first offset not processed
    let paused = false
    const pause = () => {
      paused = true
      this.#host.pauseNow(tp)
      return () => this.#host.consumer.resume([tp])
    }
    try {
      if (this.#config.eachMessage) {
        for (const m of messages) {
          if (!this.#host.running || this.#host.touched(tp)) break
          await this.#config.eachMessage({
            topic,
            partition,
            message: fromConsumed(m),
            heartbeat: () => Promise.resolve(),
            pause,
          })
          next = m.offset + 1
        }
      } else if (this.#config.eachBatch) {
        await this.#config.eachBatch(this.#payload(tp, messages, info!, pause, (o) => (next = o + 1)))
        if (this.#config.eachBatchAutoResolve !== false && !this.#host.touched(tp)) {
          next = messages.at(-1)!.offset + 1
          this.resolve(tp, next - 1)
        }
      }
      if (observed) this.#host.emit('consumer.end_batch_process', { ...info, duration: Date.now() - started })
    } catch (error) {
      this.#host.emit('consumer.crash', { error, groupId: this.#host.groupId, restart: true })
      if (!paused) await new Promise((r) => setTimeout(r, this.#host.retryMs))
      paused = true // from the message that failed, as kafkajs retries it
    }
    // Every message eachMessage returned from counts as processed (one update per batch).
    if (this.#config.eachMessage && next > messages[0]!.offset) this.resolve(tp, next - 1, next - messages[0]!.offset)
    // What was fetched after the first message not processed comes again (after a resume).
    if (paused && this.#host.running && !this.#host.seekPending(tp)) this.#host.seekTo(tp, next)
  }

  resolve(tp: TopicPartition, offset: number, count = 1): void {
    const key = partitionKey(tp.topic, tp.partition)
    const seen = this.#pending.get(key)
    if (seen !== undefined && seen.offset > offset + 1) return
    this.#pending.set(key, { ...tp, offset: offset + 1 })
    this.#resolvedSinceCommit += count
  }

  #batchInfo(tp: TopicPartition, messages: ConsumedMessage[]): BatchInfo {
    const high = this.#host.consumer.cachedWatermarks(tp.topic, tp.partition).high
    const first = messages[0]!.offset
    const last = messages.at(-1)!.offset
    return {
      ...tp,
      highWatermark: String(high),
      offsetLag: String(Math.max(0, high - 1 - last)),
      offsetLagLow: String(Math.max(0, high - 1 - first)),
      batchSize: messages.length,
      firstOffset: String(first),
      lastOffset: String(last),
    }
  }

  #payload(
    tp: TopicPartition,
    messages: ConsumedMessage[],
    info: BatchInfo,
    pause: () => () => void,
    resolved: (o: number) => void,
  ): EachBatchPayload {
    const kafkaMessages: KafkaMessage[] = messages.map(fromConsumed)
    const batch: Batch = {
      ...tp,
      highWatermark: info.highWatermark,
      messages: kafkaMessages,
      isEmpty: () => kafkaMessages.length === 0,
      firstOffset: () => info.firstOffset,
      lastOffset: () => info.lastOffset,
      offsetLag: () => info.offsetLag,
      offsetLagLow: () => info.offsetLagLow,
    }
    return {
      batch,
      resolveOffset: (offset: string) => {
        resolved(Number(offset))
        this.resolve(tp, Number(offset))
      },
      heartbeat: () => Promise.resolve(),
      pause,
      commitOffsetsIfNecessary: (offsets?) => this.commitIfNecessary(offsets),
      uncommittedOffsets: () => ({ topics: this.#uncommitted() }),
      isRunning: () => this.#host.running,
      isStale: () => this.#host.touched(tp) || !this.#assigned(tp),
    }
  }

  #assigned(tp: TopicPartition): boolean {
    return this.#host.consumer.assignment().some((a) => a.topic === tp.topic && a.partition === tp.partition)
  }

  /** kafkajs's uncommittedOffsets(), partitions as strings as kafkajs gives them. */
  #uncommitted(): ReturnType<EachBatchPayload['uncommittedOffsets']>['topics'] {
    return groupByTopic([...this.#pending.values()]).map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map((p) => ({ partition: String(p.partition), offset: p.offset })),
    })) as never
  }

  /** Commits what was resolved when autoCommit's interval or threshold says so (or `offsets`). */
  async commitIfNecessary(offsets?: {
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>
  }): Promise<void> {
    if (offsets !== undefined) {
      const list = offsets.topics.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })),
      )
      return this.#commit(list)
    }
    if (this.#config.autoCommit === false || this.#pending.size === 0) return
    const { autoCommitInterval: interval, autoCommitThreshold: threshold } = this.#config
    const byTime = interval != null && Date.now() - this.#lastCommit >= interval
    const byCount = threshold != null && this.#resolvedSinceCommit >= threshold
    if ((interval != null || threshold != null) && !byTime && !byCount) return
    await this.#commit([...this.#pending.values()])
  }

  /** Commits pending offsets at stop (autoCommit only). */
  async flush(): Promise<void> {
    if (this.#config.autoCommit !== false && this.#pending.size > 0) await this.#commit([...this.#pending.values()])
  }

  async #commit(list: Array<TopicPartition & { offset: number }>): Promise<void> {
    const assigned = new Set(this.#host.consumer.assignment().map((a) => partitionKey(a.topic, a.partition)))
    const mine = list.filter((p) => assigned.has(partitionKey(p.topic, p.partition)))
    for (const p of list) this.#pending.delete(partitionKey(p.topic, p.partition))
    this.#resolvedSinceCommit = 0
    this.#lastCommit = Date.now()
    if (mine.length === 0) return
    await this.#host.consumer.commit(mine)
    this.#host.emit('consumer.commit_offsets', {
      groupId: this.#host.groupId,
      topics: groupByTopic(mine),
    })
  }
}

function groupByTopic(list: Array<TopicPartition & { offset: number }>) {
  const topics = new Map<string, Array<{ partition: number; offset: string }>>()
  for (const p of list) {
    let l = topics.get(p.topic)
    if (l === undefined) topics.set(p.topic, (l = []))
    l.push({ partition: p.partition, offset: String(p.offset) })
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }))
}

/** A batch's messages by partition, each partition's in order, partitions in order of first sight. */
function byPartition(batch: ConsumedMessage[]): ConsumedMessage[][] {
  const groups = new Map<string, ConsumedMessage[]>()
  for (const m of batch) {
    const key = partitionKey(m.topic, m.partition)
    let g = groups.get(key)
    if (g === undefined) groups.set(key, (g = []))
    g.push(m)
  }
  return [...groups.values()]
}
