// The kafkajs consumer engine's reads of the cluster's offsets (committed offsets, watermarks),
// through one kafkajs admin client connected on first use.
import type { Admin, Kafka } from 'kafkajs'

import { KafkaError } from '../../errors'
import type { TopicPartition, TopicPartitionPosition } from '../../types'
import { partitionKey } from '../shared'
import { within } from './client'
import { fromKafkajs } from './errors'

/** librdkafka's "no offset" (RD_KAFKA_OFFSET_INVALID). */
export const INVALID_OFFSET = -1001

const rethrow = (err: unknown): never => {
  throw fromKafkajs(err)
}

export class OffsetReader {
  readonly #kafka: Kafka
  #admin: Promise<Admin> | undefined

  constructor(kafka: Kafka) {
    this.#kafka = kafka
  }

  /** The admin client, connected (again, after a failed attempt) on first use. */
  admin(): Promise<Admin> {
    if (this.#admin === undefined) {
      const admin = this.#kafka.admin()
      this.#admin = admin.connect().then(
        () => admin,
        (err) => {
          this.#admin = undefined
          throw fromKafkajs(err)
        },
      )
    }
    return this.#admin
  }

  /** The group's committed offsets of `list`, INVALID_OFFSET where it has none. */
  async committed(
    groupId: string,
    list: ReadonlyArray<TopicPartition>,
    timeoutMs: number,
  ): Promise<TopicPartitionPosition[]> {
    if (list.length === 0) return []
    const admin = await this.admin()
    const topics = [...new Set(list.map((tp) => tp.topic))]
    const fetched = await within(admin.fetchOffsets({ groupId, topics }), timeoutMs, 'committed').catch(rethrow)
    const found = new Map<string, number>()
    for (const t of fetched)
      for (const p of t.partitions) found.set(partitionKey(t.topic, p.partition), Number(p.offset))
    return list.map(({ topic, partition }) => {
      const o = found.get(partitionKey(topic, partition))
      return { topic, partition, offset: o === undefined || o < 0 ? INVALID_OFFSET : o }
    })
  }

  async watermarks(topic: string, partition: number, timeoutMs: number): Promise<{ low: number; high: number }> {
    const admin = await this.admin()
    const offsets = await within(admin.fetchTopicOffsets(topic), timeoutMs, 'watermarks').catch(rethrow)
    const p = offsets.find((o) => o.partition === partition)
    if (p === undefined)
      throw new KafkaError(`${topic} has no partition ${partition}`, { code: 'UNKNOWN_TOPIC_OR_PART', errno: 3 })
    return { low: Number(p.low), high: Number(p.high) }
  }

  /** Disconnects the admin client, if it connected; never rejects. */
  async close(): Promise<void> {
    const admin = this.#admin
    this.#admin = undefined
    if (admin !== undefined) await admin.then((a) => a.disconnect()).catch(() => {})
  }
}
