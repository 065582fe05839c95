import {
  checkAlterations,
  checkGroupId,
  checkNames,
  checkNewTopics,
  checkOffsetQueries,
  checkOffsetsToSet,
  checkPartitionCounts,
  checkRecordsToDelete,
  checkResources,
  checkTopicPartitions,
  timeoutOf,
} from './admin-checks'
import type {
  AdminCallOptions,
  ClusterDescription,
  ConfigAlteration,
  ConfigDescription,
  ConfigOutcome,
  ConfigResource,
  GroupDescription,
  GroupListing,
  GroupOutcome,
  ListedOffset,
  NewTopic,
  OffsetQuery,
  OffsetToSet,
  PartitionOutcome,
  RecordsToDelete,
  TopicDescription,
  TopicOutcome,
  ValidateOptions,
} from './admin-types'
import { Client } from './client'
import { resolveAdminConfig, type AdminConfig } from './config'
import { resolveEngine } from './engine'
import type { AdminEngine } from './engines/contract'
import { KafkajsAdminEngine } from './engines/kafkajs/admin'
import { NativeAdminEngine } from './engines/native/admin'
import { invalidArg, KafkaError } from './errors'
import type { Collected } from './metrics/catalog'
import { AdminMetrics, clientLabels } from './metrics/clients'
import type { LogEntry, TopicPartition } from './types'

export interface AdminEvents {
  log: [entry: LogEntry]
  warning: [error: KafkaError]
}

/** Kafka's own topics, which listTopics leaves out unless asked. */
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state'])

/**
 * A Kafka admin client: topics, partitions, consumer groups and their offsets, records and
 * configs, over librdkafka's admin API (or kafkajs's: see `engine`). Every call takes an optional
 * last `{ timeoutMs }` (30 s by default) and answers calls on many items per item, in the order
 * given; the promise rejects only when the request as a whole failed (bad input `_INVALID_ARG`,
 * a closed client `_STATE`, an unreachable cluster `_TRANSPORT` or `_TIMED_OUT`).
 *
 * ```ts
 * const admin = new Admin({ 'bootstrap.servers': '127.0.0.1:9092' })
 * const [created] = await admin.createTopics([{ topic: 'events', partitions: 6, replicationFactor: 3 }])
 * if (created.error && created.error.code !== 'TOPIC_ALREADY_EXISTS') throw created.error
 * await admin.close()
 * ```
 */
/** Partitions and leaders of topics from a metadata request: for turbokafka/kafkajs's partitioners. Not public API. */
let metadataOf: (admin: Admin, topics: string[], timeoutMs: number) => ReturnType<AdminEngine['metadata']>

export function adminMetadata(admin: Admin, topics: string[], timeoutMs = 30_000): ReturnType<AdminEngine['metadata']> {
  return metadataOf(admin, topics, timeoutMs)
}

export class Admin extends Client<AdminEvents, AdminEngine> {
  static {
    metadataOf = (a, topics, timeoutMs) => a.callAsync(() => a.core.metadata(topics, timeoutMs))
  }

  /**
   * @param config librdkafka client keys (`bootstrap.servers`, security, `client.id`, ...) plus
   *   `engine` (`auto` by default).
   */
  readonly #metrics: AdminMetrics

  constructor(config: AdminConfig) {
    let metrics: AdminMetrics | undefined
    super('admin', (events) => {
      const resolved = resolveAdminConfig(config)
      metrics = new AdminMetrics(clientLabels(resolved.keys['client.id']!, 'admin'))
      const engine =
        resolveEngine(resolved.engine) === 'native'
          ? new NativeAdminEngine(resolved.keys)
          : new KafkajsAdminEngine(resolved.keys, events)
      return counted(engine, metrics)
    })
    this.#metrics = metrics!
  }

  /** @internal Adds this admin client's samples to a scrape (see metricsText). */
  collectMetrics(out: Collected): void {
    this.#metrics.collect(out)
  }

