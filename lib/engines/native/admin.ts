// The native admin engine: librdkafka's admin API through native/admin.cc. librdkafka answers
// per item in an order of its own; this puts the answers in the order asked and turns native
// errors into KafkaErrors.
import type {
  PartitionInfo,
  BrokerInfo,
  ClusterDescription,
  ConfigDescription,
  ConfigEntry,
  ConfigOutcome,
  ConfigResource,
  GroupDescription,
  GroupListing,
  GroupOutcome,
  ListedOffset,
  PartitionOutcome,
  TopicDescription,
  TopicOutcome,
} from '../../admin-types'
import { binding, type NativeAdmin, type NativeGroupResult, type TopicPartitionOffset } from '../../binding'
import { KafkaError } from '../../errors'
import type { TopicPartition } from '../../types'
import type { AdminEngine, ConfigOp, TopicSpec } from '../contract'
import { listOffsets } from './admin-offsets'
import { allLed, inOrder, partitionKey, reachCluster, settleWithin } from '../shared'

/** librdkafka's resource types (rd_kafka_ResourceType_t) and incremental operations. */
const RESOURCE_TYPES = { topic: 2, broker: 4 } as const
const RESOURCE_NAMES: Record<number, 'topic' | 'broker'> = { 2: 'topic', 4: 'broker' }
const OPS = { set: 0, delete: 1, append: 2, subtract: 3 } as const
/** librdkafka's "no offset" (RD_KAFKA_OFFSET_INVALID), what the consumer reports too. */
const INVALID_OFFSET = -1001

const errorOf = (e: unknown): KafkaError | undefined => (e === undefined ? undefined : KafkaError.from(e))

function withError<T extends object>(out: T, error: unknown): T & { error?: KafkaError } {
  const e = errorOf(error)
  return e === undefined ? out : { ...out, error: e }
}

function partitionOutcomes(list: TopicPartitionOffset[]): PartitionOutcome[] {
  return list.map((p) =>
    withError({ topic: p.topic, partition: p.partition, offset: p.offset! < 0 ? INVALID_OFFSET : p.offset! }, p.error),
  )
}

/** The one group's partitions, or its error when the group as a whole failed. */
function groupPartitions(results: NativeGroupResult[], groupId: string): PartitionOutcome[] {
  const r = results.find((g) => g.groupId === groupId) ?? results[0]
  if (r === undefined) throw new KafkaError(`no answer for group ${groupId}`, { code: '_FAIL' })
  if (r.error !== undefined) throw KafkaError.from(r.error)
  return partitionOutcomes(r.partitions)
}

type Raw = Record<string, unknown>

function entry(e: Raw): ConfigEntry {
  return {
    name: e.name as string,
    value: e.value as string | null,
    source: e.source as string,
    readOnly: e.readOnly as boolean,
    isDefault: e.isDefault as boolean,
    sensitive: e.sensitive as boolean,
    synonyms: ((e.synonyms as Raw[] | undefined) ?? []).map((s) => {
      const { synonyms: _s, ...rest } = entry(s)
      return rest
    }),
  }
}

function configResource(r: Raw): ConfigResource {
  return { type: RESOURCE_NAMES[r.type as number] ?? 'topic', name: r.name as string }
}

function topicDescription(t: Raw): TopicDescription {
  return withError(
    {
      topic: t.topic as string,
      topicId: t.topicId as string | null,
      internal: t.internal as boolean,
      partitions: (t.partitions as TopicDescription['partitions']).sort((a, b) => a.partition - b.partition),
    },
    t.error,
  )
}

function groupDescription(g: Raw): GroupDescription {
  const members = (g.members as Raw[]).map((m) => ({
    memberId: m.memberId as string,
    clientId: m.clientId as string,
    host: m.host as string,
    groupInstanceId: m.groupInstanceId as string | null,
    assignment: (m.assignment as TopicPartitionOffset[]).map(({ topic, partition }) => ({ topic, partition })),
  }))
  return withError(
    {
      groupId: g.groupId as string,
      state: g.state as string,
      protocol: (g.protocol as string | null) ?? '',
      simple: g.simple as boolean,
      coordinator: g.coordinator as BrokerInfo | null,
      members,
    },
    g.error,
  )
}

const tpKey = (p: TopicPartition) => partitionKey(p.topic, p.partition)
const resourceKey = (r: ConfigResource) => `${r.type}\u0000${r.name}`

