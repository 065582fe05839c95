// Metrics read from librdkafka's statistics (its STATISTICS.md): per broker connection state,
// requests and round-trip times; per topic the producer's batch sizes; per partition the
// consumer's lag. The latest statistics are kept; a scrape reads them as they were then.
// librdkafka's latency and size figures are windows (one statistics interval each): a summary's
// quantiles are the last window's, and its _sum and _count add up every window seen, as
// Prometheus expects of them.
import { put, type Collected, type Labels, type MetricsOptions } from './catalog'

/** A librdkafka rolling window (rd_avg_t): observations of one statistics interval. */
interface Window {
  sum?: number
  cnt?: number
  p50?: number
  p95?: number
  p99?: number
}

interface BrokerStats {
  nodeid?: number
  state?: string
  outbuf_cnt?: number
  waitresp_cnt?: number
  tx?: number
  txbytes?: number
  txerrs?: number
  txretries?: number
  req_timeouts?: number
  rxbytes?: number
  connects?: number
  disconnects?: number
  rtt?: Window
  int_latency?: Window
}

interface TopicStats {
  batchsize?: Window
  batchcnt?: Window
  partitions?: Record<string, PartitionStats>
}

interface PartitionStats {
  partition?: number
  app_offset?: number
  hi_offset?: number
  ls_offset?: number
  consumer_lag?: number
}

export interface Statistics {
  msg_size?: number
  brokers?: Record<string, BrokerStats>
  topics?: Record<string, TopicStats>
  cgrp?: { state?: string; join_state?: string }
}

const QUANTILES: ReadonlyArray<[string, keyof Window]> = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
]

const BROKER_COUNTERS: ReadonlyArray<[string, keyof BrokerStats]> = [
  ['broker_connects_total', 'connects'],
  ['broker_disconnects_total', 'disconnects'],
  ['broker_requests_total', 'tx'],
  ['broker_request_errors_total', 'txerrs'],
  ['broker_request_retries_total', 'txretries'],
  ['broker_request_timeouts_total', 'req_timeouts'],
  ['broker_sent_bytes_total', 'txbytes'],
  ['broker_received_bytes_total', 'rxbytes'],
]

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)

/** The latest statistics of one client, and its summaries' running sums and counts. */
export class StatisticsView {
  #last: Statistics | undefined
  readonly #totals = new Map<string, { sum: number; count: number }>()

  get last(): Statistics | undefined {
    return this.#last
  }

  /** Takes one statistics event (parsed JSON). */
  observe(stats: Statistics): void {
    this.#last = stats
    for (const b of brokersOf(stats)) {
      this.#add(`broker_rtt_seconds|${b.nodeid}`, b.rtt, 1e-6)
      this.#add(`producer_queue_latency_seconds|${b.nodeid}`, b.int_latency, 1e-6)
    }
    for (const [topic, t] of Object.entries(stats.topics ?? {})) {
      this.#add(`producer_batch_messages|${topic}`, t.batchcnt, 1)
      this.#add(`producer_batch_bytes|${topic}`, t.batchsize, 1)
    }
  }

  #add(key: string, w: Window | undefined, scale: number): void {
    if (w === undefined || num(w.cnt) === 0) return
    const t = this.#totals.get(key) ?? { sum: 0, count: 0 }
    t.sum += num(w.sum) * scale
    t.count += num(w.cnt)
    this.#totals.set(key, t)
  }

  /** The broker families, for any client kind. */
  collectBrokers(out: Collected, base: Labels): void {
    const stats = this.#last
    if (stats === undefined) return
    for (const b of brokersOf(stats)) {
      const labels = { ...base, broker: String(b.nodeid) }
      put(out, 'broker_connected', labels, b.state === 'UP' ? 1 : 0)
      put(out, 'broker_requests_in_flight', labels, num(b.waitresp_cnt))
      put(out, 'broker_requests_queued', labels, num(b.outbuf_cnt))
      for (const [name, field] of BROKER_COUNTERS) put(out, name, labels, num(b[field]))
      this.#summary(out, 'broker_rtt_seconds', String(b.nodeid), labels, b.rtt, 1e-6)
    }
  }

  /** The producer's librdkafka families. */
  collectProducer(out: Collected, base: Labels): void {
    const stats = this.#last
    if (stats === undefined) return
    put(out, 'producer_queue_bytes', base, num(stats.msg_size))
    for (const b of brokersOf(stats)) {
      const labels = { ...base, broker: String(b.nodeid) }
      this.#summary(out, 'producer_queue_latency_seconds', String(b.nodeid), labels, b.int_latency, 1e-6)
    }
    for (const [topic, t] of Object.entries(stats.topics ?? {})) {
      const labels = { ...base, topic }
      this.#summary(out, 'producer_batch_messages', topic, labels, t.batchcnt, 1)
      this.#summary(out, 'producer_batch_bytes', topic, labels, t.batchsize, 1)
    }
  }

  /**
   * Consumer lag, per topic (the sum over its partitions) or per partition when asked: from the
   * consumer's position (how far reading is behind the end of the log: the last stable offset
   * under read_committed, the high watermark otherwise) and from the group's committed offset
   * (librdkafka's consumer_lag, what a group's lag tools show).
   */
  collectLag(out: Collected, base: Labels, options: MetricsOptions, readCommitted: boolean): void {
    for (const [topic, t] of Object.entries(this.#last?.topics ?? {})) {
      const sums = { consumer_lag_messages: -1, consumer_committed_lag_messages: -1 }
      for (const p of Object.values(t.partitions ?? {})) {
        const partition = num(p.partition)
        if (partition < 0) continue // librdkafka's internal unassigned partition
        const end = num(readCommitted ? p.ls_offset : p.hi_offset)
        const app = num(p.app_offset)
        const lags: Array<[keyof typeof sums, number]> = [
          ['consumer_lag_messages', app >= 0 && end >= 0 ? Math.max(0, end - app) : -1],
          ['consumer_committed_lag_messages', typeof p.consumer_lag === 'number' ? p.consumer_lag : -1],
        ]
        for (const [name, lag] of lags) {
          if (lag < 0) continue // not read (or committed) here
          sums[name] = Math.max(0, sums[name]) + lag
          if (options.partitions) put(out, name, { ...base, topic, partition: String(partition) }, lag)
        }
      }
      if (options.partitions) continue
      for (const [name, total] of Object.entries(sums)) if (total >= 0) put(out, name, { ...base, topic }, total)
    }
  }

  #summary(out: Collected, name: string, key: string, labels: Labels, w: Window | undefined, scale: number): void {
    const t = this.#totals.get(`${name}|${key}`)
    if (t === undefined) return // nothing observed yet
    if (w !== undefined && num(w.cnt) > 0) {
      for (const [q, field] of QUANTILES) put(out, name, { ...labels, quantile: q }, num(w[field]) * scale)
    }
    put(out, name, labels, t.sum, '_sum')
    put(out, name, labels, t.count, '_count')
  }
}

/** The real brokers (librdkafka also lists bootstrap and internal pseudo-brokers, node id -1). */
function brokersOf(stats: Statistics): Array<BrokerStats & { nodeid: number }> {
  return Object.values(stats.brokers ?? {}).filter(
    (b): b is BrokerStats & { nodeid: number } => typeof b.nodeid === 'number' && b.nodeid >= 0,
  )
}
