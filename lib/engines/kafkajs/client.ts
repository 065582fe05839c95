// What the kafkajs producer and consumer engines share: the Kafka instance with logs routed to
// the client's `log` event, librdkafka's partitioners, and a bounded wait.
import type { EventEmitter } from 'node:events'

import type { ICustomPartitioner, Kafka, LogEntry as KafkajsLogEntry } from 'kafkajs'

import { emitSafely } from '../../emit'
import { kafkajs } from '../../engine'
import { KafkaError } from '../../errors'
import { reachCluster } from '../shared'
import type { ClientSettings } from './config'
import { fromKafkajs } from './errors'

/** kafkajs log levels (ERROR 1, WARN 2, INFO 4, DEBUG 5) as syslog levels, like librdkafka's. */
const SYSLOG: Record<number, number> = { 1: 3, 2: 4, 4: 6, 5: 7 }

/**
 * A Kafka instance whose log lines become `log` events ({ level, facility, message }, syslog
 * levels) up to `settings.logLevel`. Connection setup retries a few times only; sends have their
 * own retry settings.
 */
export function createKafka(settings: ClientSettings, events: WeakRef<EventEmitter>): Kafka {
  const { Kafka, logLevel } = kafkajs()
  return new Kafka({
    ...settings.kafka,
    logLevel: logLevel.DEBUG,
    logCreator: () => (entry: KafkajsLogEntry) => {
      const level = SYSLOG[entry.level] ?? 7
      const target = events.deref()
      if (level > settings.logLevel || target === undefined) return
      const { message, timestamp: _t, logger: _l, ...extra } = entry.log
      const detail = Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : ''
      emitSafely(target, 'log', { level, facility: entry.namespace, message: `${message}${detail}` })
    },
  })
}

/** Rejects with `_TIMED_OUT` if `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new KafkaError(`${what} timed out after ${ms} ms`, { code: '_TIMED_OUT', retriable: true })),
      ms,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Connects (or waits for the connection under way) within `timeoutMs`; the error says why not. */
export function reach(connect: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  return reachCluster(
    (ms) =>
      within(
        connect().catch((err) => {
          throw fromKafkajs(err)
        }),
        ms,
        'connecting to the cluster',
      ),
    timeoutMs,
  )
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  return t
})()

/** CRC-32 (IEEE), the hash of librdkafka's consistent partitioners. */
export function crc32(bytes: Uint8Array): number {
  let c = -1
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ -1) >>> 0
}

function keyBytes(key: Buffer | string | null | undefined): Buffer | null {
  if (key === null || key === undefined) return null
  return typeof key === 'string' ? Buffer.from(key) : key
}

/**
 * librdkafka's partitioner of that name, so that both engines put a key on the same partition.
 * `murmur2_random` is kafkajs's default partitioner (Java's murmur2, as librdkafka's). kafkajs
 * asks the partitioner about every message, explicit partitions included, and would silently
 * drop a message for a partition the topic does not have: this refuses it instead.
 */
export function partitioner(name: string, chosen?: WeakMap<object, number>): ICustomPartitioner {
  const pick = choose(name)
  if (chosen === undefined) return () => pick
  // Remembers each message's partition (the last choice wins: kafkajs asks again when it retries).
  return () => (args) => {
    const p = pick(args)
    chosen.set(args.message, p)
    return p
  }
}

function choose(name: string): ReturnType<ICustomPartitioner> {
  const hashed = name === 'murmur2_random' ? kafkajs().Partitioners.DefaultPartitioner() : undefined
  return ({ topic, partitionMetadata, message }) => {
    const count = partitionMetadata.length
    if (typeof message.partition === 'number') {
      if (!partitionMetadata.some((p) => p.partitionId === message.partition)) {
        throw new KafkaError(`${topic} has no partition ${message.partition} (it has ${count})`, {
          code: '_UNKNOWN_PARTITION',
        })
      }
      return message.partition
    }
    if (hashed !== undefined) return hashed({ topic, partitionMetadata, message })
    const key = keyBytes(message.key)
    if (name === 'random' || (name === 'consistent_random' && (key === null || key.length === 0))) {
      return Math.floor(Math.random() * count)
    }
    return crc32(key ?? Buffer.alloc(0)) % count
  }
}
