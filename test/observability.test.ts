// Observability on the mock cluster: delivery offsets (equal to what a reader finds there),
// metrics (the text exposition after real traffic, the same series in a prom-client Registry,
// read only when scraped), the diagnostics channels (every batch seen; a traceparent header
// added by a subscriber arrives at the consumer), and the consumer's health and 'stall' signal
// (raised before the member is evicted). promtool's check of the text is in test/system/.
import { spawn } from 'node:child_process'
import diagnostics from 'node:diagnostics_channel'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import {
  Admin,
  CHANNELS,
  Consumer,
  METRIC_FAMILIES,
  metricsText,
  Producer,
  type ConsumedMessage,
  type KafkaError,
  type MockCluster,
  type StallEvent,
} from '../lib/index'
import { freePort, MOCK_GROUP_TIMING, newConsumer, readBack, startMock, uniqueTopic } from './helpers'

let cluster: MockCluster
beforeAll(async () => {
  cluster = await startMock()
})
afterAll(async () => {
  await cluster.close()
})

/** Reads `count` messages (or fails after `rounds` empty polls). */
async function drain(consumer: Consumer, count: number, rounds = 60): Promise<ConsumedMessage[]> {
  const out: ConsumedMessage[] = []
  for (let i = 0; i < rounds && out.length < count; i++) out.push(...(await consumer.consumeBatch(10_000, 500)))
  return out
}

