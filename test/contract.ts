// The contract both engines keep: the same assertions, run for engine native and engine kafkajs,
// against the mock cluster (test/contract.test.ts) and Apache Kafka (test/broker/contract.test.ts).
// Where the engines differ on purpose, the difference is listed in docs/engines.md and asserted
// in test/differences.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  Consumer,
  KafkaError,
  Producer,
  type MockCluster,
  type ConsumedMessage,
  type Message,
  type Preset,
  type RebalanceEvent,
} from '../lib/index'
import { MOCK_GROUP_TIMING, startMock, uniqueTopic } from './helpers'

export interface Target {
  servers: () => string
  createTopic: (topic: string, partitions: number) => Promise<void>
  /** The mock cluster names no controller, which kafkajs's idempotent producer needs. */
  preset: Preset
  /** Extra consumer keys (the mock coordinator needs short sessions). */
  consumer: Record<string, string | number | boolean>
}

export const ENGINES = ['native', 'kafkajs'] as const
export type EngineName = (typeof ENGINES)[number]

export function producerOf(
  t: Target,
  engine: EngineName,
  extra: Record<string, string | number | boolean> = {},
): Producer {
  return new Producer({ 'bootstrap.servers': t.servers(), preset: t.preset, engine, ...extra })
}

export function consumerOf(
  t: Target,
  engine: EngineName,
  group: string,
  extra: Record<string, string | number | boolean> = {},
): Consumer {
  return new Consumer({
    'bootstrap.servers': t.servers(),
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    engine,
    ...t.consumer,
    ...extra,
  })
}

/** Consumes until `count` messages arrived; fails after `timeoutMs`. */
export async function drain(c: Consumer, count: number, timeoutMs = 60_000): Promise<ConsumedMessage[]> {
  const out: ConsumedMessage[] = []
  const deadline = Date.now() + timeoutMs
  while (out.length < count) {
    if (Date.now() > deadline) throw new Error(`consumed ${out.length} of ${count} in ${timeoutMs} ms`)
    out.push(...(await c.consumeBatch(10_000, 500)))
  }
  return out
}

/** Polls (reading nothing: the topic is empty) until the consumer holds `partitions` partitions. */
export async function untilAssigned(c: Consumer, partitions: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (c.assignment().length !== partitions) {
    if (Date.now() > deadline) throw new Error(`assigned ${c.assignment().length} of ${partitions} partitions`)
    expect(await c.consumeBatch(100, 200)).toEqual([])
  }
}

/**
 * One poll of a group member that is still settling. The mock's coordinator may answer a
 * kafkajs follower's SyncGroup with INVALID_REQUEST, which stops that member until it subscribes
 * again (docs/engines.md, a row of test/differences.test.ts); the member does so here. Any other
 * error, and any error of the native engine, fails the test.
 */
export function pollSettling(c: Consumer, topics: string[]): Promise<ConsumedMessage[]> {
  return c.consumeBatch(10, 100).catch((err: unknown) => {
    if (c.engine !== 'kafkajs' || (err as KafkaError).code !== 'INVALID_REQUEST') throw err
    c.subscribe(topics)
    return []
  })
}

/** 200 messages into a topic's two partitions, 100 each, `m0`... alternating; all delivered. */
async function fillTwoPartitions(t: Target, engine: EngineName, topic: string): Promise<void> {
  const p = producerOf(t, engine)
  expect(
    (
      await p.produceBatch(
        topic,
        Array.from({ length: 200 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })),
      )
    ).delivered,
  ).toBe(200)
  await p.close()
}

/** A member of `group` that read all 200 of fillTwoPartitions' messages, then committed `offsets` (partition 0, 1). */
async function readThenCommit(
  t: Target,
  engine: EngineName,
  group: string,
  topic: string,
  offsets: [number, number],
): Promise<Consumer> {
  const c = consumerOf(t, engine, group)
  c.subscribe([topic])
  await drain(c, 200)
  await c.commit(offsets.map((offset, partition) => ({ topic, partition, offset })))
  return c
}

