// Every metric family the clients expose, named by Prometheus conventions: the turbokafka_ prefix,
// base units (seconds, bytes), _total on counters. Labels stay bounded: client_id and client on
// every sample; topic, broker (a node id), code (an error code name) and type where a family
// says so; partition only when asked for ({ partitions: true }).

export type MetricType = 'counter' | 'gauge' | 'summary'

export interface Family {
  name: string
  type: MetricType
  help: string
}

export type Labels = Record<string, string>

/** One sample; summaries add `_sum` and `_count` samples beside their quantiles. */
export interface Sample {
  labels: Labels
  value: number
  suffix?: '_sum' | '_count'
}

/** What one scrape gathered, by family name. */
export type Collected = Map<string, Sample[]>

/** What a scrape may ask for. */
export interface MetricsOptions {
  /** Per-partition samples (consumer lag): one series per partition instead of one per topic. */
  partitions?: boolean
}

/** Anything whose metrics a scrape gathers: Producer, Consumer, Admin. */
export interface MetricsSource {
  collectMetrics(out: Collected, options: MetricsOptions): void
}

const f = (name: string, type: MetricType, help: string): Family => ({ name: `turbokafka_${name}`, type, help })

export const FAMILIES: readonly Family[] = [
  // Producer: the client's own counters (both engines).
  f('producer_messages_total', 'counter', 'Messages accepted by produceBatch, by topic.'),
  f('producer_bytes_total', 'counter', 'Value bytes accepted by produceBatch, by topic.'),
  f('producer_batches_total', 'counter', 'produceBatch calls accepted, by topic.'),
  f('producer_delivered_messages_total', 'counter', 'Messages the broker acknowledged, by topic.'),
  f('producer_failed_messages_total', 'counter', 'Messages that failed, by topic and error code.'),
  f('producer_delivered_bytes_total', 'counter', 'Value bytes the broker acknowledged.'),
  f('producer_queue_messages', 'gauge', 'Messages accepted and not yet delivered or failed.'),
  f('producer_backlog_messages', 'gauge', 'Queued messages still waiting for room in the client queue.'),
  f('producer_pending_batches', 'gauge', 'Batches whose promise has not settled.'),
  f('producer_last_delivery_timestamp_seconds', 'gauge', 'When a batch last settled with a delivered message.'),
  // Producer: librdkafka's statistics (native engine).
  f('producer_queue_bytes', 'gauge', 'Bytes in librdkafka queues (librdkafka statistics msg_size).'),
  f('producer_batch_messages', 'summary', 'Messages per produce request batch, by topic (last window).'),
  f('producer_batch_bytes', 'summary', 'Bytes per produce request batch, by topic (last window).'),
  f('producer_queue_latency_seconds', 'summary', 'Time a message waited in the queue before sending, by broker.'),
  // Consumer: the client's own counters (both engines).
  f('consumer_messages_total', 'counter', 'Messages returned by consumeBatch, by topic.'),
  f('consumer_bytes_total', 'counter', 'Value bytes returned by consumeBatch, by topic.'),
  f('consumer_polls_total', 'counter', 'consumeBatch calls that completed.'),
  f('consumer_rebalances_total', 'counter', 'Rebalance events, by type (assign, revoke).'),
  f('consumer_commits_total', 'counter', 'Commit calls that succeeded.'),
  f('consumer_commit_failures_total', 'counter', 'Commit calls that failed, by error code.'),
  f('consumer_assigned_partitions', 'gauge', 'Partitions assigned to the consumer.'),
  f('consumer_last_poll_timestamp_seconds', 'gauge', 'When the application last called consumeBatch.'),
  f('consumer_last_message_timestamp_seconds', 'gauge', 'When consumeBatch last returned a message.'),
  // Consumer: librdkafka's statistics (native engine).
  f('consumer_lag_messages', 'gauge', 'Messages between the position and the end of the log, by topic.'),
  f('consumer_committed_lag_messages', 'gauge', 'Messages between the committed offset and the end of the log.'),
  // Admin (both engines).
  f('admin_requests_total', 'counter', 'Admin calls completed, by operation.'),
  f('admin_request_failures_total', 'counter', 'Admin calls that failed, by operation and error code.'),
  // Per broker connection, from librdkafka's statistics (native engine, any client).
  f('broker_connected', 'gauge', '1 while the connection to the broker is up, else 0.'),
  f('broker_connects_total', 'counter', 'Connection attempts that succeeded, by broker.'),
  f('broker_disconnects_total', 'counter', 'Connections lost or closed, by broker.'),
  f('broker_requests_in_flight', 'gauge', 'Requests sent and awaiting a response, by broker.'),
  f('broker_requests_queued', 'gauge', 'Requests waiting to be sent, by broker.'),
  f('broker_requests_total', 'counter', 'Requests sent, by broker.'),
  f('broker_request_errors_total', 'counter', 'Requests that failed to send, by broker.'),
  f('broker_request_retries_total', 'counter', 'Requests sent again, by broker.'),
  f('broker_request_timeouts_total', 'counter', 'Requests that timed out, by broker.'),
  f('broker_sent_bytes_total', 'counter', 'Bytes sent, by broker.'),
  f('broker_received_bytes_total', 'counter', 'Bytes received, by broker.'),
  f('broker_rtt_seconds', 'summary', 'Request round-trip time, by broker (quantiles of the last window).'),
]

export const FAMILY_BY_NAME: ReadonlyMap<string, Family> = new Map(FAMILIES.map((x) => [x.name, x]))

/** Adds a sample to a family of a scrape (`name` without the turbokafka_ prefix). */
export function put(out: Collected, name: string, labels: Labels, value: number, suffix?: '_sum' | '_count'): void {
  const key = `turbokafka_${name}`
  let list = out.get(key)
  if (list === undefined) out.set(key, (list = []))
  list.push(suffix === undefined ? { labels, value } : { labels, value, suffix })
}