  /** Creates topics; an existing one answers `TOPIC_ALREADY_EXISTS` in its item. */
  async createTopics(topics: NewTopic[], options?: ValidateOptions): Promise<TopicOutcome[]> {
    const t = timeoutOf('createTopics', options)
    const specs = checkNewTopics(topics)
    return this.callAsync(() => this.core.createTopics(specs, options?.validateOnly === true, t))
  }

  async deleteTopics(topics: string[], options?: AdminCallOptions): Promise<TopicOutcome[]> {
    const t = timeoutOf('deleteTopics', options)
    const names = checkNames('deleteTopics', 'topics', topics)
    return this.callAsync(() => this.core.deleteTopics(names, t))
  }

  /** Topic names, sorted; Kafka's internal topics only with `{ internal: true }`. */
  async listTopics(options?: AdminCallOptions & { internal?: boolean }): Promise<string[]> {
    const t = timeoutOf('listTopics', options)
    const all = await this.callAsync(() => this.core.listTopics(t))
    return all.filter((n) => options?.internal === true || !INTERNAL_TOPICS.has(n)).sort()
  }

  /** Partitions (leader, replicas, in-sync replicas) and ids of topics; their configs with `{ configs: true }`. */
  async describeTopics(
    topics: string[],
    options?: AdminCallOptions & { configs?: boolean },
  ): Promise<TopicDescription[]> {
    const t = timeoutOf('describeTopics', options)
    const names = checkNames('describeTopics', 'topics', topics)
    const described = await this.callAsync(() => this.core.describeTopics(names, t))
    if (options?.configs !== true) return described
    const configs = await this.callAsync(() =>
      this.core.describeConfigs(
        names.map((name) => ({ type: 'topic', name })),
        t,
      ),
    )
    return described.map((d, i) => (d.error ? d : { ...d, configs: configs[i]!.entries }))
  }

  /** Raises topics' partition counts to `count` (never lowers: `INVALID_PARTITIONS`). */
  async createPartitions(
    topics: Array<{ topic: string; count: number }>,
    options?: ValidateOptions,
  ): Promise<TopicOutcome[]> {
    const t = timeoutOf('createPartitions', options)
    const counts = checkPartitionCounts(topics)
    return this.callAsync(() => this.core.createPartitions(counts, options?.validateOnly === true, t))
  }

  /** The brokers (sorted by id), the controller and the cluster id. */
  async describeCluster(options?: AdminCallOptions): Promise<ClusterDescription> {
    const t = timeoutOf('describeCluster', options)
    return this.callAsync(() => this.core.describeCluster(t))
  }

  /** The cluster's consumer groups, sorted by id; rejects if a broker could not answer. */
  async listGroups(options?: AdminCallOptions): Promise<GroupListing[]> {
    const t = timeoutOf('listGroups', options)
    return this.callAsync(() => this.core.listGroups(t))
  }

  /** State, assignor, coordinator and members (with their assignments) of groups. */
  async describeGroups(groupIds: string[], options?: AdminCallOptions): Promise<GroupDescription[]> {
    const t = timeoutOf('describeGroups', options)
    const ids = checkNames('describeGroups', 'groupIds', groupIds)
    return this.callAsync(() => this.core.describeGroups(ids, t))
  }

  /** Deletes groups; one with members answers `NON_EMPTY_GROUP` in its item. */
  async deleteGroups(groupIds: string[], options?: AdminCallOptions): Promise<GroupOutcome[]> {
    const t = timeoutOf('deleteGroups', options)
    const ids = checkNames('deleteGroups', 'groupIds', groupIds)
    return this.callAsync(() => this.core.deleteGroups(ids, t))
  }

