// runTransactional: the exactly-once consume-transform-produce loop, done right once (docs/api.md).
import type { Consumer } from './consumer'
import { invalidArg, KafkaError } from './errors'
import type { Producer } from './producer'
import type { ConsumedMessage, ProduceInput, TopicPartitionPosition } from './types'
import { checkInt, MAX_MS } from './validate'

export interface TransactionalLoop {
  /** Subscribed (or assigned), `isolation.level: 'read_committed'`, `enable.auto.commit: false`. */
  consumer: Consumer
  /** Transactional, its transactions initialized (initTransactions), none open. */
  producer: Producer
  /** The outputs of one batch, per topic. Throwing aborts the batch's transaction (see below). */
  process: (
    batch: ConsumedMessage[],
  ) => Promise<Array<{ topic: string; messages: ProduceInput[] }>> | Array<{ topic: string; messages: ProduceInput[] }>
  /** Messages per batch, so per transaction (default 1000). */
  maxBatch?: number
  /** Stops the loop after the transaction under way. */
  signal?: AbortSignal
  /** Bound on each commit and abort (default 30 s). */
  timeoutMs?: number
}

export interface TransactionalStats {
  /** Transactions committed. */
  committed: number
  /** Input messages whose outputs were committed. */
  messages: number
  /** Transactions aborted and redone. */
  aborted: number
}

const COMMIT_ATTEMPTS = 3

/** The next offsets to read after `batch`, per partition: the offsets committed with its outputs. */
function nextOffsets(batch: ConsumedMessage[]): TopicPartitionPosition[] {
  const next = new Map<string, TopicPartitionPosition>()
  for (const m of batch) {
    const key = `${m.topic}\u0000${m.partition}`
    const p = next.get(key)
    if (p === undefined || m.offset + 1 > p.offset)
      next.set(key, { topic: m.topic, partition: m.partition, offset: m.offset + 1 })
  }
  return [...next.values()]
}

/** Where `batch` began, per partition: where to read again after an abort. */
function firstOffsets(batch: ConsumedMessage[]): TopicPartitionPosition[] {
  const first = new Map<string, TopicPartitionPosition>()
  for (const m of batch) {
    const key = `${m.topic}\u0000${m.partition}`
    const p = first.get(key)
    if (p === undefined || m.offset < p.offset)
      first.set(key, { topic: m.topic, partition: m.partition, offset: m.offset })
  }
  return [...first.values()]
}

/** One batch in one transaction: begin, outputs, the batch's offsets, commit. */
async function once(loop: TransactionalLoop, batch: ConsumedMessage[], timeoutMs: number): Promise<void> {
  const { producer, consumer } = loop
  producer.beginTransaction()
  const outputs = await loop.process(batch)
  const reports = await Promise.all(outputs.map((o) => producer.produceBatch(o.topic, o.messages)))
  const failed = reports.find((r) => r.failed > 0)
  if (failed !== undefined) throw failed.errors[0]!.error
  await producer.sendOffsetsToTransaction(consumer, nextOffsets(batch), { timeoutMs })
  // A commit that failed retriably (and need not be aborted) may have reached the coordinator:
  // commit again rather than abort, a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await producer.commitTransaction({ timeoutMs })
    } catch (err) {
      const again = err instanceof KafkaError && err.retriable && !err.abortable && !err.fatal
      if (!again || attempt === COMMIT_ATTEMPTS) throw err
    }
  }
}

/**
 * Runs the consume-transform-produce loop with exactly-once results until `signal` aborts or the
 * consumer closes. Each batch is one transaction: `process` turns it into outputs, they are
 * written, the batch's next offsets are added, and the transaction commits. The rules it keeps:
 *
 * - A failure aborts the transaction and rewinds the consumer to the start of the batch, so that
 *   nothing of it counts and it is read again.
 * - A commit that fails retriably (e.g. `_TIMED_OUT`) and need not be aborted is tried again
 *   first (3 attempts): it may have reached the coordinator.
 * - Then a retriable or abortable KafkaError (a leader moved, a commit timed out) redoes the batch
 *   in a new transaction; a fatal one (fenced by a newer instance with the same transactional.id)
 *   and any error `process` throws end the loop, rejecting with it.
 * - Side effects of `process` outside Kafka are not undone: they happen once per attempt.
 */
export async function runTransactional(loop: TransactionalLoop): Promise<TransactionalStats> {
  const maxBatch = checkInt('runTransactional: maxBatch', loop.maxBatch ?? 1000, 1, 1_000_000)
  const timeoutMs = checkInt('runTransactional: timeoutMs', loop.timeoutMs ?? 30_000, 1, MAX_MS)
  if (typeof loop.process !== 'function') throw invalidArg('runTransactional: process must be a function')
  const { consumer, producer } = loop
  const stats: TransactionalStats = { committed: 0, messages: 0, aborted: 0 }
  while (loop.signal?.aborted !== true && !consumer.closed) {
    const batch = await consumer.consumeBatch(maxBatch, 200)
    if (batch.length === 0) continue
    try {
      await once(loop, batch, timeoutMs)
      stats.committed++
      stats.messages += batch.length
    } catch (err) {
      const redo = err instanceof KafkaError && !err.fatal && (err.retriable || err.abortable)
      if (err instanceof KafkaError && err.fatal) throw err
      await producer.abortTransaction({ timeoutMs }).catch((e: unknown) => {
        if (e instanceof KafkaError && e.code !== '_STATE') throw e // _STATE: nothing was open
      })
      stats.aborted++
      await consumer.seek(firstOffsets(batch)).catch(() => {}) // lost partitions resume where their new owner commits
      if (!redo) throw err
    }
  }
  return stats
}
