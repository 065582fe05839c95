import { invalidArg } from './errors'
import { describe, MAX_INT32 } from './validate'

/** A librdkafka configuration value; numbers and booleans are passed as their string form. */
export type ConfigValue = string | number | boolean

/** Named sets of librdkafka settings; the keys you pass yourself override a preset's. */
export type Preset = 'throughput' | 'latency' | 'durable'

export const PRESETS: Readonly<Record<Preset, Readonly<Record<string, ConfigValue>>>> = {
  // Idempotent, acks=all: no duplicates and no reordering on retries. The default, as in
  // Kafka's own Java client since 3.0.
  durable: {
    'enable.idempotence': true,
    acks: 'all',
    'max.in.flight.requests.per.connection': 5,
    'linger.ms': 5,
  },
  // Large batches and a deep local queue; acks from the leader only. Not idempotent.
  throughput: {
    'enable.idempotence': false,
    acks: 1,
    'linger.ms': 20,
    'batch.num.messages': 10000,
    'batch.size': 1000000,
    'queue.buffering.max.messages': 1000000,
    'queue.buffering.max.kbytes': 1048576,
  },
  // Send at once; acks from the leader only. Not idempotent.
  latency: {
    'enable.idempotence': false,
    acks: 1,
    'linger.ms': 0,
    'socket.nagle.disable': true,
  },
}

/**
 * Which client does the work. `native`: librdkafka through the addon. `kafkajs`: kafkajs, same
 * API (docs/engines.md lists the differences). `auto` (the default): native, or kafkajs with one
 * warning when the addon cannot load.
 */
/** The `compression.type` values librdkafka takes (and the kafkajs engine maps onto kafkajs's codecs). */
export const COMPRESSION_TYPES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

export type Engine = 'native' | 'kafkajs' | 'auto'

/** Options turbokafka itself reads; everything else in a config object goes to librdkafka. */
export interface ProducerOptions {
  /** `auto` by default: native, falling back to kafkajs (with a warning) if the addon cannot load. */
  engine?: Engine
  /** Settings to start from (default `durable`). */
  preset?: Preset
  /**
   * At process or worker exit with the producer still open, how long in-flight messages may
   * still be delivered before the producer is torn down (default 1000 ms).
   */
  exitFlushTimeoutMs?: number
}

/** librdkafka's configuration keys (see its CONFIGURATION.md) plus turbokafka's own options. */
export type ProducerConfig = ProducerOptions & { [key: string]: ConfigValue | undefined }

const OWN_KEYS = new Set(['preset', 'exitFlushTimeoutMs', 'engine'])
const ENGINES: readonly Engine[] = ['native', 'kafkajs', 'auto']

export interface ResolvedProducerConfig {
  librdkafka: Record<string, string>
  preset: Preset
  exitFlushTimeoutMs: number
  engine: Engine
}

function isAllAcks(v: ConfigValue): boolean {
  return v === 'all' || v === -1 || v === '-1'
}

/** Checks types, applies the preset and turns every value into librdkafka's string form. */
export function resolveProducerConfig(config: ProducerConfig | undefined): ResolvedProducerConfig {
  if (config === undefined) config = {}
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw invalidArg('producer config must be an object of librdkafka keys')
  }
  const preset = config.preset ?? 'durable'
  if (typeof preset !== 'string' || !Object.hasOwn(PRESETS, preset)) {
    throw invalidArg(`config "preset": must be one of ${Object.keys(PRESETS).join(', ')} (got ${describe(preset)})`, {
      key: 'preset',
    })
  }
  const engine = checkEngine(config.engine)
  const exitFlushTimeoutMs = config.exitFlushTimeoutMs ?? 1000
  if (!Number.isInteger(exitFlushTimeoutMs) || exitFlushTimeoutMs < 0 || exitFlushTimeoutMs > MAX_INT32) {
    throw invalidArg(
      `config "exitFlushTimeoutMs": must be a non-negative integer (got ${describe(exitFlushTimeoutMs)})`,
      {
        key: 'exitFlushTimeoutMs',
      },
    )
  }

  const merged: Record<string, ConfigValue> = {
    'client.id': 'turbokafka',
    ...PRESETS[preset],
    ...librdkafkaKeys(config, OWN_KEYS),
  }

  // The durable preset's idempotence requires acks=all; say so instead of letting librdkafka
  // refuse a combination the user only half chose.
  if (
    merged['enable.idempotence'] === true &&
    config['enable.idempotence'] === undefined &&
    config.acks !== undefined &&
    !isAllAcks(config.acks)
  ) {
    throw invalidArg(
      `config "acks": ${String(config.acks)} conflicts with preset "${preset}", which is idempotent and needs acks=all. ` +
        `Use preset "throughput" or "latency", or set enable.idempotence: false.`,
      { key: 'acks' },
    )
  }

  return { librdkafka: asStrings(merged), preset, exitFlushTimeoutMs, engine }
}

