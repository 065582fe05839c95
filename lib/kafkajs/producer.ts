// kafkajs's producer over turbokafka's native Producer. Every send() and sendBatch() made while
// the current batch is open (until the event loop's next turn, or 10,000 messages) joins it: one
// produceBatch per topic carries them all (payload Buffers are not copied), and each caller's
// promise settles with its own messages' outcome, as kafkajs's RecordMetadata. acks, compression
// and timeout are librdkafka producer settings, so each combination a program uses gets a native
// producer of its own (created at first use); order holds within each.
import { EventEmitter } from 'node:events'

import type { ProducerBatch, ProducerConfig, ProducerRecord, RecordMetadata } from 'kafkajs'

import { Producer } from '../producer'
import type { BatchReport, LogEntry, Message } from '../types'
import { onlyKnown, retry, type Settings } from './config'
import { notSupported, toKafkajs } from './errors'
import { PartitionChooser } from './partitioners'

const PRODUCER_KEYS = new Set([
  'createPartitioner',
  'retry',
  'metadataMaxAge',
  'allowAutoTopicCreation',
  'idempotent',
  'maxInFlightRequests',
])
const MAX_OPEN = 10_000
const CODEC: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' }
const EVENTS = { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' } as const

/** One send() (or one topic of a sendBatch) waiting in the open batch. */
interface Waiting {
  start: number
  end: number
  settle: (report: BatchReport) => void
}

interface Open {
  native: Producer
  topics: Map<string, { messages: Message[]; waiting: Waiting[] }>
  count: number
}

/** kafkajs's RecordMetadata of messages [start, end) of a report: one per partition written. */
function metadataOf(topic: string, report: BatchReport, start: number, end: number): RecordMetadata[] {
  if (end - start === 1) return [record(topic, report.partitions![start]!, report.offsets![start]!)]
  const first = new Map<number, number>()
  for (let i = start; i < end; i++) {
    const p = report.partitions![i]!
    const o = report.offsets![i]!
    const seen = first.get(p)
    if (seen === undefined || o < seen) first.set(p, o)
  }
  return [...first].map(([partition, offset]) => record(topic, partition, offset))
}

function record(topicName: string, partition: number, offset: number): RecordMetadata {
  return { topicName, partition, errorCode: 0, baseOffset: String(offset), logAppendTime: '-1', logStartOffset: '-1' }
}

export class CompatProducer {
  readonly events = EVENTS
  readonly #settings: Settings
  readonly #idempotent: boolean
  readonly #natives = new Map<string, Producer>()
  readonly #emitter = new EventEmitter()
  readonly #chooser: PartitionChooser
  #open: Open | undefined
  #connected = false

  readonly #log: ((namespace: string, e: LogEntry) => void) | undefined

  constructor(client: Settings, config: ProducerConfig = {}, log?: (namespace: string, e: LogEntry) => void) {
    this.#log = log
    onlyKnown('producer', config, PRODUCER_KEYS, 'transactions: use turbokafka’s Producer')
    this.#idempotent = config.idempotent === true
    this.#settings = {
      ...client,
      ...retry(config.retry, true),
      acks: -1,
      'enable.idempotence': this.#idempotent,
      // kafkajs sends each call at once; the calls of one event-loop turn already form a batch.
      'linger.ms': 0,
    }
    this.#chooser = new PartitionChooser(config.createPartitioner, client)
    Object.assign(this.#settings, this.#chooser.settings)
    if (config.metadataMaxAge !== undefined)
      this.#settings['topic.metadata.refresh.interval.ms'] = config.metadataMaxAge
    if (config.maxInFlightRequests !== undefined)
      this.#settings['max.in.flight.requests.per.connection'] = config.maxInFlightRequests
    if (config.allowAutoTopicCreation === false) this.#settings['allow.auto.create.topics'] = false
  }

  isIdempotent(): boolean {
    return this.#idempotent
  }

  /** The native producer for these per-send settings (created at first use). */
  #native(acks: number | undefined, compression: number | undefined, timeout: number | undefined): Producer {
    const last = this.#last
    if (last !== undefined && last.acks === acks && last.compression === compression && last.timeout === timeout)
      return last.producer
    const producer = this.#nativeFor(acks, compression, timeout)
    this.#last = { acks, compression, timeout, producer }
    return producer
  }

  /** The last settings asked for and their producer: a service usually sends with one. */
  #last: { acks?: number; compression?: number; timeout?: number; producer: Producer } | undefined

  #nativeFor(acks: number | undefined, compression: number | undefined, timeout: number | undefined): Producer {
    const key = `${acks ?? -1}/${compression ?? 0}/${timeout ?? ''}`
    let p = this.#natives.get(key)
    if (p === undefined) {
      if (this.#idempotent && acks !== undefined && acks !== -1)
        throw notSupported(`acks ${acks} on an idempotent producer`, 'idempotence needs acks -1')
      const codec = CODEC[compression ?? 0]
      if (codec === undefined) throw notSupported(`compression ${compression}`)
      const settings: Settings = { ...this.#settings, acks: acks ?? -1, 'compression.type': codec }
      if (timeout !== undefined) settings['request.timeout.ms'] = timeout
      p = new Producer({ ...settings, preset: 'durable', engine: 'native' })
      const log = this.#log
      if (log !== undefined) p.on('log', (e) => log('Producer', e))
      this.#natives.set(key, p)
    }
    return p
  }

  async connect(): Promise<void> {
    try {
      await this.#native(undefined, undefined, undefined).connect()
    } catch (err) {
      throw toKafkajs(err)
    }
    this.#connected = true
    this.#emitter.emit(EVENTS.CONNECT, { id: 0, type: 'connect', timestamp: Date.now(), payload: null })
  }

  async disconnect(): Promise<void> {
    this.#flushOpen()
    const natives = [...this.#natives.values()]
    this.#natives.clear()
    this.#last = undefined
    await Promise.all(natives.map((p) => p.close()))
    await this.#chooser.close()
    if (this.#connected) {
      this.#connected = false
      this.#emitter.emit(EVENTS.DISCONNECT, { id: 0, type: 'disconnect', timestamp: Date.now(), payload: null })
    }
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (record === null || typeof record !== 'object' || typeof record.topic !== 'string')
      return Promise.reject(toKafkajs(new TypeError('send: expected { topic, messages }')))
    return this.#sendTopics(record, [{ topic: record.topic, messages: record.messages }])
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.#sendTopics(batch, batch.topicMessages ?? [])
  }

  /**
   * No await on the common path (one topic, the native partitioner): a send adds its messages
   * to the open batch at once and returns its own promise.
   */
  #sendTopics(opts: ProducerBatch, topics: NonNullable<ProducerBatch['topicMessages']>): Promise<RecordMetadata[]> {
    try {
      const native = this.#native(opts.acks, opts.compression, opts.timeout)
      const parts = topics.map(({ topic, messages }) => {
        if (!Array.isArray(messages)) throw new TypeError(`sendBatch: ${topic}: messages must be an array`)
        const placed = this.#chooser.placeNow(messages)
        return placed !== undefined
          ? this.#join(native, topic, placed)
          : this.#chooser.place(topic, messages).then((m) => this.#join(native, topic, m))
      })
      return parts.length === 1 ? parts[0]! : Promise.all(parts).then((p) => p.flat())
    } catch (err) {
      return Promise.reject(err instanceof Error && err.name.startsWith('KafkaJS') ? err : toKafkajs(err))
    }
  }

  /** Adds messages to the open batch of `native`; resolves with their metadata once it settles. */
  #join(native: Producer, topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    if (messages.length === 0) return Promise.resolve([])
    const open = this.#openFor(native)
    let t = open.topics.get(topic)
    if (t === undefined) open.topics.set(topic, (t = { messages: [], waiting: [] }))
    const start = t.messages.length
    for (const m of messages) t.messages.push(m)
    open.count += messages.length
    const end = t.messages.length
    const result = new Promise<RecordMetadata[]>((resolve, reject) => {
      t.waiting.push({
        start,
        end,
        settle: (report) => {
          const failure = report.failed === 0 ? undefined : report.errors.find((e) => e.index >= start && e.index < end)
          if (failure) reject(toKafkajs(failure.error))
          else resolve(metadataOf(topic, report, start, end))
        },
      })
    })
    if (open.count >= MAX_OPEN) this.#flushOpen()
    return result
  }

  #openFor(native: Producer): Open {
    if (this.#open !== undefined && this.#open.native !== native) this.#flushOpen()
    if (this.#open === undefined) {
      const open: Open = { native, topics: new Map(), count: 0 }
      this.#open = open
      setImmediate(() => {
        if (this.#open === open) this.#flushOpen()
      })
    }
    return this.#open
  }

  /** Sends the open batch: one produceBatch per topic. */
  #flushOpen(): void {
    const open = this.#open
    if (open === undefined) return
    this.#open = undefined
    for (const [topic, { messages, waiting }] of open.topics) {
      open.native.produceBatch(topic, messages, { offsets: true }).then(
        (report) => {
          for (const w of waiting) w.settle(report)
        },
        (err: unknown) => {
          const report: BatchReport = {
            delivered: 0,
            failed: messages.length,
            errors: messages.map((_, index) => ({ index, error: err as never })),
          }
          for (const w of waiting) w.settle(report)
        },
      )
    }
  }

  on(event: string, listener: (e: unknown) => void): () => void {
    if (event !== EVENTS.CONNECT && event !== EVENTS.DISCONNECT)
      throw notSupported(`producer event "${event}"`, 'connect and disconnect are emitted')
    this.#emitter.on(event, listener)
    return () => this.#emitter.off(event, listener)
  }

  transaction(): never {
    throw notSupported('producer.transaction()', 'use turbokafka’s Producer transactions')
  }

  logger(): never {
    throw notSupported('producer.logger()', 'pass logCreator to Kafka')
  }
}