/** Messages of every shape produceBatch takes, spread over `partitions` by key and explicitly. */
export function mixedMessages(n: number, partitions: number): Message[] {
  return Array.from({ length: n }, (_, i) => ({
    value: i % 100 === 1 ? null : i % 100 === 2 ? Buffer.alloc(0) : i % 3 === 0 ? `v${i}` : Buffer.from(`v${i}`),
    key: i % 7 === 0 ? null : `k${i % 11}`,
    partition: i % 5 === 0 ? i % partitions : undefined,
    headers:
      i % 10 === 0
        ? ([
            ['h', `x${i}`],
            ['h', 'again'],
            ['other', Buffer.from([0, 255])],
          ] as Array<[string, string | Buffer]>)
        : undefined,
    timestamp: 1_700_000_000_000 + i,
  }))
}

function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString('latin1')
}

/** What a consumer should see of `m`, as comparable values. */
function expected(m: Message): unknown {
  const headers = (m.headers as Array<[string, string | Buffer]> | undefined) ?? []
  return {
    value: m.value === null ? null : Buffer.from(m.value as string | Buffer).toString('latin1'),
    key: m.key == null ? null : Buffer.from(m.key as string).toString('latin1'),
    timestamp: m.timestamp,
    headers: headers.map(([k, v]) => [k, Buffer.from(v).toString('latin1')]),
  }
}

function seen(m: ConsumedMessage): unknown {
  return {
    value: text(m.value),
    key: text(m.key),
    timestamp: m.timestamp,
    headers: m.headers.map(([k, v]) => [k, text(v)]),
  }
}

/**
 * Checks that `got` holds exactly `sent` (by value order within each partition: no gaps, no
 * duplicates, nothing reordered), with keys, headers and timestamps intact.
 */
export function expectExactly(sent: Message[], got: ConsumedMessage[]): void {
  expect(got).toHaveLength(sent.length)
  const byPartition = new Map<number, ConsumedMessage[]>()
  for (const m of got) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m])
  // Non-empty values are unique: they say which message was sent as which.
  const index = new Map<string, number>()
  sent.forEach((m, i) => {
    if (m.value !== null && Buffer.byteLength(m.value as string | Buffer) > 0)
      index.set(Buffer.from(m.value as string | Buffer).toString('latin1'), i)
  })
  for (const [partition, list] of byPartition) {
    const offsets = list.map((m) => m.offset)
    expect(offsets).toEqual(Array.from({ length: list.length }, (_, i) => offsets[0]! + i))
    const order = list.map((m) => index.get(text(m.value) ?? '')).filter((i) => i !== undefined)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
    for (const m of list) {
      const i = index.get(text(m.value) ?? '')
      if (i === undefined) continue
      expect(seen(m)).toEqual(expected(sent[i]!))
      if (sent[i]!.partition !== undefined) expect(partition).toBe(sent[i]!.partition)
    }
  }
  expect(new Set(got.map((m) => text(m.value))).size).toBe(index.size + 2) // plus '' and null
  expect(got.filter((m) => m.value === null)).toHaveLength(sent.filter((m) => m.value === null).length)
}