/** The samples of one family in a text exposition, as `labels value` strings. */
function samples(text: string, family: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${family}{`) || l.startsWith(`${family} `))
    .map((l) => l.slice(family.length))
}

describe.each(['native', 'kafkajs'] as const)('delivery offsets (%s engine)', (engine) => {
  it('reports each message’s partition and offset, equal to where a reader finds it', async () => {
    const topic = uniqueTopic(`offsets-${engine}`)
    await cluster.createTopic(topic, 3)
    // The mock cluster names no controller, which kafkajs's idempotent producer needs.
    const p = new Producer({
      'bootstrap.servers': cluster.bootstrapServers,
      engine,
      preset: 'throughput',
      'linger.ms': 5,
    })
    const first = Array.from({ length: 300 }, (_, i) =>
      i % 7 === 0 ? { value: `v${i}`, partition: 2 } : { value: `v${i}`, key: `k${i % 11}` },
    )
    const second = Array.from({ length: 200 }, (_, i) => ({ value: `w${i}`, key: `k${i % 5}` }))
    const [r1, r2] = await Promise.all([
      p.produceBatch(topic, first, { offsets: true }),
      p.produceBatch(topic, second, { offsets: true }),
    ])
    const plain = await p.produceBatch(topic, [{ value: 'x', partition: 0 }])
    await p.close()
    expect(plain.offsets).toBeUndefined()
    expect(r1.partitions).toBeInstanceOf(Int32Array)
    expect(r1.offsets).toBeInstanceOf(Float64Array)
    expect([r1.failed, r2.failed]).toEqual([0, 0])

    const stored = new Map<string, string>()
    for (const m of await readBack(cluster.bootstrapServers, topic, 501)) {
      stored.set(`${m.partition}/${m.offset}`, m.value!.toString())
    }
    const where = new Set<string>()
    for (const [report, batch] of [
      [r1, first],
      [r2, second],
    ] as const) {
      batch.forEach((m, i) => {
        const at = `${report.partitions![i]}/${report.offsets![i]}`
        expect(stored.get(at), `message ${m.value} reported at ${at}`).toBe(m.value)
        where.add(at)
      })
    }
    expect(where.size).toBe(500)
    first.forEach((m, i) => {
      if ('partition' in m) expect(r1.partitions![i]).toBe(2)
    })
  })
})

describe('delivery offsets (native engine): failures and arguments', () => {
  it('gives -1 where a message failed, and refuses options it cannot read', async () => {
    const topic = uniqueTopic('offsets-fail')
    await cluster.createTopic(topic, 1)
    const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native' })
    const r = await p.produceBatch(
      topic,
      [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 5 },
      ],
      {
        offsets: true,
      },
    )
    expect(r.failed).toBe(1)
    expect(r.errors[0]!.index).toBe(1)
    expect(r.offsets![0]).toBeGreaterThanOrEqual(0)
    expect(r.offsets![1]).toBe(-1)
    expect(await p.produceBatch(topic, [], { offsets: true })).toMatchObject({ offsets: new Float64Array(0) })
    await expect(p.produceBatch(topic, ['a'], { offsets: 'yes' as never })).rejects.toMatchObject({
      code: '_INVALID_ARG',
      message: 'produceBatch: options.offsets must be a boolean (got string "yes")',
    })
    await expect(p.produceBatch(topic, ['a'], 7 as never)).rejects.toMatchObject({ code: '_INVALID_ARG' })
    await p.close()
  })
})

describe('metrics', () => {
  it('counts real traffic on both clients, librdkafka’s figures included, in the text format', async () => {
    const topic = uniqueTopic('metrics')
    await cluster.createTopic(topic, 2)
    const p = new Producer({
      'bootstrap.servers': cluster.bootstrapServers,
      engine: 'native',
      'client.id': 'orders-api',
      'statistics.interval.ms': 100,
    })
    const c = newConsumer(cluster.bootstrapServers, uniqueTopic('metrics-g'), {
      engine: 'native',
      'statistics.interval.ms': 100,
      ...MOCK_GROUP_TIMING,
    })
    for (let i = 0; i < 4; i++)
      await p.produceBatch(
        topic,
        Array.from({ length: 250 }, (_, i) => ({ value: Buffer.alloc(10), partition: i % 2 })),
      )
    expect((await p.produceBatch(topic, [{ value: 'x', partition: 9 }])).failed).toBe(1)
    c.subscribe([topic])
    expect((await drain(c, 1000)).length).toBe(1000)
    await c.commit()
    // 500 more, read one at a time for a few statistics intervals: the group has committed 1000
    // of 1500 (lag 500 from the committed offset); reading is a few messages further.
    await p.produceBatch(
      topic,
      Array.from({ length: 500 }, (_, i) => ({ value: Buffer.alloc(10), partition: i % 2 })),
    )
    let extra = 0
    for (let end = Date.now() + 600; Date.now() < end;) extra += (await c.consumeBatch(1, 100)).length
    await new Promise((r) => setTimeout(r, 250))
    extra += (await c.consumeBatch(1, 100)).length // serves the consumer's latest statistics

    const text = metricsText([p, c])
    const t = `topic="${topic}"`
    expect(samples(text, 'turbokafka_producer_messages_total')).toEqual([
      `{client_id="orders-api",client="${clientOf(text, 'orders-api')}",${t}} 1501`,
    ])
    expect(samples(text, 'turbokafka_producer_delivered_messages_total')[0]).toMatch(/ 1500$/)
    expect(samples(text, 'turbokafka_producer_failed_messages_total')[0]).toMatch(/code="_UNKNOWN_PARTITION"\} 1$/)
    expect(samples(text, 'turbokafka_producer_bytes_total')[0]).toMatch(/ 15001$/)
    expect(samples(text, 'turbokafka_producer_batches_total')[0]).toMatch(/ 6$/)
    expect(samples(text, 'turbokafka_producer_queue_messages')[0]).toMatch(/ 0$/)
    expect(samples(text, 'turbokafka_consumer_messages_total')[0]).toMatch(new RegExp(`${t}\\} ${1000 + extra}$`))
    expect(samples(text, 'turbokafka_consumer_bytes_total')[0]).toMatch(new RegExp(` ${10 * (1000 + extra)}$`))
    expect(samples(text, 'turbokafka_consumer_commits_total')[0]).toMatch(/ 1$/)
    expect(samples(text, 'turbokafka_consumer_assigned_partitions')[0]).toMatch(/ 2$/)
    expect(samples(text, 'turbokafka_consumer_rebalances_total').join()).toMatch(/type="assign"\} 1/)
    expect(samples(text, 'turbokafka_consumer_committed_lag_messages')).toEqual([expect.stringMatching(/ 500$/)])
    const lag = Number(samples(text, 'turbokafka_consumer_lag_messages')[0]!.split(' ')[1])
    expect(extra).toBeGreaterThan(0)
    // The latest statistics came while the test waited, after every read but the last.
    expect([500 - extra, 500 - extra + 1]).toContain(lag)
    const perPartition = samples(c.metricsText({ partitions: true }), 'turbokafka_consumer_lag_messages')
    expect(perPartition.map((s) => s.match(/partition="(\d)"/)![1]).sort()).toEqual(['0', '1'])
    expect(samples(text, 'turbokafka_broker_connected')).toContain(
      `{client_id="orders-api",client="${clientOf(text, 'orders-api')}",broker="1"} 1`,
    )
    expect(Number(samples(text, 'turbokafka_broker_rtt_seconds_count')[0]!.split(' ')[1])).toBeGreaterThan(0)
    expect(Number(samples(text, 'turbokafka_producer_batch_messages_count')[0]!.split(' ')[1])).toBeGreaterThan(0)
    checkExposition(text)
    await Promise.all([p.close(), c.close()])
  })

  it('counts the kafkajs engine’s traffic under the same names', async () => {
    const topic = uniqueTopic('metrics-kjs')
    await cluster.createTopic(topic, 1)
    const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'kafkajs', preset: 'throughput' })
    await p.produceBatch(topic, ['a', 'bb', 'ccc'])
    const text = p.metricsText()
    expect(samples(text, 'turbokafka_producer_delivered_messages_total')[0]).toMatch(/ 3$/)
    expect(samples(text, 'turbokafka_producer_delivered_bytes_total')[0]).toMatch(/ 6$/)
    checkExposition(text)
    await p.close()
  })

  it('counts admin calls by operation', async () => {
    const admin = new Admin({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native' })
    await admin.listTopics()
    await admin.listTopics()
    await admin.listGroupOffsets('nobody')
    // The mock cluster has no handler for creating topics: a whole call that fails, by code.
    await expect(
      admin.createTopics([{ topic: uniqueTopic('adm'), partitions: 1 }], { timeoutMs: 500 }),
    ).rejects.toThrow()
    const text = admin.metricsText()
    expect(samples(text, 'turbokafka_admin_requests_total').map((s) => s.replace(/.*operation=/, ''))).toEqual([
      '"listTopics"} 2',
      '"listGroupOffsets"} 1',
      '"createTopics"} 1',
    ])
    expect(samples(text, 'turbokafka_admin_request_failures_total')).toEqual([
      expect.stringMatching(/operation="createTopics",code="_[A-Z_]+"\} 1$/),
    ])
    await admin.close()
  })

  it('puts the same series in a prom-client Registry, read only when the registry is scraped', async () => {
    const topic = uniqueTopic('metrics-prom')
    await cluster.createTopic(topic, 1)
    const registry = new Registry()
    const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native' })
    const q = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native' })
    const collect = vi.spyOn(p, 'collectMetrics')
    p.registerMetrics(registry)
    q.registerMetrics(registry)
    await p.produceBatch(topic, ['a', 'b'])
    await q.produceBatch(topic, ['c'])
    await new Promise((r) => setTimeout(r, 300))
    expect(collect).not.toHaveBeenCalled() // nothing runs between scrapes
    const scraped = await registry.metrics()
    expect(collect).toHaveBeenCalledTimes(1) // one collection serves every family of a scrape
    const ours = metricsText([p, q])
    const lines = (s: string) => s.split('\n').filter((l) => l.startsWith('turbokafka_'))
    expect(lines(scraped).sort()).toEqual(lines(ours).sort())
    expect(samples(scraped, 'turbokafka_producer_delivered_messages_total')).toHaveLength(2)
    expect(() => p.registerMetrics({} as never)).toThrow(/expected a prom-client Registry/)
    const taken = new Registry()
    new (await import('prom-client')).Counter({
      name: 'turbokafka_producer_messages_total',
      help: 'x',
      registers: [taken],
    })
    expect(() => p.registerMetrics(taken)).toThrow(/already has a metric named turbokafka_producer_messages_total/)
    await q.close()
    expect(samples(await registry.metrics(), 'turbokafka_producer_delivered_messages_total')).toHaveLength(1)
    await p.close()
  })
})

/** The client label of the series whose client_id is `id`. */
function clientOf(text: string, id: string): string {
  return text.match(new RegExp(`client_id="${id}",client="([^"]+)"`))![1]!
}

