// The Admin client's argument checks: every item and field of a call is checked before anything
// is sent, and a bad one fails the call with `_INVALID_ARG` naming the call, the item and the field.
import type {
  AdminCallOptions,
  ConfigAlteration,
  ConfigResource,
  NewTopic,
  OffsetQuery,
  OffsetToSet,
  RecordsToDelete,
} from './admin-types'
import type { TopicPartitionOffset } from './binding'
import type { ConfigOp, TopicSpec } from './engines/contract'
import { invalidArg } from './errors'
import type { TopicPartition } from './types'
import { checkInt, describe, MAX_INT32, MAX_PARTITION } from './validate'

export const DEFAULT_ADMIN_TIMEOUT_MS = 30_000
/** The longest request timeout librdkafka's admin API takes: an hour. */
const MAX_ADMIN_TIMEOUT_MS = 3_600_000
/** Kafka's replication factor is an int16. */
const MAX_REPLICATION = 32_767
const OPS: ReadonlyArray<ConfigOp['op']> = ['set', 'delete', 'append', 'subtract']

/** The call's `timeoutMs` (default 30 s), from its options object. */
export function timeoutOf(call: string, options: AdminCallOptions | undefined): number {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw invalidArg(`${call}: options must be an object (got ${describe(options)})`)
  }
  return checkInt(`${call}: timeoutMs`, options?.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS, 1, MAX_ADMIN_TIMEOUT_MS)
}

/** `list` as an array of at least one item; each item an object unless `strings`. */
function items(call: string, what: string, list: unknown, strings = false): unknown[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw invalidArg(`${call}: expected a non-empty array of ${what} (got ${describe(list)})`)
  }
  list.forEach((v, i) => {
    if (strings ? typeof v !== 'string' || v.length === 0 : v === null || typeof v !== 'object') {
      throw invalidArg(`${call}: ${what}[${i}] must be ${strings ? 'a non-empty string' : 'an object'}`, { index: i })
    }
  })
  return list
}

function name(call: string, field: string, v: unknown, i: number): string {
  if (typeof v !== 'string' || v.length === 0) {
    throw invalidArg(`${call}: ${field} must be a non-empty string (got ${describe(v)})`, { index: i })
  }
  return v
}

function int(call: string, field: string, v: unknown, min: number, max: number, i: number): number {
  try {
    return checkInt(`${call}: ${field}`, typeof v === 'bigint' ? Number(v) : v, min, max)
  } catch (err) {
    ;(err as { index?: number }).index = i
    throw err
  }
}

/** Refuses a key twice in one call: librdkafka would refuse the whole request. */
function unique<T>(call: string, list: T[], key: (t: T) => string, what: (t: T) => string): T[] {
  const seen = new Set<string>()
  list.forEach((t, i) => {
    const k = key(t)
    if (seen.has(k)) throw invalidArg(`${call}: ${what(t)} appears twice (item ${i})`, { index: i })
    seen.add(k)
  })
  return list
}

export function checkNewTopics(list: unknown): TopicSpec[] {
  const call = 'createTopics'
  const specs = (items(call, 'topics', list) as NewTopic[]).map((t, i): TopicSpec => {
    const topic = name(call, `topics[${i}].topic`, t.topic, i)
    const partitions =
      t.partitions === undefined ? -1 : int(call, `topics[${i}].partitions`, t.partitions, 1, MAX_INT32, i)
    const rf = t.replicationFactor
    const replicationFactor =
      rf === undefined ? -1 : int(call, `topics[${i}].replicationFactor`, rf, 1, MAX_REPLICATION, i)
    if (t.config !== undefined && (t.config === null || typeof t.config !== 'object' || Array.isArray(t.config))) {
      throw invalidArg(`${call}: topics[${i}].config must be an object of topic settings`, { index: i })
    }
    const config = Object.entries(t.config ?? {}).map(([k, v]): [string, string] => {
      if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
        throw invalidArg(
          `${call}: topics[${i}].config["${k}"] must be a string, number or boolean (got ${describe(v)})`,
          {
            index: i,
          },
        )
      }
      return [k, String(v)]
    })
    return { topic, partitions, replicationFactor, config }
  })
  return unique(
    call,
    specs,
    (t) => t.topic,
    (t) => `topic ${t.topic}`,
  )
}

/** Topic or group names: strings, none twice. */
export function checkNames(call: string, what: string, list: unknown): string[] {
  return unique(
    call,
    items(call, what, list, true) as string[],
    (n) => n,
    (n) => JSON.stringify(n),
  )
}

