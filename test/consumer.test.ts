import { promises as fs } from 'node:fs'

import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Consumer, KafkaError, librdkafkaVersion, MockCluster, Producer, type ConsumedMessage } from '../lib/index'
import { librdkafkaAtLeast } from '../lib/version'
import { MOCK_GROUP_DELAY, MOCK_GROUP_TIMING, newConsumer, patient, readBack, startMock, uniqueTopic } from './helpers'

let cluster: MockCluster
let servers: string
beforeAll(async () => {
  cluster = await startMock()
  servers = cluster.bootstrapServers
})
afterAll(async () => {
  await cluster.close()
})

function consumer(group: string, extra: Record<string, string | number | boolean> = {}): Consumer {
  return newConsumer(servers, group, {
    ...MOCK_GROUP_TIMING,
    ...extra,
  })
}

/** Consumes until `count` messages arrived (or fails after `timeoutMs`). */
async function drain(c: Consumer, count: number, timeoutMs = patient(30_000)): Promise<ConsumedMessage[]> {
  const out: ConsumedMessage[] = []
  const deadline = Date.now() + timeoutMs
  while (out.length < count) {
    if (Date.now() > deadline) throw new Error(`consumed ${out.length} of ${count} in ${timeoutMs} ms`)
    out.push(...(await c.consumeBatch(10_000, 500)))
  }
  return out
}

async function produce(topic: string, messages: Parameters<Producer['produceBatch']>[1]) {
  const p = new Producer({ 'bootstrap.servers': servers, preset: 'throughput' })
  const r = await p.produceBatch(topic, messages)
  await p.close()
  expect(r.failed).toBe(0)
}