function checkEngine(engine: unknown): Engine {
  if (engine === undefined) return 'auto'
  if (typeof engine !== 'string' || !(ENGINES as readonly string[]).includes(engine)) {
    throw invalidArg(`config "engine": must be one of ${ENGINES.join(', ')} (got ${describe(engine)})`, {
      key: 'engine',
    })
  }
  return engine as Engine
}

/** The librdkafka keys of `config` (all but `own`), type-checked. */
function librdkafkaKeys(config: Record<string, unknown>, own: Set<string>): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {}
  for (const [key, value] of Object.entries(config)) {
    if (own.has(key) || value === undefined) continue
    if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'string' && typeof value !== 'boolean') {
      throw invalidArg(`config "${key}": must be a string, a finite number or a boolean (got ${describe(value)})`, {
        key,
      })
    }
    out[key] = value as ConfigValue
  }
  return out
}

function asStrings(config: Record<string, ConfigValue>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(config)) out[key] = String(value)
  return out
}

/**
 * librdkafka consumer keys (see its CONFIGURATION.md) plus `engine` and `stallRatio` (the share of
 * `max.poll.interval.ms` without a consumeBatch call after which the consumer emits `stall`, 0.5
 * by default); `group.id` is required.
 */
export type ConsumerConfig = { 'group.id': string; engine?: Engine; stallRatio?: number } & {
  [key: string]: ConfigValue | undefined
}

export interface ResolvedConsumerConfig {
  /** What the native engine passes to librdkafka: the user's keys over CONSUMER_DEFAULTS. */
  librdkafka: Record<string, string>
  /** What the kafkajs engine translates: the user's keys and the client id. */
  kafkajs: Record<string, string>
  engine: Engine
  /** The share of max.poll.interval.ms without a consumeBatch call after which 'stall' fires. */
  stallRatio: number
}

export function resolveConsumerConfig(config: ConsumerConfig | undefined): ResolvedConsumerConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw invalidArg('consumer config must be an object of librdkafka keys')
  }
  const groupId = config['group.id']
  if (typeof groupId !== 'string' || groupId.length === 0) {
    throw invalidArg(`config "group.id": a consumer needs a non-empty group id (got ${describe(groupId)})`, {
      key: 'group.id',
    })
  }
  const engine = checkEngine(config.engine)
  const stallRatio = config.stallRatio ?? 0.5
  if (typeof stallRatio !== 'number' || !(stallRatio > 0 && stallRatio <= 1)) {
    throw invalidArg(`config "stallRatio": must be a number above 0 and at most 1 (got ${describe(stallRatio)})`, {
      key: 'stallRatio',
    })
  }
  const keys = librdkafkaKeys(config, new Set(['engine', 'stallRatio']))
  return {
    librdkafka: asStrings({ ...CONSUMER_DEFAULTS, ...keys }),
    kafkajs: asStrings({ 'client.id': CONSUMER_DEFAULTS['client.id']!, ...keys }),
    engine,
    stallRatio,
  }
}

/** librdkafka client keys (connection, security, timeouts) plus `engine`, for an Admin. */
export type AdminConfig = { engine?: Engine } & { [key: string]: ConfigValue | undefined }

export interface ResolvedAdminConfig {
  /** The user's keys and the client id, for either engine. */
  keys: Record<string, string>
  engine: Engine
}

export function resolveAdminConfig(config: AdminConfig | undefined): ResolvedAdminConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw invalidArg('admin config must be an object of librdkafka keys')
  }
  const engine = checkEngine(config.engine)
  const keys = librdkafkaKeys(config, new Set(['engine']))
  return { keys: asStrings({ 'client.id': CONSUMER_DEFAULTS['client.id']!, ...keys }), engine }
}

/** Consumer settings that differ from librdkafka's defaults, on either engine. */
export const CONSUMER_DEFAULTS: Readonly<Record<string, ConfigValue>> = {
  'client.id': 'turbokafka',
}

/**
 * The native engine's `fetch.queue.backoff.ms` (librdkafka 2.2 and later). librdkafka stops
 * fetching a partition while the consumer queue holds `queued.min.messages` (100,000) or
 * `queued.max.messages.kbytes` (64 MiB), and fetches again only this long after, 1000 ms by
 * default: long enough for a JavaScript consumer, which drains more slowly than C, to empty the
 * queue and then sit idle. Measured with librdkafka 2.15.1 (docs/results/consumer-fetch-pacing.txt):
 * 1M messages of 100 B over 40 partitions of the mock cluster, consumeBatch read 187k msg/s
 * with librdkafka's defaults and 1.96M with 10 ms (the C poll loop: 405k and 1.93M).
 */
export const FETCH_QUEUE_BACKOFF_MS = 10

/**
 * The statistics interval the native engine gives producers and consumers unless the application
 * sets `statistics.interval.ms` (0 turns statistics off): the librdkafka figures of the metrics
 * (docs/observability.md) are as recent as the last statistics.
 */
export const STATISTICS_DEFAULTS: Readonly<Record<string, string>> = { 'statistics.interval.ms': '5000' }
