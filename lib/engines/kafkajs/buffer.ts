// The kafkajs engine's buffer between kafkajs's push (eachBatch) and consumeBatch's pull: fetched
// batches wait here, oldest first, until consumeBatch has taken them whole or they are dropped
// (pause, seek, a rebalance, close); then eachBatch may return (see consumer.ts).
import type { KafkaMessage } from 'kafkajs'

import type { ConsumedMessage } from '../../types'

/** A fetched batch in the buffer. */
export interface Entry {
  topic: string
  partition: number
  messages: KafkaMessage[]
  taken: number
  /** Set once eachBatch may return: all taken, or dropped. */
  released: boolean
  release: () => void
}

export class BatchBuffer {
  readonly #entries: Entry[] = []

  push(entry: Entry): void {
    this.#entries.push(entry)
  }

  /** Removes `entry` and lets its eachBatch return. */
  drop(entry: Entry): void {
    const at = this.#entries.indexOf(entry)
    if (at >= 0) this.#entries.splice(at, 1)
    entry.release()
  }

  dropWhere(match: (e: Entry) => boolean): void {
    for (const entry of this.#entries.filter(match)) this.drop(entry)
  }

  dropAll(): void {
    this.dropWhere(() => true)
  }

  /**
   * Up to `max` messages, oldest batch first; releases batches taken whole. `taken` hears each
   * partition's next offset after what was taken of it.
   */
  take(max: number, taken: (topic: string, partition: number, next: number) => void): ConsumedMessage[] {
    const out: ConsumedMessage[] = []
    while (out.length < max && this.#entries.length > 0) {
      const entry = this.#entries[0]!
      const end = Math.min(entry.messages.length, entry.taken + (max - out.length))
      for (let i = entry.taken; i < end; i++) out.push(toConsumed(entry.topic, entry.partition, entry.messages[i]!))
      entry.taken = end
      taken(entry.topic, entry.partition, Number(entry.messages[end - 1]!.offset) + 1)
      if (end === entry.messages.length) {
        this.#entries.shift()
        entry.release()
      }
    }
    return out
  }
}

function toConsumed(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  const headers: Array<[string, Buffer | null]> = []
  if (m.headers !== undefined) {
    for (const [name, v] of Object.entries(m.headers)) {
      if (Array.isArray(v)) for (const one of v) headers.push([name, toBuffer(one)])
      else headers.push([name, toBuffer(v)])
    }
  }
  return {
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key ?? null,
    value: m.value ?? null,
    headers,
  }
}

function toBuffer(v: Buffer | string | undefined | null): Buffer | null {
  if (v === undefined || v === null) return null
  return typeof v === 'string' ? Buffer.from(v) : v
}