describe('Consumer against the mock cluster', () => {
  it('round-trips bytes, keys, headers, timestamps, tombstones; per-partition order, no gaps, no duplicates', async () => {
    const topic = uniqueTopic('c-roundtrip')
    await cluster.createTopic(topic, 4)
    const n = 100_000
    const rawKey = Buffer.from([0xff, 0xfe, 0x00, 0x80]) // not UTF-8
    const messages = Array.from({ length: n }, (_, i) => ({
      value: i % 1000 === 1 ? null : i % 1000 === 2 ? Buffer.alloc(0) : Buffer.from(`value-${i}`),
      key: i % 777 === 0 ? rawKey : `key-${i % 13}`,
      partition: i % 4,
      headers:
        i % 100 === 0
          ? ([
              ['h', `x${i}`],
              ['h', null],
            ] as Array<[string, string | null]>)
          : undefined,
      timestamp: 1_700_000_000_000 + i,
    }))
    await produce(topic, messages)

    const c = consumer(uniqueTopic('g'))
    c.assign([0, 1, 2, 3].map((partition) => ({ topic, partition, offset: 0 })))
    const got = await drain(c, n)
    expect(got).toHaveLength(n)
    const next = [0, 0, 0, 0]
    const seen = new Set<number>()
    for (const m of got) {
      expect(m.offset).toBe(next[m.partition]) // in order, no gap, no duplicate
      next[m.partition]!++
      const i = 1_700_000_000_000 + 0 === m.timestamp ? 0 : m.timestamp - 1_700_000_000_000
      expect(seen.has(i)).toBe(false)
      seen.add(i)
      const want = messages[i]!
      expect(m.topic).toBe(topic)
      expect(m.partition).toBe(want.partition)
      if (want.value === null) expect(m.value).toBeNull()
      else expect(m.value!.equals(want.value)).toBe(true)
      expect(m.key!.equals(Buffer.isBuffer(want.key) ? want.key : Buffer.from(want.key))).toBe(true)
      if (want.headers) {
        expect(m.headers.map(([k, v]) => [k, v === null ? null : v.toString()])).toEqual([
          ['h', `x${i}`],
          ['h', null],
        ])
      } else {
        expect(m.headers).toEqual([])
      }
    }
    expect(seen.size).toBe(n)
    await c.close()
  })

  it('reads what kafkajs produced, and kafkajs reads what turbokafka produced', async () => {
    // Another client on both sides (kcat, a C client, is in test/system/interop.test.ts).
    const topic = uniqueTopic('c-interop')
    await cluster.createTopic(topic, 1)
    const kafka = new Kafka({ brokers: [servers], logLevel: logLevel.NOTHING })
    const kp = kafka.producer()
    await kp.connect()
    await kp.send({ topic, messages: [{ key: 'kjs', value: 'from-kafkajs', headers: { via: 'kafkajs' } }] })
    await kp.disconnect()
    await produce(topic, [{ key: 'tk', value: 'from-turbokafka', headers: { via: 'turbokafka' } }])

    const c = consumer(uniqueTopic('g'))
    c.assign([{ topic, partition: 0, offset: 0 }])
    const got = await drain(c, 2)
    expect(got.map((m) => [m.key!.toString(), m.value!.toString()])).toEqual([
      ['kjs', 'from-kafkajs'],
      ['tk', 'from-turbokafka'],
    ])
    expect(got[0]!.headers.map(([k, v]) => [k, v!.toString()])).toEqual([['via', 'kafkajs']])
    await c.close()

    const read = await readBack(servers, topic, 2)
    expect(read.map((m) => [m.key!.toString(), m.value!.toString(), m.headers.via?.toString()])).toEqual([
      ['kjs', 'from-kafkajs', 'kafkajs'],
      ['tk', 'from-turbokafka', 'turbokafka'],
    ])
  })

  it('splits partitions within a group, hands them over when one leaves, and redelivers only uncommitted messages', async () => {
    const topic = uniqueTopic('c-group')
    await cluster.createTopic(topic, 4)
    const group = uniqueTopic('group')
    await produce(
      topic,
      Array.from({ length: 4000 }, (_, i) => ({ value: `m${i}`, partition: i % 4 })),
    )

    const a = consumer(group)
    const b = consumer(group)
    a.subscribe([topic])
    b.subscribe([topic])
    // Both poll until the group settles with each holding partitions.
    const deadline = Date.now() + 30_000
    const consumedA: ConsumedMessage[] = []
    const consumedB: ConsumedMessage[] = []
    let pa: number[] = []
    let pb: number[] = []
    while (Date.now() < deadline) {
      consumedA.push(...(await a.consumeBatch(1, 100)))
      consumedB.push(...(await b.consumeBatch(1, 100)))
      pa = a.assignment().map((tp) => tp.partition)
      pb = b.assignment().map((tp) => tp.partition)
      if (pa.length > 0 && pb.length > 0 && pa.length + pb.length === 4) break
    }
    expect(pa.length + pb.length).toBe(4)
    expect(new Set([...pa, ...pb]).size).toBe(4) // disjoint

    // a processes part of its share and commits what it consumed, then leaves. a may also have
    // read messages in an earlier generation of the group (it can join first and hold all four
    // partitions for a moment) that it never committed: b may read those again, at least once.
    // What a committed, b never reads.
    consumedA.push(...(await a.consumeBatch(300, 500)))
    await a.commit()
    const committedAt = new Map((await a.committed()).map((tp) => [tp.partition, tp.offset]))
    const committedByA = consumedA.filter((m) => m.offset < (committedAt.get(m.partition) ?? -1))
    await a.close()

    // b takes over every partition and reads the rest; nothing is lost. b committed nothing, so
    // the rebalance may hand it its own earlier messages again (at least once), but after the
    // handover never a's committed ones.
    const distinct = new Set([...consumedA, ...consumedB].map((m) => m.value!.toString()))
    const byB: string[] = []
    const until = Date.now() + 30_000
    while ((distinct.size < 4000 || b.assignment().length < 4) && Date.now() < until) {
      for (const m of await b.consumeBatch(10_000, 500)) {
        distinct.add(m.value!.toString())
        byB.push(m.value!.toString())
      }
    }
    expect(distinct.size).toBe(4000)
    expect(committedByA.length).toBeGreaterThan(0)
    expect(b.assignment().length).toBe(4)
    const readByB = new Set(byB)
    for (const m of committedByA) expect(readByB.has(m.value!.toString())).toBe(false)
    await b.close()
  })

  it('resumes exactly at the committed offsets after a restart', async () => {
    const topic = uniqueTopic('c-restart')
    await cluster.createTopic(topic, 2)
    const group = uniqueTopic('group')
    await produce(
      topic,
      Array.from({ length: 1000 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })),
    )
    const first = consumer(group)
    first.subscribe([topic])
    const got = await drain(first, 1000)
    // Commit only up to offset 300 of each partition.
    await first.commit([
      { topic, partition: 0, offset: 300 },
      { topic, partition: 1, offset: 300 },
    ])
    await first.close()
    expect(got).toHaveLength(1000)

    const second = consumer(group)
    second.subscribe([topic])
    const again = await drain(second, 400)
    for (const p of [0, 1]) {
      const offsets = again.filter((m) => m.partition === p).map((m) => m.offset)
      expect(offsets[0]).toBe(300)
      expect(offsets).toEqual(Array.from({ length: 200 }, (_, i) => 300 + i))
    }
    expect(await second.committed()).toEqual(
      expect.arrayContaining([
        { topic, partition: 0, offset: 300 },
        { topic, partition: 1, offset: 300 },
      ]),
    )
    await second.close()
  })

  it('pauses and resumes partitions, seeks, reports positions and watermarks', async () => {
    const topic = uniqueTopic('c-control')
    await cluster.createTopic(topic, 2)
    await produce(
      topic,
      Array.from({ length: 200 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })),
    )
    const c = consumer(uniqueTopic('g'))
    c.assign([
      { topic, partition: 0, offset: 0 },
      { topic, partition: 1, offset: 0 },
    ])
    c.pause([{ topic, partition: 1 }])
    const fromZero = await drain(c, 100)
    expect(new Set(fromZero.map((m) => m.partition))).toEqual(new Set([0]))
    expect(await c.consumeBatch(100, 300)).toEqual([]) // partition 1 is paused
    c.resume([{ topic, partition: 1 }])
    const fromOne = await drain(c, 100)
    expect(new Set(fromOne.map((m) => m.partition))).toEqual(new Set([1]))
    expect(c.position()).toEqual([
      { topic, partition: 0, offset: 100 },
      { topic, partition: 1, offset: 100 },
    ])
    expect(await c.watermarks(topic, 0)).toEqual({ low: 0, high: 100 })
    await c.seek([{ topic, partition: 0, offset: 42 }])
    const sought = await drain(c, 58)
    expect(sought[0]!.offset).toBe(42)
    expect((await c.lag()).map((l) => l.lag)).toEqual([0, 0])
    // unassign stops reading at once; assign again resumes where it is told.
    c.unassign()
    expect(c.assignment()).toEqual([])
    await produce(topic, [{ value: 'late', partition: 0 }])
    expect(await c.consumeBatch(100, 500)).toEqual([])
    c.assign([{ topic, partition: 0, offset: 100 }])
    expect((await drain(c, 1)).map((m) => [m.offset, m.value?.toString()])).toEqual([[100, 'late']])
    await c.close()
  })

  it('resets an out-of-range seek by auto.offset.reset (earliest)', async () => {
    const topic = uniqueTopic('c-outofrange')
    await cluster.createTopic(topic, 1)
    await produce(topic, ['a', 'b', 'c'])
    const c = consumer(uniqueTopic('g'))
    c.assign([{ topic, partition: 0, offset: 1_000_000 }])
    const got = await drain(c, 3)
    expect(got.map((m) => m.offset)).toEqual([0, 1, 2])
    await c.close()
  })

  it('refuses bad input with typed errors', async () => {
    const c = consumer(uniqueTopic('g'))
    await expect(c.consumeBatch(10, 10)).rejects.toMatchObject({ code: '_STATE' }) // before subscribe/assign
    const topic = uniqueTopic('c-bad')
    await cluster.createTopic(topic, 2)
    c.assign([{ topic, partition: 0, offset: 0 }])
    for (const max of [0, -1, 1.5, '10']) {
      await expect(c.consumeBatch(max as number, 10)).rejects.toMatchObject({ code: '_INVALID_ARG' })
    }
    await expect(c.commit([{ topic, partition: 1, offset: 0 }])).rejects.toMatchObject({ code: '_INVALID_ARG' })
    await expect(c.commit([{ topic: '', partition: 0, offset: 0 }])).rejects.toBeInstanceOf(KafkaError)
    expect(() => c.subscribe([])).toThrow(KafkaError)
    expect(() => new Consumer({ 'bootstrap.servers': servers } as never)).toThrow(/group\.id/)
    await c.close()
    await c.close() // twice is fine
    await expect(c.consumeBatch(10, 10)).rejects.toMatchObject({ code: '_STATE' })
    expect(() => c.assignment()).toThrow(KafkaError)
  })

  it('closes while a connect() to an unreachable cluster is still running on the pool', async () => {
    const c = new Consumer({ 'bootstrap.servers': '127.0.0.1:1', 'group.id': uniqueTopic('g') })
    const connecting = c.connect({ timeoutMs: 1500 }).catch((e: unknown) => e)
    await c.close(1000)
    const err = await connecting
    expect(err).toBeInstanceOf(KafkaError)
  })

  it('settles a waiting consumeBatch when closed, and iterates batches until closed', async () => {
    const topic = uniqueTopic('c-close')
    await cluster.createTopic(topic, 1)
    const c = consumer(uniqueTopic('g'))
    c.assign([{ topic, partition: 0, offset: 0 }])
    // Its own timeout is an hour, past the test's: only close can settle it in time.
    const waiting = c.consumeBatch(10, 3_600_000)
    await c.close()
    expect(await waiting).toEqual([])

    await produce(
      topic,
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    )
    const it = consumer(uniqueTopic('g'))
    it.assign([{ topic, partition: 0, offset: 0 }])
    let seen = 0
    for await (const batch of it) {
      seen += batch.length
      if (seen >= 50) void it.close()
    }
    expect(seen).toBe(50)
  })

  it('keeps eight waiting consumers from blocking the libuv pool', async () => {
    const topic = uniqueTopic('c-many')
    await cluster.createTopic(topic, 8)
    const consumers = Array.from({ length: 8 }, (_, i) => {
      const c = consumer(uniqueTopic('g'))
      c.assign([{ topic, partition: i, offset: 0 }])
      return c
    })
    // All eight wait (nothing to read yet) while the pool serves file reads.
    let waitingDone = 0
    const waits = consumers.map((c) => c.consumeBatch(100, 3000).then((b) => (waitingDone++, b)))
    for (let i = 0; i < 8; i++) await fs.readFile(__filename)
    expect(waitingDone).toBe(0) // the reads completed while every consumer was still waiting
    // And they all make progress once there is data.
    await produce(
      topic,
      Array.from({ length: 80 }, (_, i) => ({ value: `m${i}`, partition: i % 8 })),
    )
    const got = (await Promise.all(waits)).map((b) => b.length)
    const more = await Promise.all(consumers.map(async (c, i) => got[i]! + (await drain(c, 10 - got[i]!)).length))
    expect(more).toEqual(Array(8).fill(10))
    await Promise.all(consumers.map((c) => c.close()))
  })

  it("applies the mock cluster's group initial rebalance delay on librdkafka >= 2.12, and names the version it needs before", async () => {
    if (!MOCK_GROUP_DELAY) {
      // A source build against an older system librdkafka (CI runs this file on one).
      await expect(MockCluster.start({ groupInitialRebalanceDelayMs: 0 })).rejects.toMatchObject({
        code: '_NOT_IMPLEMENTED',
        message: expect.stringContaining(`needs librdkafka 2.12 or newer; this is ${librdkafkaVersion()}`),
      })
      return
    }
    // A first member waits out the delay before it gets partitions: with a minute's delay it has
    // none after several polls, with none (this file's cluster) it has them at once.
    const slow = await MockCluster.start({ groupInitialRebalanceDelayMs: 60_000 })
    try {
      const topic = uniqueTopic('c-delay')
      for (const c of [slow, cluster]) await c.createTopic(topic, 2)
      const waiting = newConsumer(slow.bootstrapServers, uniqueTopic('g'), MOCK_GROUP_TIMING)
      const quick = consumer(uniqueTopic('g'))
      waiting.subscribe([topic])
      quick.subscribe([topic])
      for (let i = 0; i < 100 && quick.assignment().length < 2; i++) await quick.consumeBatch(10, 100)
      expect(quick.assignment().length).toBe(2)
      for (let i = 0; i < 10; i++) await waiting.consumeBatch(10, 100)
      expect(waiting.assignment()).toEqual([])
      await Promise.all([waiting.close(), quick.close()])
    } finally {
      await slow.close()
    }
  })

  it('takes group.protocol "consumer" (KIP-848) on librdkafka >= 2.10, and names the version it needs before', async () => {
    const make = () => newConsumer(servers, uniqueTopic('g'), { 'group.protocol': 'consumer' })
    if (librdkafkaAtLeast(2, 10)) {
      await make().close() // its behaviour: test/kip848.ts
    } else {
      expect(make).toThrow(
        expect.objectContaining({
          code: '_NOT_IMPLEMENTED',
          key: 'group.protocol',
          message: expect.stringContaining('needs librdkafka 2.10 or newer'),
        }),
      )
    }
  })

  it('refuses a bad group initial rebalance delay', async () => {
    for (const bad of [-1, 1.5, '0', 300_001]) {
      await expect(MockCluster.start({ groupInitialRebalanceDelayMs: bad as number })).rejects.toMatchObject({
        code: '_INVALID_ARG',
        message: expect.stringContaining('groupInitialRebalanceDelayMs must be an integer from 0 to 300000'),
      })
    }
  })
})