/**
 * What promtool also checks, read here without it: every sample belongs to a family declared
 * just before with HELP and TYPE, names follow the conventions, values are numbers.
 */
function checkExposition(text: string): void {
  const known = new Map(METRIC_FAMILIES.map((f) => [f.name, f.type]))
  let family = ''
  for (const l of text.trimEnd().split('\n')) {
    const decl = l.match(/^# (HELP|TYPE) (\S+) (.+)$/)
    if (decl) {
      expect(known.has(decl[2]!), decl[2]).toBe(true)
      family = decl[2]!
      if (decl[1] === 'TYPE') expect(decl[3]).toBe(known.get(family))
      continue
    }
    const m = l.match(/^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+-]+|NaN)$/)
    expect(m, l).not.toBeNull()
    expect([family, `${family}_sum`, `${family}_count`]).toContain(m![1])
  }
  for (const [name, type] of known) if (type === 'counter') expect(name).toMatch(/_total$/)
}

describe('diagnostics channels', () => {
  it('sees every produce batch start and end, and carries a traceparent header to the consumer', async () => {
    const topic = uniqueTopic('channels')
    await cluster.createTopic(topic, 1)
    const starts: unknown[] = []
    const ends: Array<{ report?: { delivered: number }; topic: string }> = []
    const consumed: number[] = []
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const onStart = (msg: unknown) => {
      starts.push(msg)
      // An instrumentation adds the current span's context to every message object.
      const { messages } = msg as { messages: Array<{ headers?: Record<string, string> }> }
      for (const m of messages) m.headers = { ...m.headers, traceparent }
    }
    const onEnd = (msg: unknown) => ends.push(msg as (typeof ends)[0])
    const onBatch = (msg: unknown) => consumed.push((msg as { messages: unknown[] }).messages.length)
    diagnostics.subscribe(CHANNELS.produceStart, onStart)
    diagnostics.subscribe(CHANNELS.produceEnd, onEnd)
    diagnostics.subscribe(CHANNELS.consumeBatch, onBatch)
    try {
      const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native' })
      for (let i = 0; i < 3; i++) await p.produceBatch(topic, [{ value: `m${i}` }, { value: `n${i}` }])
      await expect(p.produceBatch('', ['x'])).rejects.toThrow()
      await p.close()
      expect(starts).toHaveLength(3)
      expect(ends.map((e) => [e.topic, e.report?.delivered])).toEqual([
        [topic, 2],
        [topic, 2],
        [topic, 2],
      ])
      const c = newConsumer(cluster.bootstrapServers, uniqueTopic('channels-g'), { ...MOCK_GROUP_TIMING })
      c.subscribe([topic])
      const got = await drain(c, 6)
      await c.close()
      expect(got.map((m) => m.headers.find(([k]) => k === 'traceparent')?.[1]?.toString())).toEqual(
        Array(6).fill(traceparent),
      )
      expect(consumed.reduce((a, b) => a + b, 0)).toBe(6)
    } finally {
      diagnostics.unsubscribe(CHANNELS.produceStart, onStart)
      diagnostics.unsubscribe(CHANNELS.produceEnd, onEnd)
      diagnostics.unsubscribe(CHANNELS.consumeBatch, onBatch)
    }
  })

  it('publishes commits, rebalances and client errors', async () => {
    const topic = uniqueTopic('channels-group')
    await cluster.createTopic(topic, 1)
    const seen: Array<[string, Record<string, unknown>]> = []
    const subs = (['commit', 'rebalance', 'error'] as const).map((k) => {
      const fn = (msg: unknown) => seen.push([k, msg as Record<string, unknown>])
      diagnostics.subscribe(CHANNELS[k], fn)
      return () => diagnostics.unsubscribe(CHANNELS[k], fn)
    })
    try {
      const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers })
      await p.produceBatch(topic, ['a'])
      await p.close()
      const group = uniqueTopic('channels-group-g')
      const c = newConsumer(cluster.bootstrapServers, group, { ...MOCK_GROUP_TIMING })
      c.subscribe([topic])
      await drain(c, 1)
      await c.commit()
      await c.close()
      const unreachable = new Producer({ 'bootstrap.servers': '127.0.0.1:1', 'reconnect.backoff.ms': 10 })
      for (let i = 0; i < 50 && !seen.some(([k]) => k === 'error'); i++) await new Promise((r) => setTimeout(r, 100))
      await unreachable.close(0)
      expect(seen.find(([k]) => k === 'rebalance')?.[1]).toMatchObject({ groupId: group, type: 'assign' })
      expect(seen.find(([k]) => k === 'commit')?.[1]).toMatchObject({ groupId: group, offsets: null })
      const err = seen.find(([k]) => k === 'error')![1]
      expect(err.client).toBe(unreachable)
      expect((err.error as KafkaError).code).toMatch(/^_(TRANSPORT|ALL_BROKERS_DOWN)$/)
    } finally {
      for (const off of subs) off()
    }
  })
})

