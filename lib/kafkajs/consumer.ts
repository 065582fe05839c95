// kafkajs's consumer over turbokafka's native Consumer: subscribe, run (lib/kafkajs/runner.ts),
// commitOffsets, seek, pause and resume, describeGroup, stop, disconnect, and kafkajs's
// instrumentation events where librdkafka lets them be observed. fromBeginning is librdkafka's
// auto.offset.reset, a setting of the client, so the native consumer is made once the
// subscriptions say which (at run).
import { EventEmitter } from 'node:events'

import type {
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  GroupDescription,
  TopicPartitionOffsetAndMetadata,
} from 'kafkajs'

import { Consumer } from '../consumer'
import { kafkajs } from '../engine'
import { partitionKey } from '../engines/shared'
import type { LogEntry, RebalanceEvent, TopicPartition } from '../types'
import { CompatAdmin } from './admin'
import { onlyKnown, retry, type Settings } from './config'
import { notSupported, toKafkajs } from './errors'
import { Runner, type RunnerHost } from './runner'

const CONSUMER_KEYS = new Set([
  'groupId',
  'partitionAssigners',
  'metadataMaxAge',
  'sessionTimeout',
  'rebalanceTimeout',
  'heartbeatInterval',
  'maxBytesPerPartition',
  'minBytes',
  'maxBytes',
  'maxWaitTimeInMs',
  'retry',
  'allowAutoTopicCreation',
  'maxInFlightRequests',
  'readUncommitted',
  'rackId',
])

const NUMERIC: Array<[keyof ConsumerConfig, string]> = [
  ['sessionTimeout', 'session.timeout.ms'],
  ['rebalanceTimeout', 'max.poll.interval.ms'],
  ['heartbeatInterval', 'heartbeat.interval.ms'],
  ['maxBytesPerPartition', 'max.partition.fetch.bytes'],
  ['minBytes', 'fetch.min.bytes'],
  ['maxBytes', 'fetch.max.bytes'],
  ['maxWaitTimeInMs', 'fetch.wait.max.ms'],
  ['metadataMaxAge', 'topic.metadata.refresh.interval.ms'],
  ['maxInFlightRequests', 'max.in.flight.requests.per.connection'],
]

const EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const
const OBSERVED = new Set<string>([
  EVENTS.COMMIT_OFFSETS,
  EVENTS.GROUP_JOIN,
  EVENTS.START_BATCH_PROCESS,
  EVENTS.END_BATCH_PROCESS,
  EVENTS.CONNECT,
  EVENTS.DISCONNECT,
  EVENTS.STOP,
  EVENTS.CRASH,
  EVENTS.REBALANCING,
])

/** librdkafka settings for kafkajs consumer options. */
function consumerSettings(client: Settings, config: ConsumerConfig): Settings {
  if (config === null || typeof config !== 'object' || typeof config.groupId !== 'string' || config.groupId === '')
    throw toKafkajs(new TypeError('Consumer groupId must be a non-empty string'))
  onlyKnown('consumer', config, CONSUMER_KEYS)
  const out: Settings = {
    ...client,
    ...retry(config.retry, false),
    'group.id': config.groupId,
    'enable.auto.commit': false,
    // kafkajs's defaults where they differ from librdkafka's.
    'session.timeout.ms': 30_000,
    'max.poll.interval.ms': 60_000,
    'heartbeat.interval.ms': 3000,
  }
  for (const [key, setting] of NUMERIC) if (config[key] !== undefined) out[setting] = config[key] as number
  if (config.readUncommitted === true) out['isolation.level'] = 'read_uncommitted'
  if (config.allowAutoTopicCreation === false) out['allow.auto.create.topics'] = false
  if (config.rackId !== undefined) out['client.rack'] = config.rackId
  if (config.partitionAssigners !== undefined) out['partition.assignment.strategy'] = assigners(config)
  return out
}