export class NativeAdminEngine implements AdminEngine {
  readonly name = 'native' as const
  readonly #admin: NativeAdmin

  constructor(config: Record<string, string>) {
    this.#admin = new (binding().Admin)(config)
  }

  connect(timeoutMs: number): Promise<void> {
    return reachCluster((ms) => this.#admin.listTopics(ms), timeoutMs)
  }

  close(timeoutMs: number): Promise<void> {
    return this.#admin.close(timeoutMs)
  }

  async createTopics(topics: TopicSpec[], validateOnly: boolean, timeoutMs: number): Promise<TopicOutcome[]> {
    const deadline = Date.now() + timeoutMs
    const results = await this.#admin.createTopics(topics, validateOnly, timeoutMs)
    const outcomes = this.#topicOutcomes(
      results,
      topics.map((t) => t.topic),
    )
    const created = outcomes.filter((o) => o.error === undefined).map((o) => o.topic)
    if (!validateOnly && created.length > 0) await this.#untilLed(created, deadline)
    return outcomes
  }

  /** settleWithin's check: DescribeTopics, or (librdkafka < 2.3) that the names are listed. */
  #untilLed(topics: string[], deadline: number): Promise<void> {
    return settleWithin(
      (ms) =>
        this.describeTopics(topics, ms).then(allLed, async (err: unknown) => {
          if (KafkaError.from(err).code !== '_NOT_IMPLEMENTED') return false
          const names = new Set(await this.#admin.listTopics(ms))
          return topics.every((t) => names.has(t))
        }),
      deadline,
    )
  }

  async deleteTopics(topics: string[], timeoutMs: number): Promise<TopicOutcome[]> {
    return this.#topicOutcomes(await this.#admin.deleteTopics(topics, timeoutMs), topics)
  }