describe('consumer health', () => {
  it('reports an idle consumer as healthy and stable while it polls', async () => {
    const topic = uniqueTopic('health-idle')
    await cluster.createTopic(topic, 1)
    const c = newConsumer(cluster.bootstrapServers, uniqueTopic('health-idle-g'), {
      ...MOCK_GROUP_TIMING,
      'statistics.interval.ms': 100,
    })
    expect(c.health()).toMatchObject({ sincePollMs: -1, sinceMessageMs: -1, groupStable: false, stalled: false })
    c.subscribe([topic])
    for (let i = 0; i < 40 && c.assignment().length === 0; i++) await c.consumeBatch(10, 200)
    for (let i = 0; i < 40 && !c.health().groupStable; i++) await c.consumeBatch(10, 100)
    const waiting = c.consumeBatch(10, 500)
    expect(c.health()).toMatchObject({ sincePollMs: 0, maxPollIntervalMs: 300_000, groupStable: true, stalled: false })
    expect(await waiting).toEqual([])
    expect(c.health().sinceMessageMs).toBe(-1)
    await c.close()
  })

  it("emits 'stall' when the application stops polling, before the group evicts the member", async () => {
    const topic = uniqueTopic('health-stall')
    await cluster.createTopic(topic, 1)
    const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers })
    await p.produceBatch(topic, ['a'])
    await p.close()
    const c = newConsumer(cluster.bootstrapServers, uniqueTopic('health-stall-g'), {
      ...MOCK_GROUP_TIMING,
      'max.poll.interval.ms': 4000,
      stallRatio: 0.5,
    })
    const order: string[] = []
    const stalls: StallEvent[] = []
    c.on('stall', (e) => {
      stalls.push(e)
      order.push('stall')
    })
    c.on('warning', (e) => {
      if (e.code === '_MAX_POLL_EXCEEDED') order.push('evicted')
    })
    c.subscribe([topic])
    expect((await drain(c, 1)).length).toBe(1)
    // The application stops polling: 'stall' comes at half of max.poll.interval.ms.
    for (let i = 0; i < 100 && stalls.length === 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect(stalls).toHaveLength(1)
    expect(stalls[0]!.pollMarginMs).toBeGreaterThan(0)
    expect(c.health()).toMatchObject({ stalled: true, maxPollIntervalMs: 4000 })
    // Past max.poll.interval.ms librdkafka leaves the group, and says so at the next poll.
    for (let i = 0; i < 100 && c.health().pollMarginMs > -500; i++) await new Promise((r) => setTimeout(r, 100))
    for (let i = 0; i < 20 && !order.includes('evicted'); i++) await c.consumeBatch(10, 200)
    expect(order).toEqual(['stall', 'evicted'])
    expect(c.health().stalled).toBe(false)
    await c.close()
  })

  it('refuses a stallRatio outside (0, 1]', () => {
    expect(() => new Consumer({ 'group.id': 'g', stallRatio: 0 })).toThrow(/stallRatio/)
    expect(() => new Consumer({ 'group.id': 'g', stallRatio: 2 })).toThrow(/stallRatio/)
  })
})