export function contractSuite(where: string, t: Target, engines: readonly EngineName[] = ENGINES): void {
  describe.each(engines)(`engine %s, ${where}`, (engine) => {
    it('delivers a batch of every message shape and reads it back exactly, in order per partition', async () => {
      const topic = uniqueTopic(`k-${engine}-roundtrip`)
      await t.createTopic(topic, 3)
      const sent = mixedMessages(3000, 3)
      const p = producerOf(t, engine)
      expect(p.engine).toBe(engine)
      const report = await p.produceBatch(topic, sent)
      expect(report).toEqual({ delivered: 3000, failed: 0, errors: [] })
      const stats = p.stats()
      expect([stats.produced, stats.delivered, stats.failed, stats.queued]).toEqual([3000, 3000, 0, 0])
      await p.close()

      const c = consumerOf(t, engine, uniqueTopic('g'))
      expect(c.engine).toBe(engine)
      c.subscribe([topic])
      const got = await drain(c, 3000)
      expectExactly(sent, got)
      expect(await c.consumeBatch(10, 300)).toEqual([])
      await c.close()
    })

    it('delivers the packed form', async () => {
      const topic = uniqueTopic(`k-${engine}-packed`)
      await t.createTopic(topic, 2)
      const p = producerOf(t, engine)
      const values = Buffer.from('aabbbcccc')
      const report = await p.produceBatch(topic, { values, lengths: [2, 3, 4], partitions: [1, 1, 0] })
      expect(report.delivered).toBe(3)
      await p.close()
      const c = consumerOf(t, engine, uniqueTopic('g'))
      c.subscribe([topic])
      const got = await drain(c, 3)
      expect(got.map((m) => [m.partition, text(m.value)]).sort()).toEqual([
        [0, 'cccc'],
        [1, 'aa'],
        [1, 'bbb'],
      ])
      await c.close()
    })

    it('reports each failed message by index in the batch report', async () => {
      const topic = uniqueTopic(`k-${engine}-nopart`)
      await t.createTopic(topic, 1)
      const p = producerOf(t, engine, { 'message.timeout.ms': 5000 })
      const report = await p.produceBatch(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ value: `m${i}`, partition: 7 })),
      )
      expect(report.delivered).toBe(0)
      expect(report.failed).toBe(5)
      expect(report.errors.map((e) => e.index)).toEqual([0, 1, 2, 3, 4])
      for (const { error } of report.errors) {
        expect(error).toBeInstanceOf(KafkaError)
        expect(error.code).toBe('_UNKNOWN_PARTITION')
      }
      await p.close()
    })

    it('refuses bad input and unknown keys with typed errors, and use after close', async () => {
      const p = producerOf(t, engine)
      await expect(p.produceBatch('', ['x'])).rejects.toMatchObject({ code: '_INVALID_ARG' })
      await expect(p.produceBatch('t', [{ value: 'a' }, { key: 'k' } as never])).rejects.toMatchObject({
        code: '_INVALID_ARG',
        index: 1,
      })
      await expect(p.produceBatch('t', [{ value: 'a', partition: -2 }])).rejects.toMatchObject({
        code: '_INVALID_ARG',
        index: 0,
      })
      await expect(p.flush(-1)).rejects.toMatchObject({ code: '_INVALID_ARG' })
      expect(() => producerOf(t, engine, { 'no.such.key': 1 })).toThrow(
        expect.objectContaining({ code: '_INVALID_ARG', key: 'no.such.key' }),
      )
      expect(() => new Producer({ 'bootstrap.servers': t.servers(), engine: 'fast' as never })).toThrow(
        expect.objectContaining({ code: '_INVALID_ARG', key: 'engine' }),
      )
      await p.close()
      await p.close() // twice is fine
      await expect(p.produceBatch('t', ['x'])).rejects.toMatchObject({ code: '_STATE' })

      const c = consumerOf(t, engine, uniqueTopic('g'))
      await expect(c.consumeBatch(10, 10)).rejects.toMatchObject({ code: '_STATE' })
      expect(() => c.subscribe([])).toThrow(KafkaError)
      expect(() => consumerOf(t, engine, 'g', { 'no.such.key': 1 })).toThrow(
        expect.objectContaining({ code: '_INVALID_ARG', key: 'no.such.key' }),
      )
      const topic = uniqueTopic(`k-${engine}-bad`)
      await t.createTopic(topic, 1)
      c.subscribe([topic])
      await expect(c.consumeBatch(0, 10)).rejects.toMatchObject({ code: '_INVALID_ARG' })
      await expect(c.commit([{ topic, partition: 5, offset: 0 }])).rejects.toMatchObject({ code: '_INVALID_ARG' })
      await c.close()
      await c.close()
      await expect(c.consumeBatch(10, 10)).rejects.toMatchObject({ code: '_STATE' })
      expect(() => c.assignment()).toThrow(KafkaError)
    })

    it('fails connect fast with the reason when nothing listens, and close settles batches it could not deliver', async () => {
      const p = new Producer({
        'bootstrap.servers': '127.0.0.1:1',
        preset: t.preset,
        engine,
        'message.timeout.ms': 60_000,
      })
      const err = await p.connect({ timeoutMs: 1000 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KafkaError)
      expect((err as KafkaError).message).toMatch(/could not reach the cluster/)
      const pending = p.produceBatch('t', ['a', 'b'])
      await p.close(300)
      const report = await pending
      expect(report.failed).toBe(2)
      expect(report.errors.map((e) => e.error.code)).toEqual(['_PURGE_QUEUE', '_PURGE_QUEUE'])

      const c = new Consumer({ 'bootstrap.servers': '127.0.0.1:1', 'group.id': uniqueTopic('g'), engine })
      expect(await c.connect({ timeoutMs: 1000 }).catch((e: unknown) => e)).toBeInstanceOf(KafkaError)
      await c.close(1000)
    })

    it('commits consumed positions or explicit offsets, and a new member resumes there', async () => {
      const topic = uniqueTopic(`k-${engine}-commit`)
      await t.createTopic(topic, 2)
      await fillTwoPartitions(t, engine, topic)
      const group = uniqueTopic('g')

      const first = await readThenCommit(t, engine, group, topic, [60, 60])
      expect(await first.committed()).toEqual([
        { topic, partition: 0, offset: 60 },
        { topic, partition: 1, offset: 60 },
      ])
      await first.close()

      const second = consumerOf(t, engine, group)
      second.subscribe([topic])
      const again = await drain(second, 80)
      for (const partition of [0, 1]) {
        expect(again.filter((m) => m.partition === partition).map((m) => m.offset)).toEqual(
          Array.from({ length: 40 }, (_, i) => 60 + i),
        )
      }
      await second.commit() // what it consumed
      expect(await second.committed()).toEqual([
        { topic, partition: 0, offset: 100 },
        { topic, partition: 1, offset: 100 },
      ])
      await second.close()
    })

    it('pauses and resumes partitions, seeks, and reports positions, watermarks and lag', async () => {
      const topic = uniqueTopic(`k-${engine}-control`)
      await t.createTopic(topic, 2)
      const c = consumerOf(t, engine, uniqueTopic('g'))
      const events: RebalanceEvent[] = []
      c.on('rebalance', (e) => events.push(e))
      c.subscribe([topic])
      await untilAssigned(c, 2)
      expect(
        events
          .filter((e) => e.type === 'assign')
          .flatMap((e) => e.partitions.map((tp) => tp.partition))
          .sort(),
      ).toEqual([0, 1])
      expect(c.position()).toEqual([
        { topic, partition: 0, offset: -1001 },
        { topic, partition: 1, offset: -1001 },
      ])

      c.pause([{ topic, partition: 1 }])
      await fillTwoPartitions(t, engine, topic)
      const fromZero = await drain(c, 100)
      expect(new Set(fromZero.map((m) => m.partition))).toEqual(new Set([0]))
      expect(await c.consumeBatch(100, 500)).toEqual([]) // partition 1 is paused
      // Partition 1 was never read and nothing is committed: its lag counts from the log's start.
      expect((await c.lag()).map((l) => l.lag)).toEqual([0, 100])
      c.resume([{ topic, partition: 1 }])
      const fromOne = await drain(c, 100)
      expect(new Set(fromOne.map((m) => m.partition))).toEqual(new Set([1]))
      expect(c.position()).toEqual([
        { topic, partition: 0, offset: 100 },
        { topic, partition: 1, offset: 100 },
      ])
      expect(await c.watermarks(topic, 0)).toEqual({ low: 0, high: 100 })
      expect((await c.lag()).map((l) => l.lag)).toEqual([0, 0])
      await c.seek([{ topic, partition: 0, offset: 42 }])
      expect(c.position()[0]).toEqual({ topic, partition: 0, offset: 42 })
      expect((await c.lag()).map((l) => l.lag)).toEqual([58, 0])
      const sought = await drain(c, 58)
      expect(sought.map((m) => m.offset)).toEqual(Array.from({ length: 58 }, (_, i) => 42 + i))
      expect((await c.lag()).map((l) => l.lag)).toEqual([0, 0])
      await c.close()
    })

    it('counts lag from the committed offset where nothing was read yet', async () => {
      const topic = uniqueTopic(`k-${engine}-lagcommit`)
      await t.createTopic(topic, 2)
      await fillTwoPartitions(t, engine, topic)
      const group = uniqueTopic('g')
      // Partition 1 is committed at its end: the next member has nothing there to read.
      await (await readThenCommit(t, engine, group, topic, [60, 100])).close()
      const second = consumerOf(t, engine, group)
      second.subscribe([topic])
      expect((await drain(second, 40)).map((m) => m.partition)).toEqual(Array(40).fill(0))
      expect(second.position()).toEqual([
        { topic, partition: 0, offset: 100 },
        { topic, partition: 1, offset: -1001 },
      ])
      // From the log's start partition 1 would lag by 100; from its commit it lags by none.
      expect((await second.lag()).map((l) => l.lag)).toEqual([0, 0])
      await second.close()
    })

    it('auto commit (the default) commits exactly what consumeBatch returned, at close', async () => {
      const topic = uniqueTopic(`k-${engine}-autocommit`)
      await t.createTopic(topic, 1)
      const p = producerOf(t, engine)
      await p.produceBatch(
        topic,
        Array.from({ length: 200 }, (_, i) => `m${i}`),
      )
      await p.close()
      const group = uniqueTopic('g')
      const first = consumerOf(t, engine, group, { 'enable.auto.commit': true, 'auto.commit.interval.ms': 100 })
      first.subscribe([topic])
      const taken: ConsumedMessage[] = []
      for (let end = Date.now() + 60_000; taken.length < 50 && Date.now() < end;) {
        taken.push(...(await first.consumeBatch(50 - taken.length, 500)))
      }
      expect(taken.map((m) => m.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i))
      await first.close()
      const second = consumerOf(t, engine, group)
      second.subscribe([topic])
      const rest = await drain(second, 150)
      expect(rest.map((m) => m.offset)).toEqual(Array.from({ length: 150 }, (_, i) => 50 + i))
      await second.close()
    })

    it('commits asynchronously, unsubscribes and subscribes again', async () => {
      const topic = uniqueTopic(`k-${engine}-unsubscribe`)
      await t.createTopic(topic, 1)
      const p = producerOf(t, engine)
      await p.produceBatch(
        topic,
        Array.from({ length: 100 }, (_, i) => `m${i}`),
      )
      const group = uniqueTopic('g')
      const c = consumerOf(t, engine, group)
      const warnings: unknown[] = []
      c.on('warning', (w) => warnings.push(w))
      const events: string[] = []
      c.on('rebalance', (e: RebalanceEvent) => events.push(`${e.type} ${e.partitions.length}`))
      c.subscribe([topic])
      await drain(c, 100)
      await c.commit(undefined, { async: true })
      c.unsubscribe()
      await p.produceBatch(
        topic,
        Array.from({ length: 10 }, (_, i) => `n${i}`),
      )
      expect(await c.consumeBatch(100, 1000)).toEqual([])
      expect(c.assignment()).toEqual([])
      expect(events).toEqual(['assign 1', 'revoke 1'])
      // The asynchronous commit landed: subscribing again resumes after the first hundred.
      c.subscribe([topic])
      expect((await drain(c, 10)).map((m) => m.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i))
      expect(warnings).toEqual([])
      await p.close()
      await c.close()
    })

    it('splits partitions in a group with rebalance events, and hands them over when a member leaves', async () => {
      const topic = uniqueTopic(`k-${engine}-group`)
      await t.createTopic(topic, 4)
      const group = uniqueTopic('g')
      const a = consumerOf(t, engine, group)
      const b = consumerOf(t, engine, group)
      const eventsB: RebalanceEvent[] = []
      b.on('rebalance', (e) => eventsB.push(e))
      a.subscribe([topic])
      b.subscribe([topic])
      const deadline = Date.now() + 60_000
      while (
        a.assignment().length + b.assignment().length !== 4 ||
        a.assignment().length === 0 ||
        b.assignment().length === 0
      ) {
        if (Date.now() > deadline) throw new Error('the group did not settle')
        await Promise.all([pollSettling(a, [topic]), pollSettling(b, [topic])])
      }
      const split = [...a.assignment(), ...b.assignment()].map((tp) => tp.partition).sort()
      expect(split).toEqual([0, 1, 2, 3])
      const lastAssign = eventsB.filter((e) => e.type === 'assign').at(-1)!
      expect(lastAssign.partitions.map((tp) => tp.partition).sort()).toEqual(
        b
          .assignment()
          .map((tp) => tp.partition)
          .sort(),
      )

      await a.close()
      const until = Date.now() + 60_000
      while (b.assignment().length !== 4) {
        if (Date.now() > until) throw new Error('b did not take over')
        await b.consumeBatch(10, 200)
      }
      expect(eventsB.some((e) => e.type === 'revoke')).toBe(true)
      await b.close()
    })

    it("subscribes by RegExp with JavaScript's meaning: anywhere in the name unless anchored; refuses flags", async () => {
      const tag = uniqueTopic(`re${engine}`).replace(/[^a-z0-9]/g, '')
      const names = [`a-${tag}-mid-b`, `${tag}-mid-x`, `${tag}-other`]
      for (const n of names) await t.createTopic(n, 1)
      const p = producerOf(t, engine)
      for (const n of names) expect((await p.produceBatch(n, [n])).delivered).toBe(1)
      await p.close()
      const readBy = async (pattern: RegExp): Promise<string[]> => {
        const c = consumerOf(t, engine, uniqueTopic('g'))
        c.subscribe([pattern])
        const got = await drain(c, pattern.source.startsWith('^') ? 1 : 2)
        // Nothing else arrives: a third topic would have been read within these polls too.
        for (let i = 0; i < 3; i++) got.push(...(await c.consumeBatch(10, 200)))
        await c.close()
        return got.map((m) => m.value!.toString()).sort()
      }
      expect(await readBy(new RegExp(`${tag}-mid`))).toEqual([names[0], names[1]].sort())
      expect(await readBy(new RegExp(`^${tag}-(mid|nothing)-x$`))).toEqual([names[1]])
      const c = consumerOf(t, engine, uniqueTopic('g'))
      expect(() => c.subscribe(['x', /mid/i])).toThrow(
        expect.objectContaining({ code: '_INVALID_ARG', index: 1, message: expect.stringContaining('flags (/i)') }),
      )
      expect(() => c.subscribe([/\d+/])).toThrow(
        expect.objectContaining({ code: '_INVALID_ARG', message: expect.stringContaining('\\d') }),
      )
      await c.close()
    })

    it('settles a waiting consumeBatch on close, and iterates batches until closed', async () => {
      const topic = uniqueTopic(`k-${engine}-iterate`)
      await t.createTopic(topic, 1)
      const waiter = consumerOf(t, engine, uniqueTopic('g'))
      waiter.subscribe([topic])
      // Its own timeout is an hour, past any test timeout: only close can settle it in time.
      const waiting = waiter.consumeBatch(10, 3_600_000)
      await new Promise((r) => setTimeout(r, 200))
      // Two closes at once share one close, and both settle; a third after it settles at once.
      const closes = [waiter.close(), waiter.close()]
      expect(closes[1]).toBe(closes[0])
      await Promise.all(closes)
      await waiter.close()
      expect(await waiting).toEqual([])

      const p = producerOf(t, engine)
      await p.produceBatch(
        topic,
        Array.from({ length: 50 }, (_, i) => `m${i}`),
      )
      await p.close()
      const c = consumerOf(t, engine, uniqueTopic('g'))
      c.subscribe([topic])
      let seenCount = 0
      for await (const batch of c) {
        seenCount += batch.length
        if (seenCount >= 50) void c.close()
      }
      expect(seenCount).toBe(50)
    })
  })
}

