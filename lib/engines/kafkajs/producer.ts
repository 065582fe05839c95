// The kafkajs producer engine. produceBatch calls are queued, and the queue goes out as kafkajs
// sendBatch requests: when linger.ms has passed for its oldest message, when it holds a full
// batch (batch.num.messages / batch.size), or on flush and close. Each request's outcome is
// reported back to the batches its messages came from, by index.
import type { EventEmitter } from 'node:events'

import type { Message as KafkajsMessage, Producer as KafkajsProducer, RecordMetadata, TopicMessages } from 'kafkajs'

import { batchValues, type FlatBatch } from '../../batch'
import type { ResolvedProducerConfig } from '../../config'
import { kafkajs } from '../../engine'
import { invalidArg, KafkaError } from '../../errors'
import type { BatchFailure, BatchReport, ProducerStats } from '../../types'
import { MAX_INT32 } from '../../validate'
import type { ProducerEngine } from '../contract'
import { createKafka, partitioner, reach, within } from './client'
import { kafkajsProducerSettings, type ProducerSettings } from './config'
import { fromKafkajs, transactionsUnavailable } from './errors'

/** One produceBatch call until every message of it is delivered or failed. */
interface Batch {
  remaining: number
  delivered: number
  errors: BatchFailure[]
  /** With offsets asked for: where each message was written. */
  partitions?: Int32Array
  offsets?: Float64Array
  resolve: (report: BatchReport) => void
}

/** One message waiting to be sent or in flight. */
interface Outgoing {
  batch: Batch
  index: number
  topic: string
  message: KafkajsMessage
  bytes: number
  /** When produceBatch took it (for linger.ms and message.timeout.ms). */
  at: number
  done: boolean
}

/** Rebuilds kafkajs messages from the flat batch produceBatch validated (the payloads are not copied). */
function toMessages(batch: FlatBatch, count: number): Array<{ message: KafkajsMessage; bytes: number }> {
  const out = new Array<{ message: KafkajsMessage; bytes: number }>(count)
  const values = batchValues(batch, count)
  for (let i = 0; i < count; i++) {
    const value = values[i]!
    const message: KafkajsMessage = { value }
    let bytes = value === null ? 0 : value.length
    const key = batch.keys?.[i]
    if (key != null) {
      message.key = key
      bytes += key.length
    }
    const partition = batch.partitions?.[i]
    if (partition !== undefined && partition >= 0) message.partition = partition
    const ts = batch.timestamps?.[i]
    if (ts) message.timestamp = String(ts)
    const flat = batch.headers?.[i]
    if (flat !== undefined) {
      const headers: Record<string, Buffer[]> = Object.create(null)
      for (let h = 0; h + 1 < flat.length; h += 2) {
        const name = flat[h] as string
        const v = flat[h + 1] as Buffer | null
        if (v === null) {
          throw invalidArg(
            `messages[${i}].headers[${JSON.stringify(name)}]: the kafkajs engine cannot send a null header value`,
            {
              index: i,
            },
          )
        }
        ;(headers[name] ??= []).push(v)
        bytes += name.length + (v === null ? 0 : v.length)
      }
      message.headers = headers as KafkajsMessage['headers']
    }
    out[i] = { message, bytes: bytes + 70 }
  }
  return out
}

const COMPRESSION: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }

/** kafkajs ships gzip only; its other codecs throw until an application registers one. */
function hasCodec(lib: typeof import('kafkajs'), type: number): boolean {
  try {
    return lib.CompressionCodecs[type as 2]?.() != null
  } catch {
    return false
  }
}

export class KafkajsProducerEngine implements ProducerEngine {
  readonly name = 'kafkajs'
  readonly #settings: ProducerSettings
  readonly #producer: KafkajsProducer
  readonly #compression: number
  /** The partition kafkajs's partitioner chose for each message, for delivery offsets. */
  readonly #chosen = new WeakMap<object, number>()
  #connecting: Promise<void> | undefined
  /** Waiting to be sent, oldest first; `#head` is the first not yet taken. */
  #queue: Outgoing[] = []
  #head = 0
  #queuedBytes = 0
  readonly #inFlight = new Set<Outgoing[]>()
  #inFlightMessages = 0
  #inFlightBytes = 0
  #timer: NodeJS.Timeout | undefined
  /** While > 0 (a flush or close), the queue goes out without waiting for linger.ms. */
  #urgent = 0
  #closed = false
  readonly #idle: Array<() => void> = []
  #pendingBatches = 0
  #produced = 0
  #delivered = 0
  #failed = 0
  #bytesDelivered = 0

