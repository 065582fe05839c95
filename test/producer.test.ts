import { spawnSync } from 'node:child_process'
import path from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { KafkaError, MockCluster, Producer } from '../lib/index'
import { byPartition, readBack, uniqueTopic } from './helpers'

let cluster: MockCluster

beforeAll(async () => {
  cluster = await MockCluster.start({ brokers: 1 })
})

afterAll(async () => {
  await cluster.close()
})

function producer(extra: Record<string, string | number | boolean> = {}): Producer {
  return new Producer({ 'bootstrap.servers': cluster.bootstrapServers, preset: 'throughput', ...extra })
}

describe('Producer against the mock cluster', () => {
  it('connects, and fails fast with the reason when nothing listens', async () => {
    const p = producer()
    await p.connect()
    await p.close()

    const nowhere = new Producer({ 'bootstrap.servers': '127.0.0.1:1', preset: 'latency' })
    const err = await nowhere.connect({ timeoutMs: 1500 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KafkaError)
    expect((err as KafkaError).message).toMatch(/could not reach the cluster/)
    await nowhere.close(0)
  })

  it('delivers and counts every one of 200k messages in batches', async () => {
    const topic = uniqueTopic('count')
    await cluster.createTopic(topic, 4)
    const p = producer()
    const value = Buffer.alloc(100, 7)
    const batches = Array.from({ length: 20 }, () => Array<Buffer>(10_000).fill(value))
    const pending = batches.map((b) => p.produceBatch(topic, b))
    // Accepted and not yet acknowledged: librdkafka cannot have reported 200k deliveries yet.
    const inFlight = p.stats()
    expect(inFlight.produced).toBe(200_000)
    expect(inFlight.queued).toBeGreaterThan(0)
    const reports = await Promise.all(pending)
    expect(reports.reduce((n, r) => n + r.delivered, 0)).toBe(200_000)
    expect(reports.every((r) => r.failed === 0 && r.errors.length === 0)).toBe(true)
    await p.flush(10_000)
    const s = p.stats()
    expect(s.produced).toBe(200_000)
    expect(s.delivered).toBe(200_000)
    expect(s.failed).toBe(0)
    expect(s.queued).toBe(0)
    expect(s.bytesDelivered).toBe(200_000 * 100)
    expect(s.pendingBatches).toBe(0)
    await p.close()
  })

  it('round-trips bytes, keys, headers, timestamps and per-partition order (read with kafkajs)', async () => {
    const topic = uniqueTopic('roundtrip')
    await cluster.createTopic(topic, 3)
    const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers }) // durable preset
    const n = 3000
    const ts = 1_700_000_000_000
    const messages = Array.from({ length: n }, (_, i) => ({
      value: i % 500 === 0 ? Buffer.alloc(0) : Buffer.from(`value-${i}-${'x'.repeat(i % 37)}`),
      key: i % 7 === 0 ? null : `key-${i % 11}`,
      partition: i % 3,
      headers: { seq: String(i), bin: Buffer.from([0, 255, i & 255]) },
      timestamp: ts + i,
    }))
    // Send in several batches so order must hold across batches too.
    for (let i = 0; i < n; i += 1000) {
      const r = await p.produceBatch(topic, messages.slice(i, i + 1000))
      expect(r.failed).toBe(0)
    }
    // Plain Buffers and strings on the fast and mixed paths, and a tombstone.
    await p.produceBatch(topic, [Buffer.from('plain-buffer')])
    await p.produceBatch(topic, ['plain-string', { value: null, key: 'gone', partition: 0 }])
    await p.close()

    const got = await readBack(cluster.bootstrapServers, topic, n + 3)
    expect(got).toHaveLength(n + 3)
    const parts = byPartition(got)
    for (const [partition, list] of parts) {
      const seqs = list.filter((m) => m.headers.seq !== undefined).map((m) => Number(m.headers.seq!.toString()))
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b)) // per-partition order
      for (const s of seqs) expect(s % 3).toBe(partition) // explicit partitions honoured
    }
    for (const m of got) {
      if (m.headers.seq === undefined) continue
      const i = Number(m.headers.seq.toString())
      const want = messages[i]!
      expect(m.value!.equals(want.value)).toBe(true)
      expect(m.key === null ? null : m.key.toString()).toBe(want.key)
      expect(m.headers.bin!.equals(Buffer.from([0, 255, i & 255]))).toBe(true)
      expect(Number(m.timestamp)).toBe(want.timestamp)
    }
    const extras = got.filter((m) => m.headers.seq === undefined)
    expect(extras.map((m) => m.value?.toString() ?? null).sort()).toEqual([null, 'plain-buffer', 'plain-string'].sort())
    expect(extras.find((m) => m.value === null)!.key!.toString()).toBe('gone')
    // An empty value is not a tombstone.
    const empty = got.find((m) => m.headers.seq?.toString() === '500')!
    expect(empty.value).not.toBeNull()
    expect(empty.value!.length).toBe(0)
  })

  it('delivers the packed form (one Buffer plus lengths) with partitions, in order', async () => {
    const topic = uniqueTopic('packed')
    await cluster.createTopic(topic, 2)
    const p = producer()
    const parts = ['first', '', 'third-value', 'four']
    const values = Buffer.from(parts.join(''))
    const report = await p.produceBatch(topic, {
      values,
      lengths: parts.map((s) => Buffer.byteLength(s)),
      partitions: [0, 1, 0, 1],
    })
    expect(report).toEqual({ delivered: 4, failed: 0, errors: [] })
    await p.close()
    const got = await readBack(cluster.bootstrapServers, topic, 4)
    const byPart = byPartition(got)
    expect(byPart.get(0)!.map((m) => m.value!.toString())).toEqual(['first', 'third-value'])
    expect(byPart.get(1)!.map((m) => m.value!.toString())).toEqual(['', 'four'])
  })

  it('is zero-copy in the packed form too', async () => {
    const topic = uniqueTopic('zerocopy-packed')
    await cluster.createTopic(topic, 1)
    const p = producer({ 'linger.ms': 1000 })
    const values = Buffer.from('aaaabbbb')
    const pending = p.produceBatch(topic, { values, lengths: [4, 4] })
    values.write('XY', 3)
    expect((await pending).delivered).toBe(2)
    await p.close()
    const got = await readBack(cluster.bootstrapServers, topic, 2)
    expect(got.map((m) => m.value!.toString())).toEqual(['aaaX', 'Ybbb'])
  })

  it('is zero-copy: a Buffer modified after produceBatch returns is sent modified', async () => {
    const topic = uniqueTopic('zerocopy')
    await cluster.createTopic(topic, 1)
    // A long linger keeps the message in librdkafka's queue while the Buffer changes.
    const p = producer({ 'linger.ms': 1000 })
    // Three small Buffers (views into Node's shared pool, at their own offsets); only the middle one changes.
    const payloads = ['first-payload', 'original-payload', 'last-payload'].map((s) => Buffer.from(s))
    const pending = p.produceBatch(topic, payloads)
    payloads[1]!.write('MODIFIED')
    const report = await pending
    expect(report.delivered).toBe(3)
    await p.close()
    const got = await readBack(cluster.bootstrapServers, topic, 3)
    expect(got.map((m) => m.value!.toString())).toEqual(['first-payload', 'MODIFIED-payload', 'last-payload'])
  })

  it('waits for room instead of failing with QUEUE_FULL (backpressure), keeping order', async () => {
    const topic = uniqueTopic('backpressure')
    await cluster.createTopic(topic, 1)
    const p = producer({ 'queue.buffering.max.messages': 10, 'linger.ms': 1 })
    const first = Array.from({ length: 20_000 }, (_, i) => Buffer.from(`a${i}`))
    const second = Array.from({ length: 500 }, (_, i) => `b${i}`)
    const pending = [p.produceBatch(topic, first), p.produceBatch(topic, second)]
    expect(p.stats().backlog).toBeGreaterThan(0) // the queue really was full
    const [a, b] = await Promise.all(pending)
    expect(a.delivered).toBe(20_000)
    expect(a.errors).toEqual([])
    expect(b.delivered).toBe(500)
    expect(p.stats().backlog).toBe(0)
    await p.close()
    // Retried messages kept their place: the partition holds both batches in submission order.
    const got = await readBack(cluster.bootstrapServers, topic, 20_500)
    const want = [...first.map(String), ...second]
    expect(got.map((m) => m.value!.toString())).toEqual(want)
  })

  it('fails only the oversized message of a batch with MSG_SIZE_TOO_LARGE', async () => {
    const topic = uniqueTopic('toolarge')
    await cluster.createTopic(topic, 1)
    const p = producer({ 'message.max.bytes': 10_000 })
    const report = await p.produceBatch(topic, ['small-0', Buffer.alloc(20_000), 'small-2'])
    expect(report.delivered).toBe(2)
    expect(report.failed).toBe(1)
    expect(report.errors).toHaveLength(1)
    expect(report.errors[0]!.index).toBe(1)
    const e = report.errors[0]!.error
    expect(e).toBeInstanceOf(KafkaError)
    expect(e.code).toBe('MSG_SIZE_TOO_LARGE')
    expect(e.retriable).toBe(false)
    expect(e.stack).toContain('producer.test.ts') // the caller's stack, not the dispatcher's
    const stats = p.stats()
    expect(stats.delivered + stats.failed).toBe(stats.produced)
    await p.close()
  })

  it('fails messages for a partition that does not exist, and keeps working after', async () => {
    const topic = uniqueTopic('nopartition')
    await cluster.createTopic(topic, 1)
    const p = producer({ 'queue.buffering.max.messages': 1000 })
    expect((await p.produceBatch(topic, ['warm-up'])).delivered).toBe(1) // metadata known
    // As many bad messages as the queue holds: none may keep a slot of librdkafka's queue.
    for (const form of ['objects', 'packed'] as const) {
      const report =
        form === 'objects'
          ? await p.produceBatch(
              topic,
              Array.from({ length: 1000 }, () => ({ value: 'x', partition: 5 })),
            )
          : await p.produceBatch(topic, {
              values: Buffer.alloc(1000),
              lengths: new Uint32Array(1000).fill(1),
              partitions: new Int32Array(1000).fill(7),
            })
      expect(report.failed).toBe(1000)
      expect(report.errors[0]!.error.code).toBe('_UNKNOWN_PARTITION')
    }
    const ok = await p.produceBatch(topic, ['still-works', { value: 'p0', partition: 0 }])
    expect(ok.delivered).toBe(2)
    await p.flush(5000)
    expect(p.stats().queued).toBe(0)
    await p.close()
  })

  it('fails a message larger than the whole local queue instead of waiting forever', async () => {
    const topic = uniqueTopic('biggerthanqueue')
    await cluster.createTopic(topic, 1)
    const p = producer({ 'queue.buffering.max.kbytes': 1 })
    const report = await p.produceBatch(topic, ['small', Buffer.alloc(5000), 'after'])
    expect(report.delivered).toBe(2)
    expect(report.errors.map((f) => [f.index, f.error.code])).toEqual([[1, 'MSG_SIZE_TOO_LARGE']])
    await p.close()
  })

  it('fails messages for a topic the cluster says does not exist, within message.timeout.ms', async () => {
    const topic = uniqueTopic('missing')
    cluster.setTopicError(topic, 'UNKNOWN_TOPIC_OR_PART') // a broker with auto-create off
    const p = producer({ 'message.timeout.ms': 3000, 'topic.metadata.propagation.max.ms': 1000 })
    const report = await p.produceBatch(topic, ['a', 'b', 'c'])
    expect(report.delivered).toBe(0)
    expect(report.failed).toBe(3)
    expect(report.errors.map((f) => f.index)).toEqual([0, 1, 2])
    for (const f of report.errors)
      expect(['_UNKNOWN_TOPIC', 'UNKNOWN_TOPIC_OR_PART', '_MSG_TIMED_OUT']).toContain(f.error.code)
    // Failures of one reason share an instance.
    expect(new Set(report.errors.map((f) => f.error)).size).toBe(1)
    await p.close()
  })

  it('rejects bad input with a typed error before sending anything', async () => {
    const topic = uniqueTopic('badinput')
    const p = producer()
    const cases: unknown[][] = [
      [42 as unknown as string, ['x']],
      ['', ['x']],
      [topic, 'not-an-array'],
      [topic, ['ok', 5]],
      [topic, [{ value: 'x', partition: 'one' }]],
    ]
    for (const [t, msgs] of cases) {
      const err = await p.produceBatch(t as string, msgs as never).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KafkaError)
      expect((err as KafkaError).code).toBe('_INVALID_ARG')
    }
    expect(p.stats().produced).toBe(0)
    expect(await p.produceBatch(topic, [])).toEqual({ delivered: 0, failed: 0, errors: [] })
    await expect(p.flush(-1)).rejects.toMatchObject({ code: '_INVALID_ARG' })
    await p.close()
  })

  it('close delivers messages still in flight, is idempotent, and refuses later produces', async () => {
    const topic = uniqueTopic('close')
    await cluster.createTopic(topic, 1)
    const p = producer({ 'linger.ms': 5000 })
    const pending = p.produceBatch(
      topic,
      Array.from({ length: 1000 }, (_, i) => `m${i}`),
    )
    const first = p.close()
    const second = p.close()
    expect(second).toBe(first)
    await first
    const report = await pending
    expect(report.delivered).toBe(1000)
    expect(p.closed).toBe(true)
    const err = await p.produceBatch(topic, ['late']).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KafkaError)
    expect((err as KafkaError).code).toBe('_STATE')
    await p.close() // a third time, still fine
    await expect(p.connect()).rejects.toMatchObject({ code: '_STATE' })
    expect(p.stats().delivered).toBe(1000)
  })

  it('close with a short timeout fails undeliverable messages by index instead of losing them', async () => {
    const topic = uniqueTopic('purge')
    await cluster.createTopic(topic, 1)
    cluster.setBrokerDown(1)
    try {
      const p = producer({ 'message.timeout.ms': 60_000 })
      const pending = p.produceBatch(topic, ['a', 'b', 'c'])
      await p.close(200)
      const report = await pending
      expect(report.delivered + report.failed).toBe(3)
      expect(report.failed).toBe(3)
      for (const f of report.errors) expect(f.error.code).toMatch(/^_PURGE_(QUEUE|INFLIGHT)$/)
    } finally {
      cluster.setBrokerUp(1)
    }
  })

  it('flush sends lingering messages now and resolves after their batches settle', async () => {
    const topic = uniqueTopic('flush')
    await cluster.createTopic(topic, 1)
    const p = producer({ 'linger.ms': 10_000 })
    let settled = false
    const pending = p.produceBatch(topic, ['a', 'b']).then((r) => {
      settled = true
      return r
    })
    await p.flush(5000)
    expect(settled).toBe(true)
    expect((await pending).delivered).toBe(2)
    await p.close()
  })

  it('flush rejects with _TIMED_OUT when messages cannot be delivered in time', async () => {
    const topic = uniqueTopic('flushtimeout')
    await cluster.createTopic(topic, 1)
    cluster.setBrokerDown(1)
    const p = producer({ 'message.timeout.ms': 60_000 })
    try {
      const pending = p.produceBatch(topic, ['a'])
      await expect(p.flush(300)).rejects.toMatchObject({ code: '_TIMED_OUT' })
      expect(p.stats().queued).toBe(1)
      cluster.setBrokerUp(1)
      expect((await pending).delivered).toBe(1)
    } finally {
      cluster.setBrokerUp(1)
      await p.close()
    }
  })

  it('emits librdkafka statistics as events when statistics.interval.ms is set', async () => {
    const p = producer({ 'statistics.interval.ms': 100 })
    const logs: string[] = []
    p.on('log', (entry) => logs.push(`${entry.facility}: ${entry.message}`))
    try {
      // A hundred intervals: a missing event fails here, with what librdkafka logged meanwhile,
      // rather than as the test's timeout.
      const stats = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no stats event in 10 s; logs: ${logs.join(' | ') || 'none'}`)),
          10_000,
        )
        p.once('stats', (s) => {
          clearTimeout(timer)
          resolve(s)
        })
      })
      expect(stats.type).toBe('producer')
      expect(typeof stats.msg_cnt).toBe('number')
    } finally {
      await p.close()
    }
  })

  it('retries produce requests the broker fails with retriable errors, idempotently: nothing lost, duplicated or reordered', async () => {
    const topic = uniqueTopic('retry')
    await cluster.createTopic(topic, 2)
    const p = new Producer({
      'bootstrap.servers': cluster.bootstrapServers,
      preset: 'durable',
      'linger.ms': 5,
      'retry.backoff.ms': 10,
    })
    await p.connect()
    // The next five produce requests (Kafka API key 0) fail, each with an error a producer retries.
    cluster.pushRequestErrors(0, [
      'NOT_LEADER_FOR_PARTITION',
      'REQUEST_TIMED_OUT',
      'NOT_ENOUGH_REPLICAS',
      'NOT_LEADER_FOR_PARTITION',
      'REQUEST_TIMED_OUT',
    ])
    const messages = Array.from({ length: 2000 }, (_, i) => ({ key: `k${i % 7}`, value: String(i) }))
    const reports = await Promise.all([
      p.produceBatch(topic, messages.slice(0, 1000)),
      p.produceBatch(topic, messages.slice(1000)),
    ])
    expect(reports.map((r) => [r.delivered, r.failed])).toEqual([
      [1000, 0],
      [1000, 0],
    ])
    await p.close()
    // readBack fails unless the topic holds exactly 2000: a duplicate would make 2001.
    const read = await readBack(cluster.bootstrapServers, topic, 2000)
    expect(read.map((m) => Number(m.value!.toString())).sort((a, b) => a - b)).toEqual(messages.map((_, i) => i))
    // Each key's values arrive in the order they were sent.
    for (const [, list] of byPartition(read)) {
      const last = new Map<string, number>()
      for (const m of list) {
        const key = m.key!.toString()
        const v = Number(m.value!.toString())
        expect(v).toBeGreaterThan(last.get(key) ?? -1)
        last.set(key, v)
      }
    }
  })

  it('emits fatal when the idempotent producer cannot get a producer id, then fails every message with _FATAL', async () => {
    const topic = uniqueTopic('fatal')
    await cluster.createTopic(topic, 1)
    // The next InitProducerId request (API key 22) is refused: without a producer id an
    // idempotent producer cannot keep its guarantees, which librdkafka treats as fatal.
    cluster.pushRequestErrors(22, ['CLUSTER_AUTHORIZATION_FAILED'])
    const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, preset: 'durable' })
    const fatal: KafkaError[] = []
    const fataled = new Promise((resolve) => p.once('fatal', resolve))
    p.on('fatal', (e: KafkaError) => fatal.push(e))
    await p.connect()
    // Messages queued before the fatal error are purged (_PURGE_QUEUE); after it, _FATAL.
    const early = p.produceBatch(topic, ['early'])
    await Promise.race([
      fataled,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no fatal event in 10 s')), 10_000)),
    ])
    expect((await early).errors.map((e) => e.error.code)).toEqual([expect.stringMatching(/^_(PURGE_QUEUE|FATAL)$/)])
    const first = await p.produceBatch(topic, ['a', 'b'])
    expect(fatal).toHaveLength(1)
    expect(fatal[0]).toMatchObject({
      code: 'CLUSTER_AUTHORIZATION_FAILED',
      fatal: true,
      message: expect.stringContaining('idempotence PID'),
    })
    expect(first).toMatchObject({ delivered: 0, failed: 2 })
    expect(first.errors.map((e) => [e.index, e.error.code, e.error.fatal])).toEqual([
      [0, '_FATAL', true],
      [1, '_FATAL', true],
    ])
    // The state is permanent: later batches fail the same way, and nothing reached the topic.
    expect((await p.produceBatch(topic, ['c'])).errors.map((e) => e.error.code)).toEqual(['_FATAL'])
    await p.close()
    expect(await readBack(cluster.bootstrapServers, topic, 0)).toEqual([])
  })

  it('reports broker trouble as warning events and logs as log events, not on stderr', () => {
    // In a process of its own, so that its stderr can be read: librdkafka would print its logs
    // and errors there by default.
    const script = `
      const { Producer, KafkaError } = require('./dist/cjs/index.js')
      const p = new Producer({ 'bootstrap.servers': '127.0.0.1:1', preset: 'latency', 'reconnect.backoff.ms': 10 })
      const warning = new Promise((resolve) => p.once('warning', resolve))
      const log = new Promise((resolve) => p.once('log', resolve))
      p.produceBatch('nowhere', ['x']).catch(() => {})
      Promise.all([warning, log]).then(async ([w, l]) => {
        await p.close(0)
        console.log(JSON.stringify({ isKafkaError: w instanceof KafkaError, fatal: w.fatal, code: w.code, log: typeof l.message }))
      })`
    const r = spawnSync(process.execPath, ['-e', script], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout)
    expect(out).toMatchObject({ isKafkaError: true, fatal: false, log: 'string' })
    expect(out.code).toMatch(/^_(TRANSPORT|ALL_BROKERS_DOWN|RESOLVE)$/)
  })
})