  /**
   * Each partition's first offset (`at: 'earliest'`), next offset to be written (`'latest'`) or
   * first offset at or after a timestamp in ms. With `isolation: 'read_committed'`, `latest` is
   * the last stable offset (before any open transaction).
   */
  async listOffsets(
    queries: OffsetQuery[],
    options?: AdminCallOptions & { isolation?: 'read_uncommitted' | 'read_committed' },
  ): Promise<ListedOffset[]> {
    const t = timeoutOf('listOffsets', options)
    const isolation = options?.isolation ?? 'read_uncommitted'
    if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
      throw invalidArg(`listOffsets: isolation must be 'read_uncommitted' or 'read_committed'`)
    }
    const list = checkOffsetQueries(queries)
    return this.callAsync(() => this.core.listOffsets(list, isolation === 'read_committed', t))
  }

  /** A group's committed offsets (-1001 where none): of `partitions`, or of every partition it has one for. */
  async listGroupOffsets(
    groupId: string,
    partitions?: TopicPartition[] | null,
    options?: AdminCallOptions,
  ): Promise<PartitionOutcome[]> {
    const t = timeoutOf('listGroupOffsets', options)
    const id = checkGroupId('listGroupOffsets', groupId)
    const list =
      partitions === undefined || partitions === null ? null : checkTopicPartitions('listGroupOffsets', partitions)
    return this.callAsync(() => this.core.listGroupOffsets(id, list, t))
  }

  /**
   * Sets a group's committed offsets, where its consumers resume. Kafka refuses while the group
   * has members (`UNKNOWN_MEMBER_ID`): stop them first.
   */
  async alterGroupOffsets(
    groupId: string,
    offsets: OffsetToSet[],
    options?: AdminCallOptions,
  ): Promise<PartitionOutcome[]> {
    const t = timeoutOf('alterGroupOffsets', options)
    const id = checkGroupId('alterGroupOffsets', groupId)
    const list = checkOffsetsToSet(offsets)
    return this.callAsync(() => this.core.alterGroupOffsets(id, list, t))
  }

  /** Removes a group's committed offsets of partitions it no longer reads (`GROUP_SUBSCRIBED_TO_TOPIC` otherwise). */
  async deleteGroupOffsets(
    groupId: string,
    partitions: TopicPartition[],
    options?: AdminCallOptions,
  ): Promise<PartitionOutcome[]> {
    const t = timeoutOf('deleteGroupOffsets', options)
    const id = checkGroupId('deleteGroupOffsets', groupId)
    const list = checkTopicPartitions('deleteGroupOffsets', partitions)
    return this.callAsync(() => this.core.deleteGroupOffsets(id, list, t))
  }

  /** Deletes every record before `before` (-1: all); each item's `offset` is the log's new start. */
  async deleteRecords(records: RecordsToDelete[], options?: AdminCallOptions): Promise<PartitionOutcome[]> {
    const t = timeoutOf('deleteRecords', options)
    const list = checkRecordsToDelete(records)
    return this.callAsync(() => this.core.deleteRecords(list, t))
  }

  /** Every config entry of topics and brokers (sensitive values never included), sorted by name. */
  async describeConfigs(resources: ConfigResource[], options?: AdminCallOptions): Promise<ConfigDescription[]> {
    const t = timeoutOf('describeConfigs', options)
    const list = checkResources(resources)
    return this.callAsync(() => this.core.describeConfigs(list, t))
  }

  /** Changes configs incrementally: each change sets, deletes, appends to or subtracts from one entry. */
  async alterConfigs(resources: ConfigAlteration[], options?: ValidateOptions): Promise<ConfigOutcome[]> {
    const t = timeoutOf('alterConfigs', options)
    const list = checkAlterations(resources)
    return this.callAsync(() => this.core.alterConfigs(list, options?.validateOnly === true, t))
  }

  /** Releases the client; a call still waiting for its answer rejects with `_DESTROY`. Safe to call twice. */
  close(timeoutMs: number = 10_000): Promise<void> {
    return this.closeOnce(timeoutMs, 0)
  }
}

/** The engine, with every asynchronous call counted by operation (and its failures by code). */
function counted(engine: AdminEngine, metrics: AdminMetrics): AdminEngine {
  return new Proxy(engine, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      if (prop === 'connect' || prop === 'close' || typeof prop !== 'string') return value.bind(target) as unknown
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args)
        if (!(result instanceof Promise)) return result
        return result.then(
          (v: unknown) => {
            metrics.finished(prop, undefined)
            return v
          },
          (err: unknown) => {
            metrics.finished(prop, KafkaError.from(err))
            throw err
          },
        )
      }
    },
  })
}
