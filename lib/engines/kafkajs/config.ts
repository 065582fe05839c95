// librdkafka configuration keys translated into kafkajs settings. Every key is either translated
// or refused: a key the kafkajs engine cannot honour is an error at construction, never ignored.
// docs/engines.md holds the table; keep the two in step.
import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'

import type { ISocketFactory, KafkaConfig, SASLOptions } from 'kafkajs'

import { COMPRESSION_TYPES, type ConfigValue } from '../../config'
import { invalidArg, KafkaError } from '../../errors'
import { describe, MAX_INT32 } from '../../validate'

/** Settings shared by the kafkajs producer and consumer. */
export interface ClientSettings {
  kafka: KafkaConfig
  /** Syslog level (0-7) below which kafkajs log lines are emitted as `log` events. */
  logLevel: number
  metadataMaxAge?: number
}

export interface ProducerSettings extends ClientSettings {
  acks: -1 | 0 | 1
  idempotent: boolean
  /** Sends (kafkajs requests) in flight at once; 1 when idempotent. */
  maxInFlight: number
  compression: string
  lingerMs: number
  batchMessages: number
  batchBytes: number
  queueMessages: number
  queueBytes: number
  requestTimeoutMs: number
  retries?: number
  retryBackoffMs?: number
  messageTimeoutMs: number
  partitioner: string
}

export interface ConsumerSettings extends ClientSettings {
  groupId: string
  autoCommit: boolean
  autoCommitIntervalMs: number
  fromBeginning: boolean
  sessionTimeoutMs?: number
  heartbeatIntervalMs: number
  maxPollIntervalMs: number
  minBytes?: number
  maxBytes?: number
  maxBytesPerPartition?: number
  maxWaitTimeInMs?: number
  readUncommitted: boolean
  assigners: string[]
  allowAutoTopicCreation?: boolean
}

type Handler<S> = (value: ConfigValue, settings: S, key: string) => void

function int(key: string, v: ConfigValue, min = 0, max = MAX_INT32): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw invalidArg(`config "${key}": must be an integer from ${min} to ${max} (got ${describe(v)})`, { key })
  }
  return n
}

function bool(key: string, v: ConfigValue): boolean {
  if (v === true || v === 'true') return true
  if (v === false || v === 'false') return false
  throw invalidArg(`config "${key}": must be true or false (got ${describe(v)})`, { key })
}

function oneOf<T extends string>(key: string, v: ConfigValue, allowed: readonly T[], why = ''): T {
  const s = String(v).toLowerCase()
  if ((allowed as readonly string[]).includes(s)) return s as T
  throw invalidArg(
    `config "${key}": the kafkajs engine supports ${allowed.join(', ')} (got ${describe(v)})${why ? `; ${why}` : ''}`,
    { key },
  )
}

function file(key: string, v: ConfigValue): string {
  try {
    return readFileSync(String(v), 'utf8')
  } catch (err) {
    throw invalidArg(`config "${key}": cannot read ${String(v)}: ${(err as Error).message}`, { key })
  }
}

/** kafkajs's socket, with librdkafka's Nagle and keep-alive choices applied. */
function socketFactory(noDelay: boolean, keepAlive: boolean): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...(ssl as object) }, onConnect)
      : net.connect({ host, port }, onConnect)
    if (keepAlive) socket.setKeepAlive(true, 60_000)
    socket.setNoDelay(noDelay)
    return socket
  }
}

interface ClientDraft {
  brokers?: string[]
  clientId?: string
  protocol: 'plaintext' | 'ssl' | 'sasl_plaintext' | 'sasl_ssl'
  mechanism?: 'plain' | 'scram-sha-256' | 'scram-sha-512'
  username?: string
  password?: string
  tls: tls.ConnectionOptions
  noVerifyHost?: boolean
  connectionTimeout?: number
  requestTimeout?: number
  noDelay: boolean
  keepAlive: boolean
  logLevel: number
  metadataMaxAge?: number
}