describe("the README's /metrics example", () => {
  it('serves turbokafka’s families and the process’s own through prom-client', { timeout: 60_000 }, async () => {
    const root = path.join(__dirname, '..')
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
    const code = readme.match(/<!-- example: metrics-endpoint -->\n```js\n([\s\S]*?)```/)![1]!
    // Inside the project (dist/ is built, not committed), so that 'turbokafka' (the package naming
    // itself) and prom-client resolve as they would in an application.
    const file = path.join(root, 'dist', `readme-metrics-${process.pid}.mjs`)
    writeFileSync(file, code)
    const port = await freePort()
    const child = spawn(process.execPath, [file], {
      env: { ...process.env, KAFKA_BROKERS: cluster.bootstrapServers, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    try {
      let text = ''
      for (let i = 0; i < 100 && !text.includes('turbokafka_consumer_polls_total'); i++) {
        await new Promise((r) => setTimeout(r, 200))
        text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (r) => r.text(),
          () => '',
        )
      }
      expect(stderr).toBe('')
      expect(text).toMatch(
        /^turbokafka_producer_queue_messages\{client_id="orders-api",client="orders-api#producer-1"\} 0$/m,
      )
      expect(text).toMatch(
        /^turbokafka_consumer_polls_total\{client_id="orders-api",client="orders-api#consumer-1"\} 0$/m,
      )
      expect(text).toMatch(/^process_cpu_user_seconds_total /m)
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404)
    } finally {
      child.kill()
      rmSync(file, { force: true })
    }
  })
})
