// The counters each public client keeps for its metrics: a few additions per batch, never per
// message, so they are always on. A scrape turns them (and the latest librdkafka statistics)
// into samples.
import type { BatchReport, ConsumedMessage, ProducerStats } from '../types'
import { put, type Collected, type Labels, type MetricsOptions } from './catalog'
import { StatisticsView } from './librdkafka'

const seq: Record<string, number> = {}

/** The labels of a client's series: its client.id, and a name unique in the process. */
export function clientLabels(clientId: string, kind: string): Labels {
  seq[kind] = (seq[kind] ?? 0) + 1
  return { client_id: clientId, client: `${clientId}#${kind}-${seq[kind]}` }
}

/** Adds `n` to a counter kept in a map. */
function bump(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n)
}

interface TopicCounts {
  messages: number
  bytes: number
  batches: number
  delivered: number
  /** Failed messages by error code. */
  failed: Map<string, number>
}

export class ProducerMetrics {
  readonly statistics = new StatisticsView()
  readonly #topics = new Map<string, TopicCounts>()
  #lastDelivery = 0

  constructor(readonly labels: Labels) {}

  accepted(topic: string, count: number, bytes: number): void {
    let t = this.#topics.get(topic)
    if (t === undefined)
      this.#topics.set(topic, (t = { messages: 0, bytes: 0, batches: 0, delivered: 0, failed: new Map() }))
    t.messages += count
    t.bytes += bytes
    t.batches++
  }

  settled(topic: string, report: BatchReport): void {
    const t = this.#topics.get(topic)
    if (t === undefined) return
    t.delivered += report.delivered
    if (report.delivered > 0) this.#lastDelivery = Date.now()
    for (const e of report.errors) bump(t.failed, e.error.code, 1)
  }

  /** A batch the engine refused after it was counted: every message failed with `code`. */
  refused(topic: string, count: number, code: string): void {
    const t = this.#topics.get(topic)
    if (t !== undefined && count > 0) bump(t.failed, code ?? '_FAIL', count)
  }

  collect(out: Collected, stats: ProducerStats): void {
    const base = this.labels
    for (const [topic, t] of this.#topics) {
      const labels = { ...base, topic }
      put(out, 'producer_messages_total', labels, t.messages)
      put(out, 'producer_bytes_total', labels, t.bytes)
      put(out, 'producer_batches_total', labels, t.batches)
      put(out, 'producer_delivered_messages_total', labels, t.delivered)
      for (const [code, n] of t.failed) put(out, 'producer_failed_messages_total', { ...labels, code }, n)
    }
    put(out, 'producer_delivered_bytes_total', base, stats.bytesDelivered)
    put(out, 'producer_queue_messages', base, stats.queued)
    put(out, 'producer_backlog_messages', base, stats.backlog)
    put(out, 'producer_pending_batches', base, stats.pendingBatches)
    if (this.#lastDelivery > 0) put(out, 'producer_last_delivery_timestamp_seconds', base, this.#lastDelivery / 1000)
    this.statistics.collectProducer(out, base)
    this.statistics.collectBrokers(out, base)
  }
}

export class ConsumerMetrics {
  readonly statistics = new StatisticsView()
  readonly #messages = new Map<string, number>()
  readonly #bytes = new Map<string, number>()
  readonly #rebalances = new Map<string, number>()
  readonly #commitFailures = new Map<string, number>()
  #polls = 0
  #commits = 0
  /** Date.now() of the application's last consumeBatch call, and of the last message returned. */
  lastPoll = 0
  lastMessage = 0

  /** `readCommitted`: the consumer's isolation.level (lag counts to the last stable offset). */
  constructor(
    readonly labels: Labels,
    readonly readCommitted: boolean,
  ) {}

  /** consumeBatch calls not yet returned: while one waits, the application is polling. */
  polling = 0

  polled(): void {
    this.polling++
    this.lastPoll = Date.now()
  }

  pollDone(): void {
    this.polling--
    this.lastPoll = Date.now()
  }

  /** A consumeBatch result: counted by runs of one topic (a batch is mostly one or a few). */
  consumed(batch: ReadonlyArray<ConsumedMessage>): void {
    this.#polls++
    if (batch.length === 0) return
    this.lastMessage = Date.now()
    let topic = batch[0]!.topic
    let n = 0
    let bytes = 0
    for (const m of batch) {
      if (m.topic !== topic) {
        bump(this.#messages, topic, n)
        bump(this.#bytes, topic, bytes)
        topic = m.topic
        n = 0
        bytes = 0
      }
      n++
      if (m.value !== null) bytes += m.value.length
    }
    bump(this.#messages, topic, n)
    bump(this.#bytes, topic, bytes)
  }

  rebalanced(type: string): void {
    bump(this.#rebalances, type, 1)
  }

  committed(error: { code: string } | undefined): void {
    if (error === undefined) this.#commits++
    else bump(this.#commitFailures, error.code, 1)
  }

  collect(out: Collected, assigned: number, options: MetricsOptions): void {
    const base = this.labels
    for (const [topic, n] of this.#messages) put(out, 'consumer_messages_total', { ...base, topic }, n)
    for (const [topic, n] of this.#bytes) put(out, 'consumer_bytes_total', { ...base, topic }, n)
    put(out, 'consumer_polls_total', base, this.#polls)
    for (const type of ['assign', 'revoke'])
      put(out, 'consumer_rebalances_total', { ...base, type }, this.#rebalances.get(type) ?? 0)
    put(out, 'consumer_commits_total', base, this.#commits)
    for (const [code, n] of this.#commitFailures) put(out, 'consumer_commit_failures_total', { ...base, code }, n)
    put(out, 'consumer_assigned_partitions', base, assigned)
    if (this.lastPoll > 0) put(out, 'consumer_last_poll_timestamp_seconds', base, this.lastPoll / 1000)
    if (this.lastMessage > 0) put(out, 'consumer_last_message_timestamp_seconds', base, this.lastMessage / 1000)
    this.statistics.collectLag(out, base, options, this.readCommitted)
    this.statistics.collectBrokers(out, base)
  }
}

export class AdminMetrics {
  readonly #requests = new Map<string, number>()
  readonly #failures = new Map<string, number>()

  constructor(readonly labels: Labels) {}

  finished(operation: string, error: { code: string } | undefined): void {
    bump(this.#requests, operation, 1)
    if (error !== undefined) bump(this.#failures, `${operation}\0${error.code}`, 1)
  }

  collect(out: Collected): void {
    for (const [operation, n] of this.#requests) put(out, 'admin_requests_total', { ...this.labels, operation }, n)
    for (const [key, n] of this.#failures) {
      const [operation, code] = key.split('\0') as [string, string]
      put(out, 'admin_request_failures_total', { ...this.labels, operation, code }, n)
    }
  }
}
