import { crc32 } from 'node:zlib'

import { beforeAll, describe, expect, it } from 'vitest'

import { KafkaError, Producer } from '../../lib/index'
import { readBack, uniqueTopic } from '../helpers'
import { createTopic, endOffsetTotal, single } from './clusters'

let servers: string
beforeAll(() => {
  servers = single().bootstrapServers
})

const value = (seq: number) => Buffer.from(`m${seq}:`.padEnd(100, '.'))
const key = (seq: number) => `k${seq % 997}`

describe('Producer against Apache Kafka', () => {
  it('delivers 1M messages with the durable preset: offsets add up, content and order read back', async () => {
    const topic = uniqueTopic('durable')
    await createTopic(servers, topic, 6)
    const producer = new Producer({ 'bootstrap.servers': servers }) // durable: idempotent, acks=all
    await producer.connect()
    const total = 1_000_000
    const batchSize = 10_000
    const reports = []
    for (let start = 0; start < total; start += batchSize) {
      const batch = Array.from({ length: batchSize }, (_, i) => {
        const seq = start + i
        return { value: value(seq), key: key(seq), headers: { seq: String(seq) } }
      })
      reports.push(producer.produceBatch(topic, batch))
      if (reports.length % 8 === 0) await reports[reports.length - 4] // keep a few batches in flight
    }
    const settled = await Promise.all(reports)
    expect(settled.reduce((n, r) => n + r.delivered, 0)).toBe(total)
    expect(settled.every((r) => r.failed === 0)).toBe(true)
    await producer.close()

    expect(await endOffsetTotal(servers, topic)).toBe(total)

    // Read everything back with kafkajs: each message once, intact, in order within its partition.
    const got = await readBack(servers, topic, total, 180_000)
    expect(got.length).toBe(total)
    const seen = new Uint8Array(total)
    const lastSeq = new Map<number, number>()
    for (const m of got) {
      const seq = Number(m.headers.seq!.toString())
      expect(seen[seq]).toBe(0)
      seen[seq] = 1
      expect(seq).toBeGreaterThan(lastSeq.get(m.partition) ?? -1)
      lastSeq.set(m.partition, seq)
      if (!m.value!.equals(value(seq)) || m.key!.toString() !== key(seq)) {
        throw new Error(`message ${seq} differs: ${m.key} ${m.value}`)
      }
    }
    expect(seen.every((x) => x === 1)).toBe(true)
  })

  it("places keyed messages the way librdkafka's default partitioner says, across batches", async () => {
    const topic = uniqueTopic('keys')
    const partitions = 6
    await createTopic(servers, topic, partitions)
    const producer = new Producer({ 'bootstrap.servers': servers })
    const keys = Array.from({ length: 50 }, (_, i) => `customer-${i}`)
    for (let round = 0; round < 3; round++) {
      const r = await producer.produceBatch(
        topic,
        keys.map((k) => ({ key: k, value: `${k}@${round}` })),
      )
      expect(r.delivered).toBe(keys.length)
    }
    await producer.close()
    const got = await readBack(servers, topic, keys.length * 3)
    for (const m of got) {
      const k = m.key!
      // consistent_random: CRC-32 of the key modulo the partition count.
      expect(m.partition).toBe(crc32(k) % partitions)
    }
    // Every round of one key landed in one partition, in round order.
    for (const k of keys) {
      const mine = got.filter((m) => m.key!.toString() === k)
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1)
      expect(mine.map((m) => m.value!.toString())).toEqual([0, 1, 2].map((r) => `${k}@${r}`))
    }
  })

  it('fails every message to a missing topic with a code (auto-create off), without hanging', async () => {
    const producer = new Producer({
      'bootstrap.servers': servers,
      'message.timeout.ms': 10_000,
      'topic.metadata.propagation.max.ms': 1000,
    })
    const report = await producer.produceBatch(uniqueTopic('missing'), ['a', 'b', { value: 'c', key: 'k' }])
    expect(report.delivered).toBe(0)
    expect(report.errors.map((f) => f.index)).toEqual([0, 1, 2])
    for (const f of report.errors) {
      expect(f.error).toBeInstanceOf(KafkaError)
      expect(['UNKNOWN_TOPIC_OR_PART', '_UNKNOWN_TOPIC', '_MSG_TIMED_OUT']).toContain(f.error.code)
    }
    const s = producer.stats()
    expect(s.failed).toBe(3)
    expect(s.queued).toBe(0)
    await producer.close()
  })
})