/** The contract for one engine against a mock cluster of its own (one file per engine, run side by side). */
export function mockContract(engine: EngineName): void {
  let cluster: MockCluster
  beforeAll(async () => {
    cluster = await startMock()
  })
  afterAll(async () => {
    await cluster.close()
  })
  contractSuite(
    'mock cluster',
    {
      servers: () => cluster.bootstrapServers,
      createTopic: (topic, partitions) => cluster.createTopic(topic, partitions),
      // kafkajs's idempotent producer asks the cluster's controller for a producer id, and the
      // mock cluster names none; the durable (idempotent) default runs against Apache Kafka.
      preset: 'throughput',
      consumer: MOCK_GROUP_TIMING,
    },
    [engine],
  )
}

/**
 * One consumer group shared by a native and a kafkajs member: the partitions are split between
 * them and every message is read once. `leaders` names which engine joins first (the coordinator
 * makes the first member the leader, which computes the assignment for both).
 */
export function mixedGroupSuite(where: string, t: Target, leaders: readonly EngineName[]): void {
  describe.each(leaders)(`a native and a kafkajs member in one group, %s leading, ${where}`, (leader) => {
    it('splits the partitions between them and reads every message once', async () => {
      const topic = uniqueTopic(`k-mixed-${leader}`)
      await t.createTopic(topic, 4)
      const group = uniqueTopic('g')
      const members = { native: consumerOf(t, 'native', group), kafkajs: consumerOf(t, 'kafkajs', group) }
      const first = members[leader]
      const second = members[leader === 'native' ? 'kafkajs' : 'native']
      // On the mock, kafkajs must lead: its coordinator ends a sync as soon as the leader's
      // assignment arrives and answers a follower's later SyncGroup with INVALID_REQUEST, which
      // kafkajs treats as fatal (engines.md). Apache Kafka has no such race.
      first.subscribe([topic])
      await untilAssigned(first, 4)
      second.subscribe([topic])
      const deadline = Date.now() + 60_000
      while (
        first.assignment().length === 0 ||
        second.assignment().length === 0 ||
        first.assignment().length + second.assignment().length !== 4
      ) {
        if (Date.now() > deadline)
          throw new Error(
            `${leader} (leading) ${first.assignment().length}, the other ${second.assignment().length} partitions`,
          )
        await Promise.all([first.consumeBatch(10, 100), second.consumeBatch(10, 100)])
      }
      expect([...first.assignment(), ...second.assignment()].map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3])
      const p = producerOf(t, 'native')
      await p.produceBatch(
        topic,
        Array.from({ length: 400 }, (_, i) => ({ value: `m${i}`, partition: i % 4 })),
      )
      await p.close()
      const read = new Map([first, second].map((c) => [c, [] as ConsumedMessage[]]))
      const until = Date.now() + 60_000
      for (let total = 0; total < 400 && Date.now() < until;) {
        const [a, b] = await Promise.all([first.consumeBatch(1000, 200), second.consumeBatch(1000, 200)])
        read.get(first)!.push(...a)
        read.get(second)!.push(...b)
        total += a.length + b.length
      }
      const got = [...read.values()].flat()
      expect(new Set(got.map((m) => m.value!.toString())).size).toBe(400)
      expect(got).toHaveLength(400)
      // Each member read its own partitions only.
      for (const [c, list] of read) {
        const mine = c
          .assignment()
          .map((tp) => tp.partition)
          .sort()
        expect([...new Set(list.map((m) => m.partition))].sort()).toEqual(mine)
      }
      await Promise.all([first.close(), second.close()])
    })
  })
}