const CLIENT_KEYS: Record<string, Handler<ClientDraft>> = {
  'bootstrap.servers': (v, s) => {
    s.brokers = String(v)
      .split(',')
      .map((b) => b.trim().replace(/^[a-z_]+:\/\//i, ''))
      .filter((b) => b.length > 0)
  },
  'client.id': (v, s) => (s.clientId = String(v)),
  'security.protocol': (v, s, k) =>
    (s.protocol = oneOf(k, v, ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'] as const)),
  'sasl.mechanisms': (v, s, k) =>
    (s.mechanism = oneOf(
      k,
      v,
      ['plain', 'scram-sha-256', 'scram-sha-512'] as const,
      'GSSAPI and OAUTHBEARER need engine: "native"',
    )),
  'sasl.username': (v, s) => (s.username = String(v)),
  'sasl.password': (v, s) => (s.password = String(v)),
  'ssl.ca.location': (v, s, k) => (s.tls.ca = file(k, v)),
  'ssl.ca.pem': (v, s) => (s.tls.ca = String(v)),
  'ssl.certificate.location': (v, s, k) => (s.tls.cert = file(k, v)),
  'ssl.certificate.pem': (v, s) => (s.tls.cert = String(v)),
  'ssl.key.location': (v, s, k) => (s.tls.key = file(k, v)),
  'ssl.key.pem': (v, s) => (s.tls.key = String(v)),
  'ssl.key.password': (v, s) => (s.tls.passphrase = String(v)),
  'enable.ssl.certificate.verification': (v, s, k) => (s.tls.rejectUnauthorized = bool(k, v)),
  'ssl.endpoint.identification.algorithm': (v, s, k) =>
    (s.noVerifyHost = oneOf(k, v, ['https', 'none'] as const) === 'none'),
  'socket.connection.setup.timeout.ms': (v, s, k) => (s.connectionTimeout = int(k, v, 1)),
  'socket.timeout.ms': (v, s, k) => (s.requestTimeout = int(k, v, 10)),
  'socket.nagle.disable': (v, s, k) => (s.noDelay = bool(k, v)),
  'socket.keepalive.enable': (v, s, k) => (s.keepAlive = bool(k, v)),
  'topic.metadata.refresh.interval.ms': (v, s, k) => (s.metadataMaxAge = int(k, v, 0)),
  log_level: (v, s, k) => (s.logLevel = int(k, v, 0, 7)),
}
CLIENT_KEYS['metadata.broker.list'] = CLIENT_KEYS['bootstrap.servers']!
CLIENT_KEYS['sasl.mechanism'] = CLIENT_KEYS['sasl.mechanisms']!

const PRODUCER_KEYS: Record<string, Handler<ProducerSettings>> = {
  acks: (v, s, k) => {
    const a = String(v)
    if (a === 'all' || a === '-1') s.acks = -1
    else if (a === '0' || a === '1') s.acks = Number(a) as 0 | 1
    else throw invalidArg(`config "${k}": must be all, -1, 0 or 1 (got ${describe(v)})`, { key: k })
  },
  'enable.idempotence': (v, s, k) => (s.idempotent = bool(k, v)),
  'max.in.flight.requests.per.connection': (v, s, k) => (s.maxInFlight = int(k, v, 1, 1_000_000)),
  'compression.type': (v, s, k) => (s.compression = oneOf(k, v, COMPRESSION_TYPES)),
  'linger.ms': (v, s, k) => (s.lingerMs = int(k, v, 0, 900_000)),
  'batch.num.messages': (v, s, k) => (s.batchMessages = int(k, v, 1, 1_000_000)),
  'batch.size': (v, s, k) => (s.batchBytes = int(k, v, 1)),
  'queue.buffering.max.messages': (v, s, k) => (s.queueMessages = int(k, v, 1)),
  'queue.buffering.max.kbytes': (v, s, k) => (s.queueBytes = int(k, v, 1) * 1024),
  'request.timeout.ms': (v, s, k) => (s.requestTimeoutMs = int(k, v, 1, 900_000)),
  'message.timeout.ms': (v, s, k) => (s.messageTimeoutMs = int(k, v, 0)),
  retries: (v, s, k) => (s.retries = int(k, v, 0)),
  'retry.backoff.ms': (v, s, k) => (s.retryBackoffMs = int(k, v, 1, 300_000)),
  partitioner: (v, s, k) =>
    (s.partitioner = oneOf(k, v, ['consistent_random', 'consistent', 'murmur2_random', 'random'] as const)),
}
PRODUCER_KEYS['request.required.acks'] = PRODUCER_KEYS.acks!
PRODUCER_KEYS['queue.buffering.max.ms'] = PRODUCER_KEYS['linger.ms']!
PRODUCER_KEYS['compression.codec'] = PRODUCER_KEYS['compression.type']!
PRODUCER_KEYS['message.send.max.retries'] = PRODUCER_KEYS.retries!
PRODUCER_KEYS['delivery.timeout.ms'] = PRODUCER_KEYS['message.timeout.ms']!
PRODUCER_KEYS['max.in.flight'] = PRODUCER_KEYS['max.in.flight.requests.per.connection']!

const CONSUMER_KEYS: Record<string, Handler<ConsumerSettings>> = {
  'group.id': (v, s) => (s.groupId = String(v)),
  'enable.auto.commit': (v, s, k) => (s.autoCommit = bool(k, v)),
  'auto.commit.interval.ms': (v, s, k) => (s.autoCommitIntervalMs = int(k, v, 1)),
  'enable.auto.offset.store': (v, _s, k) => {
    if (!bool(k, v)) {
      throw invalidArg(`config "${k}": the kafkajs engine always stores the offsets of what consumeBatch returned`, {
        key: k,
      })
    }
  },
  'auto.offset.reset': (v, s, k) => {
    const r = oneOf(k, v, ['earliest', 'smallest', 'beginning', 'latest', 'largest', 'end'] as const)
    s.fromBeginning = r === 'earliest' || r === 'smallest' || r === 'beginning'
  },
  'session.timeout.ms': (v, s, k) => (s.sessionTimeoutMs = int(k, v, 1)),
  'heartbeat.interval.ms': (v, s, k) => (s.heartbeatIntervalMs = int(k, v, 1)),
  'max.poll.interval.ms': (v, s, k) => (s.maxPollIntervalMs = int(k, v, 1)),
  'fetch.min.bytes': (v, s, k) => (s.minBytes = int(k, v, 1)),
  'fetch.max.bytes': (v, s, k) => (s.maxBytes = int(k, v, 1)),
  'max.partition.fetch.bytes': (v, s, k) => (s.maxBytesPerPartition = int(k, v, 1)),
  'fetch.wait.max.ms': (v, s, k) => (s.maxWaitTimeInMs = int(k, v, 0)),
  'isolation.level': (v, s, k) =>
    (s.readUncommitted = oneOf(k, v, ['read_committed', 'read_uncommitted'] as const) === 'read_uncommitted'),
  'partition.assignment.strategy': (v, s, k) => {
    s.assigners = String(v)
      .split(',')
      .map((a) => oneOf(k, a.trim(), ['range', 'roundrobin'] as const, 'kafkajs rebalances eagerly only'))
  },
  'allow.auto.create.topics': (v, s, k) => (s.allowAutoTopicCreation = bool(k, v)),
}
CONSUMER_KEYS['fetch.message.max.bytes'] = CONSUMER_KEYS['max.partition.fetch.bytes']!

/** Splits `config` into client keys and the role's keys; refuses the rest, naming the key. */
function translate<S>(
  config: Record<string, ConfigValue>,
  own: Record<string, Handler<S>>,
  role: string,
  settings: S,
): ClientSettings {
  const draft: ClientDraft = { protocol: 'plaintext', tls: {}, noDelay: false, keepAlive: true, logLevel: 6 }
  for (const [key, value] of Object.entries(config)) {
    const client = CLIENT_KEYS[key]
    const mine = own[key]
    if (client !== undefined) client(value, draft, key)
    else if (mine !== undefined) mine(value, settings, key)
    else {
      throw invalidArg(
        `config "${key}": the kafkajs engine cannot honour this ${role} key (docs/engines.md lists the keys it ` +
          `translates); remove it or use engine: 'native'`,
        { key },
      )
    }
  }
  if (draft.brokers === undefined || draft.brokers.length === 0) {
    throw invalidArg('config "bootstrap.servers": the kafkajs engine needs at least one broker', {
      key: 'bootstrap.servers',
    })
  }
  let sasl: SASLOptions | undefined
  if (draft.protocol.startsWith('sasl')) {
    if (draft.username === undefined || draft.password === undefined) {
      throw invalidArg(`config "sasl.username": ${draft.protocol} needs sasl.username and sasl.password`, {
        key: 'sasl.username',
      })
    }
    sasl = { mechanism: draft.mechanism ?? 'plain', username: draft.username, password: draft.password } as SASLOptions
  }
  const useTls = draft.protocol === 'ssl' || draft.protocol === 'sasl_ssl'
  if (draft.noVerifyHost) draft.tls.checkServerIdentity = () => undefined
  const kafka: KafkaConfig = {
    brokers: draft.brokers,
    clientId: draft.clientId,
    ssl: useTls ? draft.tls : undefined,
    sasl,
    connectionTimeout: draft.connectionTimeout,
    requestTimeout: draft.requestTimeout,
    socketFactory: socketFactory(draft.noDelay, draft.keepAlive),
  }
  return { kafka, logLevel: draft.logLevel, metadataMaxAge: draft.metadataMaxAge }
}

/** `config` is the merged librdkafka keys (preset, turbokafka's defaults, the user's keys). */
export function kafkajsProducerSettings(config: Record<string, ConfigValue>): ProducerSettings {
  if (config['transactional.id'] !== undefined) {
    const e = new KafkaError(
      'config "transactional.id": transactions are not available on the kafkajs engine; use engine: \'native\'',
      {
        code: '_NOT_IMPLEMENTED',
      },
    )
    e.key = 'transactional.id'
    throw e
  }
  // librdkafka's defaults, where the kafkajs engine has a matching behaviour.
  const s = {
    acks: -1,
    idempotent: false,
    maxInFlight: 1_000_000,
    compression: 'none',
    lingerMs: 5,
    batchMessages: 10_000,
    batchBytes: 1_000_000,
    queueMessages: 100_000,
    queueBytes: 1_048_576 * 1024,
    requestTimeoutMs: 30_000,
    messageTimeoutMs: 300_000,
    partitioner: 'consistent_random',
  } as ProducerSettings
  Object.assign(s, translate(config, PRODUCER_KEYS, 'producer', s))
  if (s.idempotent && s.acks !== -1) {
    throw invalidArg(`config "acks": enable.idempotence needs acks=all (got ${s.acks})`, { key: 'acks' })
  }
  if (s.idempotent) s.maxInFlight = 1
  return s
}

export function kafkajsConsumerSettings(config: Record<string, ConfigValue>): ConsumerSettings {
  const s = {
    groupId: '',
    autoCommit: true,
    autoCommitIntervalMs: 5000,
    fromBeginning: false,
    heartbeatIntervalMs: 3000,
    maxPollIntervalMs: 300_000,
    readUncommitted: false,
    assigners: ['range', 'roundrobin'],
  } as ConsumerSettings
  Object.assign(s, translate(config, CONSUMER_KEYS, 'consumer', s))
  return s
}

/** An admin client has only the client keys (brokers, security, timeouts, logging). */
export function kafkajsAdminSettings(config: Record<string, ConfigValue>): ClientSettings {
  return translate(config, {}, 'admin', {})
}
