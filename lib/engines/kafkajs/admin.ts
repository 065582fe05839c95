// The kafkajs admin engine: kafkajs's admin client behind the same calls. kafkajs fails a whole
// request when one item fails, so calls whose items fail on their own (creating, deleting) send
// one request per item; what kafkajs cannot do (incremental config changes, deleting a group's
// offsets, isolation levels, topic ids) fails with `_NOT_IMPLEMENTED` or is left out, as
// docs/engines.md says.
import type { EventEmitter } from 'node:events'

import type { Admin as KafkajsAdmin, Kafka } from 'kafkajs'

import type {
  ClusterDescription,
  ConfigDescription,
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
import type { TopicPartitionOffset } from '../../binding'
import { KafkaError } from '../../errors'
import type { TopicPartition } from '../../types'
import type { AdminEngine, ConfigOp, TopicSpec } from '../contract'
import { allLed, partitionKey, settleWithin } from '../shared'
import { assignmentOf, configOf, each, notImplemented, offsetsOf, perTopic } from './admin-parts'
import { createKafka, reach, within } from './client'
import { kafkajsAdminSettings } from './config'
import { fromKafkajs } from './errors'

const INVALID_OFFSET = -1001
export class KafkajsAdminEngine implements AdminEngine {
  readonly name = 'kafkajs' as const
  readonly #kafka: Kafka
  readonly #admin: KafkajsAdmin
  #connecting: Promise<void> | undefined

  constructor(keys: Record<string, string>, events: EventEmitter) {
    this.#kafka = createKafka(kafkajsAdminSettings(keys), new WeakRef(events))
    this.#admin = this.#kafka.admin()
  }

  /** The admin client, connected once (again after a failed attempt). */
  async #ready(timeoutMs: number): Promise<KafkajsAdmin> {
    this.#connecting ??= this.#admin.connect().catch((err) => {
      this.#connecting = undefined
      throw err
    })
    await reach(() => this.#connecting!, timeoutMs)
    return this.#admin
  }

  /** `fn` on the connected client, bounded by `timeoutMs`, its errors as KafkaErrors. */
  async #run<T>(what: string, timeoutMs: number, fn: (a: KafkajsAdmin) => Promise<T>): Promise<T> {
    const admin = await this.#ready(timeoutMs)
    return within(fn(admin), timeoutMs, what).catch((err) => {
      throw fromKafkajs(err)
    })
  }

  async connect(timeoutMs: number): Promise<void> {
    await this.#ready(timeoutMs)
  }

  async close(): Promise<void> {
    await this.#admin.disconnect().catch(() => {})
  }

  async createTopics(topics: TopicSpec[], validateOnly: boolean, timeoutMs: number): Promise<TopicOutcome[]> {
    const deadline = Date.now() + timeoutMs
    const admin = await this.#ready(timeoutMs)
    const outcomes = await each(
      topics,
      async (t) => {
        const created = await within(
          admin.createTopics({
            validateOnly,
            // kafkajs's own wait gives up on a broker that does not know the topic yet.
            waitForLeaders: false,
            timeout: timeoutMs,
            topics: [
              {
                topic: t.topic,
                numPartitions: t.partitions,
                replicationFactor: t.replicationFactor,
                configEntries: t.config.map(([name, value]) => ({ name, value })),
              },
            ],
          }),
          timeoutMs,
          'createTopics',
        )
        if (!created) {
          throw new KafkaError(`Topic '${t.topic}' already exists.`, { code: 'TOPIC_ALREADY_EXISTS', errno: 36 })
        }
        return { topic: t.topic }
      },
      (t) => ({ topic: t.topic }),
    )
    const created = outcomes.filter((o) => o.error === undefined).map((o) => o.topic)
    if (!validateOnly && created.length > 0) {
      await settleWithin((ms) => this.describeTopics(created, ms).then(allLed), deadline)
    }
    return outcomes
  }

  async deleteTopics(topics: string[], timeoutMs: number): Promise<TopicOutcome[]> {
    const admin = await this.#ready(timeoutMs)
    return each(
      topics,
      async (topic) => {
        await within(admin.deleteTopics({ topics: [topic], timeout: timeoutMs }), timeoutMs, 'deleteTopics')
        return { topic }
      },
      (topic) => ({ topic }),
    )
  }

  async createPartitions(
    items: Array<{ topic: string; count: number }>,
    validateOnly: boolean,
    timeoutMs: number,
  ): Promise<TopicOutcome[]> {
    const admin = await this.#ready(timeoutMs)
    return each(
      items,
      async ({ topic, count }) => {
        const request = admin.createPartitions({
          validateOnly,
          timeout: timeoutMs,
          topicPartitions: [{ topic, count }],
        })
        await within(request, timeoutMs, 'createPartitions')
        return { topic }
      },
      ({ topic }) => ({ topic }),
    )
  }

  listTopics(timeoutMs: number): Promise<string[]> {
    return this.#run('listTopics', timeoutMs, (a) => a.listTopics())
  }

  metadata(topics: string[], timeoutMs: number): Promise<TopicDescription[]> {
    return this.describeTopics(topics, timeoutMs)
  }

  async describeTopics(topics: string[], timeoutMs: number): Promise<TopicDescription[]> {
    const admin = await this.#ready(timeoutMs)
    return each(
      topics,
      async (topic) => {
        const request = admin.fetchTopicMetadata({ topics: [topic] })
        const {
          topics: [meta],
        } = await within(request, timeoutMs, 'describeTopics')
        const partitions = meta!.partitions
          .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
          .sort((a, b) => a.partition - b.partition)
        return { topic, topicId: null, internal: topic.startsWith('__'), partitions }
      },
      (topic) => ({ topic, topicId: null, internal: false, partitions: [] }),
    )
  }

  describeCluster(timeoutMs: number): Promise<ClusterDescription> {
    return this.#run('describeCluster', timeoutMs, async (a) => {
      const d = await a.describeCluster()
      return {
        clusterId: d.clusterId ?? null,
        controller: d.controller ?? -1,
        brokers: d.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port })).sort((x, y) => x.id - y.id),
      }
    })
  }

  async listGroups(timeoutMs: number): Promise<GroupListing[]> {
    const { groups } = await this.#run('listGroups', timeoutMs, (a) => a.listGroups())
    const ids = groups.map((g) => g.groupId).sort()
    if (ids.length === 0) return []
    // kafkajs lists ids and protocol types only: the states come from describing the groups.
    const described = await this.describeGroups(ids, timeoutMs)
    return described.map((d) => ({
      groupId: d.groupId,
      state: d.state,
      simple: d.protocol === '' && d.members.length === 0,
    }))
  }

  async describeGroups(groupIds: string[], timeoutMs: number): Promise<GroupDescription[]> {
    const { groups } = await this.#run('describeGroups', timeoutMs, (a) => a.describeGroups(groupIds))
    const byId = new Map(groups.map((g) => [g.groupId, g]))
    return groupIds.map((groupId) => {
      const g = byId.get(groupId)
      if (g === undefined) {
        const error = new KafkaError(`no answer for group ${groupId}`, { code: '_FAIL' })
        return { groupId, state: 'Unknown', protocol: '', simple: false, coordinator: null, members: [], error }
      }
      const members = g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost.replace(/^\//, ''),
        groupInstanceId: null,
        assignment: assignmentOf(m.memberAssignment),
      }))
      const state = g.state === 'Dead' && members.length === 0 ? 'Dead' : g.state
      return { groupId, state, protocol: g.protocol, simple: false, coordinator: null, members }
    })
  }

  async deleteGroups(groupIds: string[], timeoutMs: number): Promise<GroupOutcome[]> {
    const admin = await this.#ready(timeoutMs)
    return each(
      groupIds,
      async (groupId) => {
        await within(admin.deleteGroups([groupId]), timeoutMs, 'deleteGroups').catch((err) => {
          // KafkaJSDeleteGroupsError carries each group's own protocol error.
          throw (err as { groups?: Array<{ error?: unknown }> }).groups?.[0]?.error ?? err
        })
        return { groupId }
      },
      (groupId) => ({ groupId }),
    )
  }

  async listOffsets(
    queries: TopicPartitionOffset[],
    readCommitted: boolean,
    timeoutMs: number,
  ): Promise<ListedOffset[]> {
    if (readCommitted) throw notImplemented("listOffsets with isolation 'read_committed'")
    const admin = await this.#ready(timeoutMs)
    return offsetsOf(admin, queries, timeoutMs)
  }

  async listGroupOffsets(
    groupId: string,
    partitions: TopicPartition[] | null,
    timeoutMs: number,
  ): Promise<PartitionOutcome[]> {
    const topics = partitions === null ? undefined : [...new Set(partitions.map((p) => p.topic))]
    const fetched = await this.#run('listGroupOffsets', timeoutMs, (a) => a.fetchOffsets({ groupId, topics }))
    const all = fetched.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })),
    )
    const committed = all.map((p) => ({ ...p, offset: p.offset < 0 ? INVALID_OFFSET : p.offset }))
    if (partitions === null) {
      return committed
        .filter((p) => p.offset >= 0)
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    }
    const byKey = new Map(committed.map((p) => [partitionKey(p.topic, p.partition), p]))
    return partitions.map(
      (p) =>
        byKey.get(partitionKey(p.topic, p.partition)) ?? {
          topic: p.topic,
          partition: p.partition,
          offset: INVALID_OFFSET,
        },
    )
  }

  async alterGroupOffsets(
    groupId: string,
    offsets: TopicPartitionOffset[],
    timeoutMs: number,
  ): Promise<PartitionOutcome[]> {
    const admin = await this.#ready(timeoutMs)
    const errors = await perTopic(offsets, (topic, partitions) =>
      within(admin.setOffsets({ groupId, topic, partitions }), timeoutMs, 'alterGroupOffsets'),
    )
    return offsets.map(({ topic, partition, offset }) => {
      const error = errors.get(topic)
      return error === undefined ? { topic, partition, offset: offset! } : { topic, partition, offset: offset!, error }
    })
  }

  async deleteGroupOffsets(): Promise<PartitionOutcome[]> {
    throw notImplemented('deleteGroupOffsets')
  }

  async deleteRecords(items: TopicPartitionOffset[], timeoutMs: number): Promise<PartitionOutcome[]> {
    const admin = await this.#ready(timeoutMs)
    const errors = await perTopic(items, (topic, partitions) =>
      within(admin.deleteTopicRecords({ topic, partitions }), timeoutMs, 'deleteRecords'),
    )
    // kafkajs does not say where each log now starts: read it back.
    const starts = await this.listOffsets(
      items.map(({ topic, partition }) => ({ topic, partition, offset: -2 })),
      false,
      timeoutMs,
    )
    return items.map(({ topic, partition }, i) => {
      const error = errors.get(topic) ?? starts[i]!.error
      const offset = starts[i]!.offset
      return error === undefined ? { topic, partition, offset } : { topic, partition, offset: -1, error }
    })
  }

  async describeConfigs(resources: ConfigResource[], timeoutMs: number): Promise<ConfigDescription[]> {
    const admin = await this.#ready(timeoutMs)
    return each(
      resources,
      (r) => configOf(admin, r, timeoutMs),
      (r) => ({ ...r, entries: [] }),
    )
  }

  async alterConfigs(_items: Array<ConfigResource & { ops: ConfigOp[] }>): Promise<ConfigOutcome[]> {
    // kafkajs's alterConfigs replaces a resource's whole configuration (Kafka's legacy
    // AlterConfigs): emulating an incremental change would reset every other dynamic entry.
    throw notImplemented('alterConfigs (incremental)')
  }
}