  constructor(resolved: ResolvedProducerConfig, events: WeakRef<EventEmitter>) {
    const s = kafkajsProducerSettings(resolved.librdkafka)
    this.#settings = s
    this.#compression = COMPRESSION[s.compression]!
    const lib = kafkajs()
    if (this.#compression > 1 && !hasCodec(lib, this.#compression)) {
      throw invalidArg(
        `config "compression.type": kafkajs has no ${s.compression} codec registered; register one in kafkajs's ` +
          `CompressionCodecs (e.g. from the kafkajs-${s.compression} package) or use engine: 'native'`,
        { key: 'compression.type' },
      )
    }
    // Retries back off from retry.backoff.ms up to 1 s, as librdkafka's do, and stop in about
    // message.timeout.ms (which also bounds each send below).
    const retries = s.retries ?? (s.messageTimeoutMs > 0 ? Math.ceil(s.messageTimeoutMs / 1000) + 4 : MAX_INT32)
    this.#producer = createKafka(s, events).producer({
      idempotent: s.idempotent,
      createPartitioner: partitioner(s.partitioner, this.#chosen),
      allowAutoTopicCreation: true,
      metadataMaxAge: s.metadataMaxAge,
      retry: { retries, initialRetryTime: s.retryBackoffMs ?? 100, maxRetryTime: 1000 },
    })
  }

  connect(timeoutMs: number): Promise<void> {
    return reach(() => this.#connect(), timeoutMs)
  }

  #connect(): Promise<void> {
    this.#connecting ??= this.#producer.connect().catch((err) => {
      this.#connecting = undefined // the next send tries again
      throw err
    })
    return this.#connecting
  }

  send(topic: string, flat: FlatBatch, count: number, _origin: Error, offsets: boolean): Promise<BatchReport> {
    const messages = toMessages(flat, count)
    const now = Date.now()
    return new Promise<BatchReport>((resolve) => {
      const batch: Batch = { remaining: count, delivered: 0, errors: [], resolve }
      if (offsets) {
        batch.partitions = new Int32Array(count).fill(-1)
        batch.offsets = new Float64Array(count).fill(-1)
      }
      this.#pendingBatches++
      this.#produced += count
      for (let i = 0; i < count; i++) {
        const { message, bytes } = messages[i]!
        this.#queue.push({ batch, index: i, topic, message, bytes, at: now, done: false })
        this.#queuedBytes += bytes
      }
      this.#pump()
    })
  }

  /** Starts as many sends as linger, the batch limits and the in-flight limit allow. */
  #pump(): void {
    const s = this.#settings
    while (this.#inFlight.size < s.maxInFlight && this.#head < this.#queue.length) {
      const waiting = this.#queue.length - this.#head
      const oldest = this.#queue[this.#head]!
      const due =
        this.#urgent > 0 ||
        waiting >= s.batchMessages ||
        this.#queuedBytes >= s.batchBytes ||
        Date.now() - oldest.at >= s.lingerMs
      if (!due) {
        if (this.#timer === undefined) {
          this.#timer = setTimeout(
            () => {
              this.#timer = undefined
              this.#pump()
            },
            Math.max(0, oldest.at + s.lingerMs - Date.now()),
          )
        }
        return
      }
      const chunk = this.#take()
      if (chunk.length === 0) return // the queue limits are reached: wait for a send to finish
      void this.#sendChunk(chunk)
    }
  }

  /** The next request's messages: up to batch.num.messages and batch.size, within the queue limits. */
  #take(): Outgoing[] {
    const s = this.#settings
    const chunk: Outgoing[] = []
    let bytes = 0
    while (this.#head < this.#queue.length && chunk.length < s.batchMessages) {
      const next = this.#queue[this.#head]!
      if (chunk.length > 0 && bytes + next.bytes > s.batchBytes) break
      if (this.#inFlightMessages + chunk.length >= s.queueMessages) break
      if (chunk.length > 0 && this.#inFlightBytes + bytes + next.bytes > s.queueBytes) break
      chunk.push(next)
      bytes += next.bytes
      this.#head++
    }
    this.#queuedBytes -= bytes
    this.#inFlightMessages += chunk.length
    this.#inFlightBytes += bytes
    if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
    return chunk
  }

  async #sendChunk(chunk: Outgoing[]): Promise<void> {
    this.#inFlight.add(chunk)
    const s = this.#settings
    let metadata: RecordMetadata[] = []
    try {
      await this.#connect()
      const byTopic = new Map<string, KafkajsMessage[]>()
      for (const o of chunk) {
        let list = byTopic.get(o.topic)
        if (list === undefined) byTopic.set(o.topic, (list = []))
        list.push(o.message)
      }
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }))
      const request: Promise<RecordMetadata[]> = this.#producer.sendBatch({
        topicMessages,
        acks: s.acks,
        compression: this.#compression,
        timeout: s.requestTimeoutMs,
      })
      if (s.messageTimeoutMs > 0) {
        const left = chunk[0]!.at + s.messageTimeoutMs - Date.now()
        metadata = await within(request, Math.max(1, left), 'message delivery').catch((err: KafkaError) => {
          if (err instanceof KafkaError && err.code === '_TIMED_OUT') {
            throw new KafkaError(`not delivered within message.timeout.ms (${s.messageTimeoutMs} ms)`, {
              code: '_MSG_TIMED_OUT',
              retriable: true,
            })
          }
          throw err
        })
      } else {
        metadata = await request
      }
      this.#finish(chunk, undefined, metadata)
    } catch (err) {
      this.#finish(chunk, fromKafkajs(err))
    }
  }

  /** Reports a chunk's outcome to its batches, then lets the next send go. */
  #finish(chunk: Outgoing[], error: KafkaError | undefined, metadata: RecordMetadata[] = []): void {
    if (!this.#inFlight.delete(chunk)) return // already failed by close()
    if (error === undefined) this.#placeAll(chunk, metadata)
    for (const o of chunk) {
      this.#inFlightMessages--
      this.#inFlightBytes -= o.bytes
      this.#settle(o, error)
    }
    this.#pump()
  }

  /**
   * Where each message of a delivered chunk went, for the batches that asked: kafkajs reports one
   * base offset per partition, and a partition's messages follow it in the order they were sent.
   */
  #placeAll(chunk: Outgoing[], metadata: RecordMetadata[]): void {
    if (!chunk.some((o) => o.batch.offsets !== undefined)) return
    const next = new Map<string, number>()
    for (const m of metadata) next.set(`${m.topicName}\0${m.partition}`, Number(m.baseOffset ?? -1))
    for (const o of chunk) {
      const partition = this.#chosen.get(o.message) ?? -1
      const key = `${o.topic}\0${partition}`
      const offset = next.get(key) ?? -1
      if (offset >= 0) next.set(key, offset + 1)
      if (o.batch.offsets === undefined) continue
      o.batch.partitions![o.index] = partition
      o.batch.offsets[o.index] = offset
    }
  }

  #settle(o: Outgoing, error: KafkaError | undefined): void {
    if (o.done) return
    o.done = true
    const batch = o.batch
    if (error === undefined) {
      batch.delivered++
      this.#delivered++
      this.#bytesDelivered += o.message.value == null ? 0 : (o.message.value as Buffer).length
    } else {
      batch.errors.push({ index: o.index, error })
      this.#failed++
    }
    if (--batch.remaining === 0) {
      batch.errors.sort((a, b) => a.index - b.index)
      const report: BatchReport = { delivered: batch.delivered, failed: batch.errors.length, errors: batch.errors }
      if (batch.offsets !== undefined) {
        report.partitions = batch.partitions
        report.offsets = batch.offsets
      }
      batch.resolve(report)
      if (--this.#pendingBatches === 0) for (const wake of this.#idle.splice(0)) wake()
    }
  }

  #whenIdle(): Promise<void> {
    if (this.#pendingBatches === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  async flush(timeoutMs: number): Promise<void> {
    this.#urgent++
    this.#pump()
    try {
      await within(this.#whenIdle(), timeoutMs, 'flush')
    } catch {
      if (this.#closed) return
      const left = this.#produced - this.#delivered - this.#failed
      throw new KafkaError(`flush timed out after ${timeoutMs} ms with ${left} messages undelivered`, {
        code: '_TIMED_OUT',
        retriable: true,
      })
    } finally {
      this.#urgent--
    }
  }

  async close(timeoutMs: number): Promise<void> {
    this.#urgent++ // close sends what is queued at once, like flush
    this.#pump()
    await within(this.#whenIdle(), timeoutMs, 'close').catch(() => {})
    this.#closed = true
    clearTimeout(this.#timer)
    const purged = new KafkaError('purged from the queue: the producer was closed before it was delivered', {
      code: '_PURGE_QUEUE',
    })
    for (const chunk of [...this.#inFlight]) {
      this.#inFlight.delete(chunk)
      for (const o of chunk) this.#settle(o, purged)
    }
    for (let i = this.#head; i < this.#queue.length; i++) this.#settle(this.#queue[i]!, purged)
    this.#queue = []
    this.#head = 0
    await this.#producer.disconnect().catch(() => {})
  }

  // Transactions run on the native engine only: kafkajs sends a transaction's messages through a
  // transaction object of its own, which this engine's batching queue does not drive.
  initTransactions(): Promise<void> {
    return Promise.reject(transactionsUnavailable())
  }

  beginTransaction(): void {
    throw transactionsUnavailable()
  }

  sendOffsetsToTransaction(): Promise<void> {
    return Promise.reject(transactionsUnavailable())
  }

  commitTransaction(): Promise<void> {
    return Promise.reject(transactionsUnavailable())
  }

  abortTransaction(): Promise<void> {
    return Promise.reject(transactionsUnavailable())
  }

  stats(): ProducerStats {
    const queued = this.#produced - this.#delivered - this.#failed
    const waiting = this.#queue.length - this.#head
    return {
      produced: this.#produced,
      delivered: this.#delivered,
      failed: this.#failed,
      queued,
      bytesDelivered: this.#bytesDelivered,
      // Messages held back because queue.buffering.max.messages are already in flight.
      backlog: Math.max(0, waiting + this.#inFlightMessages - this.#settings.queueMessages),
      pendingBatches: this.#pendingBatches,
    }
  }
}