export function checkPartitionCounts(list: unknown): Array<{ topic: string; count: number }> {
  const call = 'createPartitions'
  const out = (items(call, 'topics', list) as Array<{ topic: unknown; count: unknown }>).map((t, i) => ({
    topic: name(call, `topics[${i}].topic`, t.topic, i),
    count: int(call, `topics[${i}].count`, t.count, 1, MAX_INT32, i),
  }))
  return unique(
    call,
    out,
    (t) => t.topic,
    (t) => `topic ${t.topic}`,
  )
}

const tpKey = (p: TopicPartition) => `${p.topic}\u0000${p.partition}`
const tpName = (p: TopicPartition) => `${p.topic} [${p.partition}]`

/** Topic partitions, none twice; with `offset` read from `field` of each item when given. */
function partitions(
  call: string,
  list: unknown,
  field?: { name: string; min: number; read?: (v: unknown, i: number) => number },
): TopicPartitionOffset[] {
  const out = (items(call, 'partitions', list) as Array<Record<string, unknown>>).map((p, i) => {
    const tp: TopicPartitionOffset = {
      topic: name(call, `partitions[${i}].topic`, p.topic, i),
      partition: int(call, `partitions[${i}].partition`, p.partition, 0, MAX_PARTITION, i),
    }
    if (field !== undefined) {
      const v = p[field.name]
      tp.offset = field.read
        ? field.read(v, i)
        : int(call, `partitions[${i}].${field.name}`, v, field.min, Number.MAX_SAFE_INTEGER, i)
    }
    return tp
  })
  return unique(call, out, tpKey, tpName)
}

export function checkTopicPartitions(call: string, list: unknown): TopicPartition[] {
  return partitions(call, list)
}

export function checkOffsetQueries(list: unknown): TopicPartitionOffset[] {
  const call = 'listOffsets'
  return partitions(call, list, {
    name: 'at',
    min: 0,
    read: (v: OffsetQuery['at'] | unknown, i) => {
      if (v === 'earliest') return -2
      if (v === 'latest') return -1
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v
      throw invalidArg(
        `${call}: partitions[${i}].at must be 'earliest', 'latest' or a timestamp in ms (got ${describe(v)})`,
        { index: i },
      )
    },
  })
}

export function checkOffsetsToSet(list: unknown): TopicPartitionOffset[] {
  return partitions('alterGroupOffsets', list as OffsetToSet[], { name: 'offset', min: 0 })
}

export function checkRecordsToDelete(list: unknown): TopicPartitionOffset[] {
  return partitions('deleteRecords', list as RecordsToDelete[], { name: 'before', min: -1 })
}

function resource(call: string, r: ConfigResource, i: number): ConfigResource {
  if (r.type !== 'topic' && r.type !== 'broker') {
    throw invalidArg(`${call}: resources[${i}].type must be 'topic' or 'broker' (got ${describe(r.type)})`, {
      index: i,
    })
  }
  const n = name(call, `resources[${i}].name`, r.name, i)
  if (r.type === 'broker' && !/^\d+$/.test(n)) {
    throw invalidArg(`${call}: resources[${i}].name must be a broker id such as "1" (got ${describe(n)})`, {
      index: i,
    })
  }
  return { type: r.type, name: n }
}

export function checkResources(list: unknown): ConfigResource[] {
  const call = 'describeConfigs'
  const out = (items(call, 'resources', list) as ConfigResource[]).map((r, i) => resource(call, r, i))
  return unique(
    call,
    out,
    (r) => `${r.type}:${r.name}`,
    (r) => `${r.type} ${r.name}`,
  )
}

export function checkAlterations(list: unknown): Array<ConfigResource & { ops: ConfigOp[] }> {
  const call = 'alterConfigs'
  const out = (items(call, 'resources', list) as ConfigAlteration[]).map((r, i) => {
    const base = resource(call, r, i)
    const changes = items(call, `resources[${i}].changes`, r.changes) as ConfigAlteration['changes']
    const ops = changes.map((c, j): ConfigOp => {
      const where = `resources[${i}].changes[${j}]`
      const op = c.op ?? 'set'
      if (!OPS.includes(op)) {
        throw invalidArg(`${call}: ${where}.op must be one of ${OPS.join(', ')} (got ${describe(op)})`, { index: i })
      }
      const n = name(call, `${where}.name`, c.name, i)
      if (op === 'delete') return { name: n, op, value: null }
      const v = c.value
      if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
        throw invalidArg(`${call}: ${where}.value is needed for ${op} (got ${describe(v)})`, { index: i })
      }
      return { name: n, op, value: String(v) }
    })
    return { ...base, ops }
  })
  return unique(
    call,
    out,
    (r) => `${r.type}:${r.name}`,
    (r) => `${r.type} ${r.name}`,
  )
}

export function checkGroupId(call: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) {
    throw invalidArg(`${call}: groupId must be a non-empty string (got ${describe(v)})`)
  }
  return v
}