  async createPartitions(
    items: Array<{ topic: string; count: number }>,
    validateOnly: boolean,
    timeoutMs: number,
  ): Promise<TopicOutcome[]> {
    const results = await this.#admin.createPartitions(items, validateOnly, timeoutMs)
    return this.#topicOutcomes(
      results,
      items.map((t) => t.topic),
    )
  }

  #topicOutcomes(results: Array<{ topic: string; error?: Error }>, asked: string[]): TopicOutcome[] {
    const answers = results.map((r) => withError({ topic: r.topic }, r.error))
    return inOrder(
      asked,
      answers,
      (t) => t,
      (r) => r.topic,
      (topic) => ({ topic }),
    )
  }

  listTopics(timeoutMs: number): Promise<string[]> {
    return this.#admin.listTopics(timeoutMs)
  }

  async metadata(
    topics: string[],
    timeoutMs: number,
  ): Promise<Array<{ topic: string; partitions: PartitionInfo[]; error?: KafkaError }>> {
    const raw = await this.#admin.metadata(topics, timeoutMs)
    return raw.map((t) => ({ ...t, error: t.error === undefined ? undefined : KafkaError.from(t.error) }))
  }

  async describeTopics(topics: string[], timeoutMs: number): Promise<TopicDescription[]> {
    const raw = (await this.#admin.describeTopics(topics, timeoutMs)) as Raw[]
    return inOrder(
      topics,
      raw.map(topicDescription),
      (t) => t,
      (d) => d.topic,
      missingTopic,
    )
  }

  async describeCluster(timeoutMs: number): Promise<ClusterDescription> {
    const raw = (await this.#admin.describeCluster(timeoutMs)) as ClusterDescription
    return { ...raw, brokers: [...raw.brokers].sort((a, b) => a.id - b.id) }
  }

  async listGroups(timeoutMs: number): Promise<GroupListing[]> {
    const { groups, errors } = await this.#admin.listGroups(timeoutMs)
    if (errors.length > 0) throw KafkaError.from(errors[0])
    return (groups as GroupListing[]).sort((a, b) => a.groupId.localeCompare(b.groupId))
  }

  async describeGroups(groupIds: string[], timeoutMs: number): Promise<GroupDescription[]> {
    const raw = (await this.#admin.describeGroups(groupIds, timeoutMs)) as Raw[]
    return inOrder(
      groupIds,
      raw.map(groupDescription),
      (g) => g,
      (d) => d.groupId,
      missingGroup,
    )
  }

  async deleteGroups(groupIds: string[], timeoutMs: number): Promise<GroupOutcome[]> {
    const answers = (await this.#admin.deleteGroups(groupIds, timeoutMs)).map((r) =>
      withError({ groupId: r.groupId }, r.error),
    )
    return inOrder(
      groupIds,
      answers,
      (g) => g,
      (r) => r.groupId,
      (groupId) => ({ groupId }),
    )
  }

  listOffsets(queries: TopicPartitionOffset[], readCommitted: boolean, timeoutMs: number): Promise<ListedOffset[]> {
    return listOffsets(this.#admin, queries, readCommitted, timeoutMs)
  }

  async listGroupOffsets(
    groupId: string,
    partitions: TopicPartition[] | null,
    timeoutMs: number,
  ): Promise<PartitionOutcome[]> {
    const results = await this.#admin.groupOffsets('list', groupId, partitions, timeoutMs)
    const outcomes = groupPartitions(results, groupId)
    if (partitions === null) return outcomes.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    return inOrder<TopicPartition, PartitionOutcome>(partitions, outcomes, tpKey, tpKey, (p) => ({
      ...p,
      offset: INVALID_OFFSET,
    }))
  }

  async alterGroupOffsets(
    groupId: string,
    offsets: TopicPartitionOffset[],
    timeoutMs: number,
  ): Promise<PartitionOutcome[]> {
    const results = await this.#admin.groupOffsets('alter', groupId, offsets, timeoutMs)
    const outcomes = groupPartitions(results, groupId)
    return inOrder<TopicPartitionOffset, PartitionOutcome>(
      offsets,
      outcomes,
      tpKey,
      tpKey,
      ({ topic, partition, offset }) => ({ topic, partition, offset: offset! }),
    )
  }

  async deleteGroupOffsets(
    groupId: string,
    partitions: TopicPartition[],
    timeoutMs: number,
  ): Promise<PartitionOutcome[]> {
    const results = await this.#admin.groupOffsets('delete', groupId, partitions, timeoutMs)
    const outcomes = groupPartitions(results, groupId)
    return inOrder<TopicPartition, PartitionOutcome>(partitions, outcomes, tpKey, tpKey, (p) => ({
      ...p,
      offset: INVALID_OFFSET,
    }))
  }

  async deleteRecords(items: TopicPartitionOffset[], timeoutMs: number): Promise<PartitionOutcome[]> {
    const raw = await this.#admin.deleteRecords(items, timeoutMs)
    const answers = raw.map((p) => withError({ topic: p.topic, partition: p.partition, offset: p.offset! }, p.error))
    return inOrder<TopicPartitionOffset, PartitionOutcome>(items, answers, tpKey, tpKey, ({ topic, partition }) => ({
      topic,
      partition,
      offset: -1,
    }))
  }

  async describeConfigs(resources: ConfigResource[], timeoutMs: number): Promise<ConfigDescription[]> {
    const asked = resources.map((r) => ({ type: RESOURCE_TYPES[r.type], name: r.name }))
    const raw = (await this.#admin.describeConfigs(asked, timeoutMs)) as Raw[]
    const answers = raw.map((r) =>
      withError(
        { ...configResource(r), entries: (r.entries as Raw[]).map(entry).sort((a, b) => a.name.localeCompare(b.name)) },
        r.error,
      ),
    )
    return inOrder<ConfigResource, ConfigDescription>(
      resources,
      answers,
      resourceKey,
      resourceKey,
      ({ type, name }) => ({
        type,
        name,
        entries: [],
      }),
    )
  }

  async alterConfigs(
    items: Array<ConfigResource & { ops: ConfigOp[] }>,
    validateOnly: boolean,
    timeoutMs: number,
  ): Promise<ConfigOutcome[]> {
    const asked = items.map((r) => ({
      type: RESOURCE_TYPES[r.type],
      name: r.name,
      ops: r.ops.map((o): [string, number, string | null] => [o.name, OPS[o.op], o.value]),
    }))
    const raw = (await this.#admin.alterConfigs(asked, validateOnly, timeoutMs)) as Raw[]
    const answers = raw.map((r) => withError(configResource(r), r.error))
    return inOrder<ConfigResource, ConfigOutcome>(items, answers, resourceKey, resourceKey, ({ type, name }) => ({
      type,
      name,
    }))
  }
}

function missingTopic(topic: string): TopicDescription {
  return { topic, topicId: null, internal: false, partitions: [] }
}

function missingGroup(groupId: string): GroupDescription {
  return { groupId, state: 'Unknown', protocol: '', simple: false, coordinator: null, members: [] }
}
