// What the kafkajs admin engine (admin.ts) builds its answers from: per-item requests, and
// kafkajs's offsets, configs and group assignments read into the engine-neutral shapes.
import type { Admin as KafkajsAdmin } from 'kafkajs'

import type { ConfigDescription, ConfigResource, ListedOffset } from '../../admin-types'
import type { TopicPartitionOffset } from '../../binding'
import { kafkajs } from '../../engine'
import { KafkaError } from '../../errors'
import type { TopicPartition } from '../../types'
import { within } from './client'
import { fromKafkajs } from './errors'

const SOURCES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG']
SOURCES.push('STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG')
const RESOURCE_TYPES = { topic: 2, broker: 4 } as const

export const notImplemented = (what: string): KafkaError =>
  new KafkaError(`${what} is not available on the kafkajs engine; use engine: 'native'`, {
    code: '_NOT_IMPLEMENTED',
  })

/** Runs `fn` for each item at once; an item's failure becomes its `error`. */
export async function each<A, R extends object>(
  list: readonly A[],
  fn: (a: A) => Promise<R>,
  base: (a: A) => R,
): Promise<Array<R & { error?: KafkaError }>> {
  return Promise.all(
    list.map((a) =>
      fn(a).then(
        (r) => r,
        (err) => ({ ...base(a), error: fromKafkajs(err) }),
      ),
    ),
  )
}

/** A group member's assignment from kafkajs's raw MemberAssignment bytes. */
export function assignmentOf(bytes: Buffer): TopicPartition[] {
  if (bytes.length === 0) return []
  const decoded = kafkajs().AssignerProtocol.MemberAssignment.decode(bytes)
  if (decoded === null) return []
  return Object.entries(decoded.assignment).flatMap(([topic, partitions]) =>
    partitions.map((partition) => ({ topic, partition })),
  )
}

/** librdkafka's OffsetSpec in `offset` (-2 earliest, -1 latest, else a timestamp) through kafkajs's reads. */
export async function offsetsOf(
  admin: KafkajsAdmin,
  queries: TopicPartitionOffset[],
  timeoutMs: number,
): Promise<ListedOffset[]> {
  const found = new Map<string, { offset: number; timestamp: number }>()
  const specs = new Map<string, number>()
  for (const q of queries) specs.set(`${q.topic}\u0000${q.offset}`, q.offset!)
  await within(
    Promise.all(
      [...specs.entries()].map(async ([key, spec]) => {
        const topic = key.slice(0, key.indexOf('\u0000'))
        const rows: Array<{ partition: number; offset: string }> =
          spec >= 0
            ? await admin.fetchTopicOffsetsByTimestamp(topic, spec)
            : (await admin.fetchTopicOffsets(topic)).map((r) => ({
                partition: r.partition,
                offset: spec === -2 ? r.low : r.high,
              }))
        for (const r of rows) found.set(`${key}\u0000${r.partition}`, { offset: Number(r.offset), timestamp: -1 })
      }),
    ),
    timeoutMs,
    'listOffsets',
  ).catch((err) => {
    throw fromKafkajs(err)
  })
  return queries.map(({ topic, partition, offset: spec }) => {
    const f = found.get(`${topic}\u0000${spec}\u0000${partition}`)
    if (f !== undefined) return { topic, partition, ...f }
    const error = new KafkaError(`${topic} has no partition ${partition}`, {
      code: '_UNKNOWN_PARTITION',
      retriable: true,
    })
    return { topic, partition, offset: -1, timestamp: -1, error }
  })
}

/** One resource's config entries. */
export async function configOf(admin: KafkajsAdmin, r: ConfigResource, timeoutMs: number): Promise<ConfigDescription> {
  const request = admin.describeConfigs({
    resources: [{ type: RESOURCE_TYPES[r.type], name: r.name }],
    includeSynonyms: false,
  })
  const {
    resources: [res],
  } = await within(request, timeoutMs, 'describeConfigs')
  if (res!.errorCode !== 0) {
    throw fromKafkajs(
      Object.assign(new Error(res!.errorMessage ?? `describeConfigs: ${r.type} ${r.name}`), {
        code: res!.errorCode,
      }),
    )
  }
  const entries = res!.configEntries
    .map((e) => ({
      name: e.configName,
      value: e.isSensitive ? null : e.configValue,
      source: SOURCES[e.configSource] ?? 'UNKNOWN',
      readOnly: e.readOnly,
      isDefault: e.isDefault,
      sensitive: e.isSensitive,
      synonyms: [],
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
  return { ...r, entries }
}

/**
 * kafkajs's per-topic requests (setOffsets, deleteTopicRecords) for `items`, one per topic at once:
 * `send(topic, [{ partition, offset }])`. The error of each topic that failed, by topic.
 */
export async function perTopic(
  items: TopicPartitionOffset[],
  send: (topic: string, partitions: Array<{ partition: number; offset: string }>) => Promise<unknown>,
): Promise<Map<string, KafkaError | undefined>> {
  const topics = [...new Set(items.map((i) => i.topic))]
  const outcomes = await each(
    topics,
    async (topic) => {
      const partitions = items
        .filter((i) => i.topic === topic)
        .map((i) => ({ partition: i.partition, offset: String(i.offset) }))
      await send(topic, partitions)
      return { topic }
    },
    (topic) => ({ topic }),
  )
  return new Map(outcomes.map((o) => [o.topic, o.error]))
}