function assigners(config: ConsumerConfig): string {
  const { PartitionAssigners } = kafkajs()
  return config
    .partitionAssigners!.map((a) => {
      if (a === PartitionAssigners.roundRobin) return 'roundrobin'
      throw notSupported('a partition assigner other than PartitionAssigners.roundRobin')
    })
    .join(',')
}

export class CompatConsumer implements RunnerHost {
  readonly events = EVENTS
  readonly groupId: string
  readonly retryMs: number
  running = false
  readonly #settings: Settings
  readonly #emitter = new EventEmitter()
  readonly #topics: Array<string | RegExp> = []
  #fromBeginning: boolean | undefined
  #native: Consumer | undefined
  #runner: Runner | undefined
  #loop: Promise<void> | undefined
  readonly #seeks = new Map<string, TopicPartition & { offset: number }>()
  readonly #touched = new Set<string>()
  readonly #pausedTopics = new Set<string>()
  #eventId = 0

  readonly #log: ((namespace: string, e: LogEntry) => void) | undefined

  constructor(client: Settings, config: ConsumerConfig, log?: (namespace: string, e: LogEntry) => void) {
    this.#log = log
    this.#settings = consumerSettings(client, config)
    this.groupId = config.groupId
    this.retryMs = config.retry?.initialRetryTime ?? 300
  }

  get consumer(): Consumer {
    this.#native ??= this.#create()
    return this.#native
  }

  #create(): Consumer {
    const c = new Consumer({
      ...this.#settings,
      'group.id': this.groupId,
      'auto.offset.reset': this.#fromBeginning ? 'earliest' : 'latest',
      engine: 'native',
    })
    c.on('rebalance', (e) => this.#rebalanced(e))
    const log = this.#log
    if (log !== undefined) c.on('log', (e) => log('Consumer', e))
    return c
  }

  listens(type: string): boolean {
    return this.#emitter.listenerCount(type) > 0
  }

  emit(type: string, payload: unknown): void {
    if (this.#emitter.listenerCount(type) === 0) return
    this.#emitter.emit(type, { id: ++this.#eventId, type, timestamp: Date.now(), payload })
  }

  async connect(): Promise<void> {
    try {
      await this.consumer.connect()
    } catch (err) {
      throw toKafkajs(err)
    }
    this.emit(EVENTS.CONNECT, null)
  }

  async subscribe(s: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.running) throw notSupported('subscribe() while running', 'subscribe before run()')
    const topics = 'topics' in s && s.topics ? s.topics : [(s as ConsumerSubscribeTopic).topic]
    const from = s.fromBeginning === true
    if (this.#fromBeginning !== undefined && this.#fromBeginning !== from)
      throw notSupported('subscriptions with different fromBeginning', 'librdkafka has one auto.offset.reset')
    if (this.#native !== undefined && this.#fromBeginning !== from) {
      const old = this.#native
      this.#native = undefined
      await old.close()
    }
    this.#fromBeginning = from
    this.#topics.push(...topics)
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.running) return
    if (!config.eachMessage && !config.eachBatch) throw toKafkajs(new TypeError('run: eachMessage or eachBatch'))
    if (this.#topics.length === 0) throw toKafkajs(new TypeError('run: subscribe() to a topic first'))
    this.consumer.subscribe(this.#topics)
    this.running = true
    this.#runner = new Runner(this, config)
    this.#loop = this.#runner.loop().catch((error: unknown) => {
      this.emit(EVENTS.CRASH, { error, groupId: this.groupId, restart: false })
    })
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    await this.#loop
    await this.#runner?.flush().catch(() => {})
    this.consumer.unsubscribe()
    this.emit(EVENTS.STOP, null)
  }

  async disconnect(): Promise<void> {
    await this.stop()
    await this.#native?.close()
    this.#native = undefined
    this.emit(EVENTS.DISCONNECT, null)
  }

