// kafkajs's admin client over turbokafka's Admin (native engine): the topic, offset, group and
// cluster calls, with kafkajs's argument and answer shapes. Calls it has no counterpart for
// (ACLs, partition reassignments, kafkajs-style configs) fail at once, naming themselves.
import type { ITopicConfig, ITopicMetadata } from 'kafkajs'

import { Admin } from '../admin'
import type { KafkaError } from '../errors'
import type { Settings } from './config'
import { notSupported, toKafkajs } from './errors'

type Offsets = Array<{ partition: number; offset: string }>

/** Throws the first item error as kafkajs would (a per-topic or per-group failure rejects). */
function check<T extends { error?: KafkaError }>(items: T[]): T[] {
  const failed = items.find((i) => i.error)
  if (failed) throw toKafkajs(failed.error)
  return items
}

export class CompatAdmin {
  readonly #admin: Admin

  constructor(client: Settings) {
    this.#admin = new Admin({ ...client, engine: 'native' })
  }

  async #call<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    try {
      return await fn(this.#admin)
    } catch (err) {
      throw err instanceof Error && err.name.startsWith('KafkaJS') ? err : toKafkajs(err)
    }
  }

  connect(): Promise<void> {
    return this.#call((a) => a.connect())
  }

  disconnect(): Promise<void> {
    return this.#call((a) => a.close())
  }

  /** true when every topic was created; false when one existed already (kafkajs's answer). */
  createTopics(args: { topics: ITopicConfig[]; validateOnly?: boolean; timeout?: number }): Promise<boolean> {
    return this.#call(async (a) => {
      const out = await a.createTopics(
        args.topics.map((t) => ({
          topic: t.topic,
          partitions: t.numPartitions === undefined || t.numPartitions < 0 ? undefined : t.numPartitions,
          replicationFactor:
            t.replicationFactor === undefined || t.replicationFactor < 0 ? undefined : t.replicationFactor,
          config: Object.fromEntries((t.configEntries ?? []).map((c) => [c.name, c.value])),
        })),
        { validateOnly: args.validateOnly === true, timeoutMs: args.timeout },
      )
      const existed = out.some((o) => o.error?.code === 'TOPIC_ALREADY_EXISTS')
      check(out.filter((o) => o.error?.code !== 'TOPIC_ALREADY_EXISTS'))
      return !existed
    })
  }

  deleteTopics(args: { topics: string[]; timeout?: number }): Promise<void> {
    return this.#call(async (a) => {
      check(await a.deleteTopics(args.topics, { timeoutMs: args.timeout }))
    })
  }

  listTopics(): Promise<string[]> {
    return this.#call((a) => a.listTopics())
  }

  createPartitions(args: { topicPartitions: Array<{ topic: string; count: number }> }): Promise<boolean> {
    return this.#call(async (a) => {
      check(await a.createPartitions(args.topicPartitions))
      return true
    })
  }

  fetchTopicMetadata(args: { topics?: string[] } = {}): Promise<{ topics: ITopicMetadata[] }> {
    return this.#call(async (a) => {
      const names = args.topics && args.topics.length > 0 ? args.topics : await a.listTopics()
      const described = check(await a.describeTopics(names))
      return {
        topics: described.map((d) => ({
          name: d.topic,
          partitions: d.partitions.map((p) => ({
            partitionErrorCode: 0,
            partitionId: p.partition,
            leader: p.leader,
            replicas: p.replicas,
            isr: p.isr,
            offlineReplicas: [],
          })),
        })),
      }
    })
  }

  /** Each partition's low and high watermark; `offset` is the high one, as in kafkajs. */
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string; high: string; low: string }>> {
    return this.#call(async (a) => {
      const [d] = check(await a.describeTopics([topic]))
      const parts = d!.partitions.map(({ partition }) => partition)
      const [low, high] = await Promise.all(
        (['earliest', 'latest'] as const).map(async (at) =>
          check(await a.listOffsets(parts.map((partition) => ({ topic, partition, at })))),
        ),
      )
      return parts.map((partition, i) => ({
        partition,
        offset: String(high![i]!.offset),
        high: String(high![i]!.offset),
        low: String(low![i]!.offset),
      }))
    })
  }

  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<Offsets> {
    return this.#call(async (a) => {
      const [d] = check(await a.describeTopics([topic]))
      const at = timestamp === undefined ? ('latest' as const) : timestamp
      const found = check(await a.listOffsets(d!.partitions.map(({ partition }) => ({ topic, partition, at }))))
      // A time after the last message: kafkajs answers the end of the log, not -1 (asked only then).
      const latest = found.every((o) => o.offset >= 0)
        ? found
        : check(
            await a.listOffsets(d!.partitions.map(({ partition }) => ({ topic, partition, at: 'latest' as const }))),
          )
      return found.map((o, i) => ({
        partition: o.partition,
        offset: String(o.offset < 0 ? latest[i]!.offset : o.offset),
      }))
    })
  }

  fetchOffsets(args: {
    groupId: string
    topics?: string[]
  }): Promise<
    Array<{ topic: string; partitions: Array<{ partition: number; offset: string; metadata: string | null }> }>
  > {
    return this.#call(async (a) => {
      const all = await a.listGroupOffsets(args.groupId)
      const topics = args.topics ?? [...new Set(all.map((o) => o.topic))]
      const described = await a.describeTopics(topics)
      return described.map((d) => ({
        topic: d.topic,
        partitions: (d.partitions ?? []).map(({ partition }) => {
          const o = all.find((x) => x.topic === d.topic && x.partition === partition)
          return { partition, offset: String(o && o.offset >= 0 ? o.offset : -1), metadata: null }
        }),
      }))
    })
  }

  setOffsets(args: { groupId: string; topic: string; partitions: Offsets }): Promise<void> {
    return this.#call(async (a) => {
      const list = args.partitions.map((p) => ({ topic: args.topic, partition: p.partition, offset: Number(p.offset) }))
      check(await a.alterGroupOffsets(args.groupId, list))
    })
  }

  resetOffsets(args: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    return this.#call(async (a) => {
      const [d] = check(await a.describeTopics([args.topic]))
      const at = args.earliest ? ('earliest' as const) : ('latest' as const)
      const ends = check(
        await a.listOffsets(d!.partitions.map(({ partition }) => ({ topic: args.topic, partition, at }))),
      )
      check(
        await a.alterGroupOffsets(
          args.groupId,
          ends.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
        ),
      )
    })
  }

  deleteTopicRecords(args: { topic: string; partitions: Offsets }): Promise<void> {
    return this.#call(async (a) => {
      check(
        await a.deleteRecords(
          args.partitions.map((p) => ({ topic: args.topic, partition: p.partition, before: Number(p.offset) })),
        ),
      )
    })
  }

  listGroups(): Promise<{ groups: Array<{ groupId: string; protocolType: string }> }> {
    return this.#call(async (a) => ({
      groups: (await a.listGroups()).map((g) => ({ groupId: g.groupId, protocolType: g.simple ? '' : 'consumer' })),
    }))
  }

  describeGroups(groupIds: string[]) {
    return this.#call(async (a) => ({
      groups: (await a.describeGroups(groupIds)).map((g) => ({
        groupId: g.groupId,
        state: g.state,
        protocol: g.protocol,
        protocolType: 'consumer',
        errorCode: 0,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.host,
          memberMetadata: Buffer.alloc(0),
          memberAssignment: Buffer.alloc(0),
        })),
      })),
    }))
  }

  deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    return this.#call(async (a) => {
      const out = check(await a.deleteGroups(groupIds))
      return out.map((g) => ({ groupId: g.groupId, errorCode: 0 }))
    })
  }

  describeCluster(): Promise<{
    brokers: Array<{ nodeId: number; host: string; port: number }>
    controller: number
    clusterId: string
  }> {
    return this.#call(async (a) => {
      const c = await a.describeCluster()
      return {
        brokers: c.brokers.map((b) => ({ nodeId: b.id, host: b.host, port: b.port })),
        controller: c.controller,
        clusterId: c.clusterId ?? '',
      }
    })
  }

  describeConfigs(): never {
    throw notSupported('admin.describeConfigs()', 'use turbokafka’s Admin describeConfigs')
  }

  alterConfigs(): never {
    throw notSupported('admin.alterConfigs()', 'use turbokafka’s Admin alterConfigs (incremental)')
  }

  createAcls(): never {
    throw notSupported('admin.createAcls()')
  }

  describeAcls(): never {
    throw notSupported('admin.describeAcls()')
  }

  deleteAcls(): never {
    throw notSupported('admin.deleteAcls()')
  }

  alterPartitionReassignments(): never {
    throw notSupported('admin.alterPartitionReassignments()')
  }

  listPartitionReassignments(): never {
    throw notSupported('admin.listPartitionReassignments()')
  }

  on(event: string): never {
    throw notSupported(`admin event "${event}"`)
  }

  logger(): never {
    throw notSupported('admin.logger()', 'pass logCreator to Kafka')
  }
}
