// kafkajs's client, producer and consumer options as librdkafka settings. An option this layer
// cannot honour is refused with its name (never dropped): docs/kafkajs-migration.md lists them.
import type { ConnectionOptions } from 'node:tls'

import type { KafkaConfig, RetryOptions } from 'kafkajs'

import type { ConfigValue } from '../config'
import { notSupported } from './errors'

export type Settings = Record<string, ConfigValue>

const CLIENT_KEYS = new Set([
  'brokers',
  'clientId',
  'ssl',
  'sasl',
  'connectionTimeout',
  'requestTimeout',
  'enforceRequestTimeout',
  'retry',
  'logLevel',
  'logCreator',
])

/** Refuses every key of `options` outside `known`, naming it. */
export function onlyKnown(where: string, options: object, known: ReadonlySet<string>, hint = ''): void {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !known.has(key)) throw notSupported(`${where} option "${key}"`, hint || undefined)
  }
}

function pem(v: unknown, what: string): string {
  const list = Array.isArray(v) ? v : [v]
  return list
    .map((x) => {
      if (typeof x === 'string' || Buffer.isBuffer(x)) return x.toString()
      throw notSupported(`ssl.${what} other than PEM strings or Buffers`)
    })
    .join('\n')
}

const TLS_KEYS = new Set(['ca', 'cert', 'key', 'passphrase', 'rejectUnauthorized', 'servername'])

function tls(ssl: boolean | ConnectionOptions | undefined): Settings {
  if (ssl === undefined || ssl === false) return {}
  if (ssl === true) return { 'security.protocol': 'ssl' }
  onlyKnown('ssl', ssl, TLS_KEYS)
  const out: Settings = { 'security.protocol': 'ssl' }
  if (ssl.ca !== undefined) out['ssl.ca.pem'] = pem(ssl.ca, 'ca')
  if (ssl.cert !== undefined) out['ssl.certificate.pem'] = pem(ssl.cert, 'cert')
  if (ssl.key !== undefined) out['ssl.key.pem'] = pem(ssl.key, 'key')
  if (ssl.passphrase !== undefined) out['ssl.key.password'] = ssl.passphrase
  if (ssl.rejectUnauthorized === false) out['enable.ssl.certificate.verification'] = false
  if (ssl.servername !== undefined) throw notSupported('ssl.servername', 'librdkafka verifies the broker name')
  return out
}

const MECHANISMS: Record<string, string> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
}

function sasl(config: KafkaConfig): Settings {
  const s = config.sasl as { mechanism?: string; username?: string; password?: string } | undefined
  if (s === undefined) return {}
  const mechanism = MECHANISMS[String(s.mechanism).toLowerCase()]
  if (mechanism === undefined) throw notSupported(`sasl mechanism "${String(s.mechanism)}"`, 'use plain or scram')
  return {
    'security.protocol': config.ssl ? 'sasl_ssl' : 'sasl_plaintext',
    'sasl.mechanisms': mechanism,
    'sasl.username': s.username ?? '',
    'sasl.password': s.password ?? '',
  }
}

const RETRY_KEYS = new Set(['initialRetryTime', 'maxRetryTime', 'retries'])

/** kafkajs's retry options as librdkafka's backoff (and, for a producer, its retries). */
export function retry(r: RetryOptions | undefined, producer: boolean): Settings {
  if (r === undefined) return {}
  onlyKnown('retry', r, RETRY_KEYS, 'librdkafka backs off exponentially from initialRetryTime to maxRetryTime')
  const out: Settings = {}
  if (r.initialRetryTime !== undefined) out['retry.backoff.ms'] = r.initialRetryTime
  if (r.maxRetryTime !== undefined) out['retry.backoff.max.ms'] = r.maxRetryTime
  if (producer && r.retries !== undefined) out.retries = r.retries
  return out
}

/** The librdkafka settings every client of a Kafka instance shares. */
export function clientSettings(config: KafkaConfig): Settings {
  if (config === null || typeof config !== 'object') throw notSupported('a Kafka config that is not an object')
  onlyKnown('Kafka', config, CLIENT_KEYS)
  if (!Array.isArray(config.brokers) || config.brokers.length === 0)
    throw notSupported('brokers as a function or an empty list', 'give an array of host:port')
  if (config.enforceRequestTimeout === false)
    throw notSupported('enforceRequestTimeout: false', 'librdkafka always enforces requestTimeout')
  const out: Settings = {
    'bootstrap.servers': config.brokers.join(','),
    'client.id': config.clientId ?? 'kafkajs',
    ...tls(config.ssl),
    ...sasl(config),
    ...retry(config.retry, false),
  }
  if (config.connectionTimeout !== undefined) out['socket.connection.setup.timeout.ms'] = config.connectionTimeout
  if (config.requestTimeout !== undefined) out['socket.timeout.ms'] = config.requestTimeout
  return out
}
