import { readdirSync } from 'node:fs'

import { beforeAll, describe, expect, it } from 'vitest'

import { Admin, Consumer, KafkaError, Producer, type ConsumedMessage, type RebalanceEvent } from '../../lib/index'
import { librdkafkaAtLeast } from '../../lib/version'
import { newConsumer, uniqueTopic } from '../helpers'
import { createTopic, single } from './clusters'

let servers: string
beforeAll(() => {
  servers = single().bootstrapServers
})

const consumer = (group: string, extra: Record<string, string | number | boolean> = {}): Consumer =>
  newConsumer(servers, group, extra)

async function until(
  c: Consumer,
  done: (got: ConsumedMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<ConsumedMessage[]> {
  const got: ConsumedMessage[] = []
  const deadline = Date.now() + timeoutMs
  while (!done(got)) {
    if (Date.now() > deadline) throw new Error(`gave up after ${got.length} messages`)
    got.push(...(await c.consumeBatch(10_000, 500)))
  }
  return got
}

describe('Consumer against Apache Kafka', () => {
  it('round-trips 1M messages exactly: bytes, keys, headers, timestamps, order, no gaps, no duplicates', async () => {
    const topic = uniqueTopic('c-million')
    await createTopic(servers, topic, 6)
    const total = 1_000_000
    const producer = new Producer({ 'bootstrap.servers': servers })
    const pending = []
    for (let start = 0; start < total; start += 10_000) {
      pending.push(
        producer.produceBatch(
          topic,
          Array.from({ length: 10_000 }, (_, j) => {
            const i = start + j
            return {
              value: i % 5000 === 7 ? null : Buffer.from(`v${i}`.padEnd(64 + (i % 17), '~')),
              key: `k${i % 101}`,
              headers: i % 1000 === 0 ? { seq: String(i) } : undefined,
              timestamp: 1_600_000_000_000 + i,
            }
          }),
        ),
      )
      if (pending.length % 8 === 0) await pending[pending.length - 4]
    }
    expect((await Promise.all(pending)).reduce((n, r) => n + r.delivered, 0)).toBe(total)
    await producer.close()

    const c = consumer(uniqueTopic('g'))
    // The broker kept everything (a moved log start would read as messages lost by the client).
    for (let p = 0; p < 6; p++) expect((await c.watermarks(topic, p)).low).toBe(0)
    c.subscribe([topic])
    const seen = new Uint8Array(total)
    const next = new Map<number, number>()
    let count = 0
    const deadline = Date.now() + 180_000
    while (count < total) {
      if (Date.now() > deadline) throw new Error(`consumed ${count} of ${total}`)
      // Plain comparisons: a million vitest expect() calls would cost more than the reading.
      for (const m of await c.consumeBatch(10_000, 1000)) {
        const i = m.timestamp - 1_600_000_000_000
        if (!(i >= 0 && i < total) || seen[i]) throw new Error(`message ${i} unexpected or seen twice`)
        seen[i] = 1
        const want = next.get(m.partition) ?? 0
        if (m.offset !== want) throw new Error(`partition ${m.partition}: offset ${m.offset}, expected ${want}`)
        next.set(m.partition, m.offset + 1)
        const wantValue = i % 5000 === 7 ? null : `v${i}`.padEnd(64 + (i % 17), '~')
        if ((m.value === null ? null : m.value.toString()) !== wantValue || m.key!.toString() !== `k${i % 101}`) {
          throw new Error(`message ${i} differs`)
        }
        const headers = m.headers.map(([k, v]) => `${k}=${v?.toString()}`).join(',')
        if (headers !== (i % 1000 === 0 ? `seq=${i}` : '')) throw new Error(`message ${i}: headers ${headers}`)
        count++
      }
    }
    expect(count).toBe(total)
    await c.commit()
    await c.close()
  })

  it('hands partitions over when a member leaves, and a restart resumes at the committed offsets', async () => {
    const topic = uniqueTopic('c-handover')
    await createTopic(servers, topic, 4)
    const group = uniqueTopic('group')
    const producer = new Producer({ 'bootstrap.servers': servers })
    await producer.produceBatch(
      topic,
      Array.from({ length: 2000 }, (_, i) => ({ value: `m${i}`, partition: i % 4 })),
    )
    const a = consumer(group)
    const b = consumer(group)
    a.subscribe([topic])
    b.subscribe([topic])
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline && !(a.assignment().length === 2 && b.assignment().length === 2)) {
      await a.consumeBatch(1, 100)
      await b.consumeBatch(1, 100)
    }
    expect(a.assignment().length + b.assignment().length).toBe(4)
    await a.close() // leaves the group: b gets everything at once, no session timeout to wait for
    await until(b, () => b.assignment().length === 4, 20_000)
    // Commit a position for every partition, close, and restart in the same group.
    await b.commit([0, 1, 2, 3].map((partition) => ({ topic, partition, offset: 100 })))
    await b.close()
    const c = consumer(group)
    c.subscribe([topic])
    const got = await until(c, (g) => g.length >= 1600)
    for (const p of [0, 1, 2, 3]) expect(got.filter((m) => m.partition === p)[0]!.offset).toBe(100)
    await c.close()
    await producer.close()
  })

  it('rebalances incrementally with cooperative-sticky', async () => {
    const topic = uniqueTopic('c-coop')
    await createTopic(servers, topic, 4)
    const group = uniqueTopic('group')
    const events: Array<[string, RebalanceEvent]> = []
    const make = (name: string) => {
      const c = consumer(group, { 'partition.assignment.strategy': 'cooperative-sticky' })
      c.on('rebalance', (e) => events.push([name, e]))
      c.subscribe([topic])
      return c
    }
    const a = make('a')
    await until(a, () => a.assignment().length === 4, 30_000)
    const b = make('b')
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline && !(a.assignment().length === 2 && b.assignment().length === 2)) {
      await a.consumeBatch(1, 100)
      await b.consumeBatch(1, 100)
    }
    expect([a.assignment().length, b.assignment().length]).toEqual([2, 2])
    expect(events.every(([, e]) => e.protocol === 'COOPERATIVE')).toBe(true)
    // a gave up only the two partitions b took: an incremental revoke, not all four.
    const revokes = events.filter(([n, e]) => n === 'a' && e.type === 'revoke')
    expect(revokes.length).toBeGreaterThan(0)
    for (const [, e] of revokes) expect(e.partitions.length).toBe(2)
    await a.close()
    await b.close()
  })

  it('reports a deleted topic as a warning and keeps going', async () => {
    const topic = uniqueTopic('c-deleted')
    await createTopic(servers, topic, 1)
    const threads = () => readdirSync('/proc/self/task').length
    const before = threads()
    const c = consumer(uniqueTopic('g'), { 'topic.metadata.refresh.interval.ms': 500 })
    const warnings: KafkaError[] = []
    c.on('warning', (w) => warnings.push(w))
    c.subscribe([topic])
    await c.consumeBatch(10, 2000)
    const admin = new Admin({ 'bootstrap.servers': servers })
    expect(await admin.deleteTopics([topic])).toEqual([{ topic }])
    await admin.close()
    const deadline = Date.now() + 30_000
    while (warnings.length === 0 && Date.now() < deadline) expect(await c.consumeBatch(10, 500)).toEqual([])
    expect(warnings[0]).toBeInstanceOf(KafkaError)
    expect(warnings.map((w) => w.code)).toContain('UNKNOWN_TOPIC_OR_PART')
    // librdkafka 2.0.2 (a source build against Debian 12's) never finishes destroying its handle
    // after this, so close destroys it on a thread of its own, which then stays blocked with
    // librdkafka's threads. 2.15.1 finishes: every thread the consumer started ends.
    await c.close(3000)
    if (librdkafkaAtLeast(2, 15)) {
      const until = Date.now() + 10_000
      while (threads() > before && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
      expect(threads()).toBeLessThanOrEqual(before)
    }
  })
})