  async commitOffsets(list: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    await this.consumer
      .commit(list.map((p) => ({ topic: p.topic, partition: p.partition, offset: Number(p.offset) })))
      .catch((err: unknown) => {
        throw toKafkajs(err)
      })
  }

  /** kafkajs's seek: applied before the next batch, or once the partition is assigned. */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    const key = partitionKey(topic, partition)
    this.#seeks.set(key, { topic, partition, offset: Number(offset) })
    this.#touched.add(key)
  }

  takeSeeks(): void {
    this.#touched.clear()
    if (this.#seeks.size === 0 || this.#native === undefined) return
    const assigned = new Set(this.consumer.assignment().map((a) => partitionKey(a.topic, a.partition)))
    const now = [...this.#seeks].filter(([key]) => assigned.has(key))
    for (const [key] of now) this.#seeks.delete(key)
    if (now.length > 0) void this.consumer.seek(now.map(([, s]) => s)).catch(() => {})
  }

  touched(tp: TopicPartition): boolean {
    return this.#touched.size > 0 && this.#touched.has(partitionKey(tp.topic, tp.partition))
  }

  pauseNow(tp: TopicPartition): void {
    this.consumer.pause([tp])
    this.#touched.add(partitionKey(tp.topic, tp.partition))
  }

  seekTo(tp: TopicPartition, offset: number): void {
    this.#seeks.set(partitionKey(tp.topic, tp.partition), { ...tp, offset })
  }

  seekPending(tp: TopicPartition): boolean {
    return this.#seeks.has(partitionKey(tp.topic, tp.partition))
  }

  #partitionsOf(topics: Array<{ topic: string; partitions?: number[] }>): TopicPartition[] {
    const assigned = this.#native?.assignment() ?? []
    return topics.flatMap(({ topic, partitions }) =>
      partitions ? partitions.map((partition) => ({ topic, partition })) : assigned.filter((a) => a.topic === topic),
    )
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const t of topics) if (!t.partitions) this.#pausedTopics.add(t.topic)
    const list = this.#partitionsOf(topics)
    if (list.length > 0) this.consumer.pause(list)
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const t of topics) this.#pausedTopics.delete(t.topic)
    const list = this.#partitionsOf(topics)
    if (list.length > 0) this.consumer.resume(list)
  }

  paused(): Array<{ topic: string; partitions: number[] }> {
    const topics = [...this.#pausedTopics].map((topic) => ({ topic, partitions: this.#partitionsOf([{ topic }]) }))
    return topics.map(({ topic, partitions }) => ({ topic, partitions: partitions.map((p) => p.partition) }))
  }

  #rebalanced(e: RebalanceEvent): void {
    if (e.type === 'revoke') {
      this.emit(EVENTS.REBALANCING, { groupId: this.groupId, memberId: '' })
      return
    }
    const again = e.partitions.filter((p) => this.#pausedTopics.has(p.topic))
    if (again.length > 0) this.consumer.pause(again)
    const memberAssignment: Record<string, number[]> = {}
    for (const p of this.consumer.assignment()) (memberAssignment[p.topic] ??= []).push(p.partition)
    this.emit(EVENTS.GROUP_JOIN, {
      groupId: this.groupId,
      memberId: '',
      leaderId: '',
      isLeader: false,
      memberAssignment,
      groupProtocol: e.protocol,
      duration: 0,
    })
  }

  async describeGroup(): Promise<GroupDescription> {
    const admin = new CompatAdmin(this.#settings)
    try {
      const { groups } = await admin.describeGroups([this.groupId])
      return groups[0] as GroupDescription
    } finally {
      await admin.disconnect()
    }
  }

  on(event: string, listener: (e: unknown) => void): () => void {
    if (!OBSERVED.has(event)) throw notSupported(`consumer event "${event}"`, 'librdkafka does not expose it')
    this.#emitter.on(event, listener)
    return () => this.#emitter.off(event, listener)
  }

  logger(): never {
    throw notSupported('consumer.logger()', 'pass logCreator to Kafka')
  }
}
