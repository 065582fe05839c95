// Where a kafkajs producer's messages go. kafkajs's default partitioner (Java's murmur2 of the
// key) is librdkafka's murmur2_random, so messages keep their natural path and the native side
// picks the same partition for the same key. Any other partitioner (kafkajs's LegacyPartitioner,
// or an application's) runs here in JavaScript, as kafkajs runs it: with the topic's partition
// metadata (from an admin client, cached for metadataMaxAge) and each kafkajs message, and its
// answer becomes the message's partition.
import type { ICustomPartitioner, Message as KafkajsMessage, PartitionMetadata } from 'kafkajs'

import { Admin, adminMetadata } from '../admin'
import { kafkajs } from '../engine'
import type { Message } from '../types'
import type { Settings } from './config'
import { toKafkajs } from './errors'
import { toMessage } from './messages'

const METADATA_MAX_AGE_MS = 300_000

export class PartitionChooser {
  /** The librdkafka settings for the native path (empty when partitions are chosen here). */
  readonly settings: Settings
  readonly #choose: ReturnType<ICustomPartitioner> | undefined
  readonly #client: Settings
  readonly #maxAgeMs: number
  #admin: Admin | undefined
  readonly #metadata = new Map<string, { at: number; partitions: PartitionMetadata[] }>()

  constructor(create: ICustomPartitioner | undefined, client: Settings, maxAgeMs = METADATA_MAX_AGE_MS) {
    const { Partitioners } = kafkajs()
    const native =
      create === undefined ||
      create === Partitioners.DefaultPartitioner ||
      create === Partitioners.JavaCompatiblePartitioner
    this.settings = native ? { partitioner: 'murmur2_random' } : {}
    this.#choose = native ? undefined : create()
    this.#client = client
    this.#maxAgeMs = maxAgeMs
  }

  /** The messages as turbokafka messages when librdkafka partitions them; undefined otherwise. */
  placeNow(messages: KafkajsMessage[]): Message[] | undefined {
    return this.#choose === undefined ? messages.map(toMessage) : undefined
  }

  /** The messages as turbokafka messages, each with its partition when a JS partitioner chooses. */
  async place(topic: string, messages: KafkajsMessage[]): Promise<Message[]> {
    const out = messages.map(toMessage)
    if (this.#choose === undefined) return out
    const partitionMetadata = await this.#partitions(topic)
    messages.forEach((message, i) => {
      out[i]!.partition = this.#choose!({ topic, partitionMetadata, message })
    })
    return out
  }

  async #partitions(topic: string): Promise<PartitionMetadata[]> {
    const cached = this.#metadata.get(topic)
    if (cached !== undefined && Date.now() - cached.at < this.#maxAgeMs) return cached.partitions
    this.#admin ??= new Admin({ ...this.#client, engine: 'native' })
    const [d] = await adminMetadata(this.#admin, [topic]).catch((err: unknown) => {
      throw toKafkajs(err)
    })
    if (d!.error) throw toKafkajs(d!.error)
    const partitions = d!.partitions.map((p) => ({
      partitionErrorCode: 0,
      partitionId: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
    }))
    this.#metadata.set(topic, { at: Date.now(), partitions })
    return partitions
  }

  async close(): Promise<void> {
    await this.#admin?.close()
  }
}
