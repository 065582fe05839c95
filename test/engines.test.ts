// The kafkajs engine beside the native one: configuration translation, error codes, interop
// between the engines, and the automatic fallback when the addon cannot load. The documented
// differences are test/differences.test.ts.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { binding } from '../lib/binding'
import { PROTOCOL_NAMES, RETRIABLE_CODES } from '../lib/codes'
import { resolveProducerConfig } from '../lib/config'
import { Consumer, KafkaError, MockCluster, Producer } from '../lib/index'
import { crc32 } from '../lib/engines/kafkajs/client'
import { kafkajsConsumerSettings, kafkajsProducerSettings } from '../lib/engines/kafkajs/config'
import { fromKafkajs } from '../lib/engines/kafkajs/errors'
import {
  consumerOf,
  drain,
  expectExactly,
  mixedGroupSuite,
  mixedMessages,
  producerOf,
  untilAssigned,
  type Target,
} from './contract'
import { catchError, MOCK_GROUP_TIMING, startMock, uniqueTopic } from './helpers'

let cluster: MockCluster
const target: Target = {
  servers: () => cluster.bootstrapServers,
  createTopic: (topic, partitions) => cluster.createTopic(topic, partitions),
  preset: 'throughput',
  consumer: MOCK_GROUP_TIMING,
}
beforeAll(async () => {
  cluster = await startMock()
})
afterAll(async () => {
  await cluster.close()
})

describe('kafkajs engine configuration', () => {
  const base = { 'bootstrap.servers': 'PLAINTEXT://127.0.0.1:9092, 127.0.0.1:9093' }

  it('translates the producer keys and the presets', () => {
    const durable = kafkajsProducerSettings(resolveProducerConfig(base).librdkafka)
    expect(durable.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093'])
    expect(durable.kafka.clientId).toBe('turbokafka')
    expect(durable).toMatchObject({ acks: -1, idempotent: true, maxInFlight: 1, lingerMs: 5 })
    const fast = kafkajsProducerSettings(
      resolveProducerConfig({
        ...base,
        preset: 'throughput',
        'compression.type': 'gzip',
        'batch.num.messages': 500,
        'message.timeout.ms': 9000,
      }).librdkafka,
    )
    expect(fast).toMatchObject({
      acks: 1,
      idempotent: false,
      lingerMs: 20,
      compression: 'gzip',
      batchMessages: 500,
      messageTimeoutMs: 9000,
    })
    expect(fast.queueMessages).toBe(1_000_000)
  })

  it('translates SASL and SSL settings, reading certificate files at construction', () => {
    const ca = path.join(tmpdir(), `tk-ca-${process.pid}.pem`)
    writeFileSync(ca, 'CERT')
    const s = kafkajsConsumerSettings({
      ...base,
      'group.id': 'g',
      'security.protocol': 'SASL_SSL',
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'u',
      'sasl.password': 'p',
      'ssl.ca.location': ca,
      'enable.ssl.certificate.verification': 'false',
    })
    expect(s.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' })
    expect(s.kafka.ssl).toMatchObject({ ca: 'CERT', rejectUnauthorized: false })
    expect(
      catchError(() => kafkajsConsumerSettings({ ...base, 'group.id': 'g', 'ssl.ca.location': '/nonexistent/ca.pem' }))
        .key,
    ).toBe('ssl.ca.location')
    expect(
      catchError(() => kafkajsConsumerSettings({ ...base, 'group.id': 'g', 'sasl.mechanisms': 'GSSAPI' })).message,
    ).toMatch(/GSSAPI/)
    expect(
      catchError(() => kafkajsConsumerSettings({ ...base, 'group.id': 'g', 'security.protocol': 'sasl_plaintext' }))
        .key,
    ).toBe('sasl.username')
  })

  it('translates the consumer keys', () => {
    const s = kafkajsConsumerSettings({
      ...base,
      'group.id': 'g',
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': 'false',
      'session.timeout.ms': 6000,
      'fetch.wait.max.ms': 50,
      'isolation.level': 'read_uncommitted',
      'partition.assignment.strategy': 'roundrobin',
    })
    expect(s).toMatchObject({
      groupId: 'g',
      fromBeginning: true,
      autoCommit: false,
      sessionTimeoutMs: 6000,
      maxWaitTimeInMs: 50,
      readUncommitted: true,
    })
    expect(s.assigners).toEqual(['roundrobin'])
  })

  it('refuses, naming the key, what it cannot honour', () => {
    const cases: Array<[Record<string, string | number | boolean>, string]> = [
      [{ 'statistics.interval.ms': 1000 }, 'statistics.interval.ms'],
      [{ 'queued.min.messages': 5 }, 'queued.min.messages'],
      [{ 'partition.assignment.strategy': 'cooperative-sticky' }, 'partition.assignment.strategy'],
      [{ 'enable.auto.offset.store': false }, 'enable.auto.offset.store'],
      [{ 'auto.offset.reset': 'error' }, 'auto.offset.reset'],
    ]
    for (const [extra, key] of cases) {
      const err = catchError(() => new Consumer({ ...base, 'group.id': 'g', engine: 'kafkajs', ...extra }))
      expect(err).toBeInstanceOf(KafkaError)
      expect(err).toMatchObject({ code: '_INVALID_ARG', key })
    }
    for (const [extra, key] of [
      [{ partitioner: 'fnv1a' }, 'partitioner'],
      [{ 'compression.type': 'lz4' }, 'compression.type'], // no codec registered with kafkajs
      [{ preset: 'throughput', acks: 2 }, 'acks'],
    ] as Array<[Record<string, string | number>, string]>) {
      expect(catchError(() => new Producer({ ...base, engine: 'kafkajs', ...extra }))).toMatchObject({
        code: '_INVALID_ARG',
        key,
      })
    }
  })
})

describe('kafkajs engine errors', () => {
  it("names Kafka's error codes as librdkafka does", () => {
    const native = new Map(
      binding()
        .errorCodes()
        .map(([num, name, , retriable]) => [num, { name, retriable }]),
    )
    PROTOCOL_NAMES.forEach((name, i) => {
      expect(native.get(i - 1)?.name).toBe(name)
      expect(native.get(i - 1)?.retriable).toBe(RETRIABLE_CODES.has(i - 1))
    })
  })

  it('unwraps kafkajs errors into KafkaErrors with those codes', () => {
    const protocol = Object.assign(new Error('This server does not host this topic-partition'), {
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      code: 3,
    })
    expect(fromKafkajs(protocol)).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PART', errno: 3, retriable: true })
    const retries = Object.assign(new Error('gave up'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      cause: Object.assign(new Error('Connection error: ECONNREFUSED'), {
        name: 'KafkaJSConnectionError',
        code: 'ECONNREFUSED',
      }),
    })
    expect(fromKafkajs(retries)).toMatchObject({ code: '_TRANSPORT', message: 'Connection error: ECONNREFUSED' })
    expect(fromKafkajs(new Error('odd'))).toMatchObject({ code: '_FAIL' })
  })

  it('hashes keys with CRC-32, as librdkafka does', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
    expect(crc32(Buffer.alloc(0))).toBe(0)
  })
})

describe('interop between the engines', () => {
  for (const [from, to] of [
    ['native', 'kafkajs'],
    ['kafkajs', 'native'],
  ] as const) {
    it(`${to} consumes exactly what ${from} produced`, async () => {
      const topic = uniqueTopic(`e-${from}-to-${to}`)
      await cluster.createTopic(topic, 3)
      const sent = mixedMessages(5000, 3)
      const p = producerOf(target, from)
      expect((await p.produceBatch(topic, sent)).delivered).toBe(5000)
      await p.close()
      const c = consumerOf(target, to, uniqueTopic('g'))
      c.subscribe([topic])
      expectExactly(sent, await drain(c, 5000))
      await c.close()
    })
  }

  it('puts a key on the same partition with either engine (librdkafka’s partitioners)', async () => {
    for (const partitioner of ['consistent_random', 'murmur2_random']) {
      const placed: Record<string, Map<string, number>> = {}
      for (const engine of ['native', 'kafkajs'] as const) {
        const topic = uniqueTopic(`e-keys-${engine}`)
        await cluster.createTopic(topic, 6)
        const p = producerOf(target, engine, { partitioner })
        await p.produceBatch(
          topic,
          Array.from({ length: 60 }, (_, i) => ({ key: `key-${i}`, value: `${i}` })),
        )
        await p.close()
        const c = consumerOf(target, 'native', uniqueTopic('g'))
        c.subscribe([topic])
        placed[engine] = new Map((await drain(c, 60)).map((m) => [m.key!.toString(), m.partition]))
        await c.close()
      }
      expect(new Set(placed.native!.values()).size).toBeGreaterThan(3)
      expect(placed.kafkajs).toEqual(placed.native)
    }
  })
})

describe('kafkajs engine after unsubscribe', () => {
  it('refuses seek, pause and resume with _STATE while the partitions are being given up', async () => {
    const topic = uniqueTopic('e-unsub')
    await cluster.createTopic(topic, 1)
    const k = consumerOf(target, 'kafkajs', uniqueTopic('g'))
    k.subscribe([topic])
    await untilAssigned(k, 1)
    k.unsubscribe()
    // The assignment empties once kafkajs has left; until then these name a partition it held.
    const tp = { topic, partition: 0 }
    const sought = k.seek([{ ...tp, offset: 0 }])
    expect(() => k.pause([tp])).toThrow(expect.objectContaining({ code: '_STATE' }))
    expect(() => k.resume([tp])).toThrow(expect.objectContaining({ code: '_STATE' }))
    await expect(sought).rejects.toMatchObject({
      code: '_STATE',
      message: expect.stringMatching(/^seek: not subscribed/),
    })
    await k.close()
  })
})

describe('kafkajs engine while its group is joining', () => {
  it('answers consumeBatch at its timeout while the group waits for another member to rejoin', async () => {
    const topic = uniqueTopic('e-joining')
    await cluster.createTopic(topic, 2)
    const group = uniqueTopic('g')
    const n = consumerOf(target, 'native', group)
    n.subscribe([topic])
    await untilAssigned(n, 2)
    // The native member is not polled, so it does not rejoin and kafkajs's join cannot complete.
    const k = consumerOf(target, 'kafkajs', group)
    k.subscribe([topic])
    const outcome = await Promise.race([
      k.consumeBatch(10, 300),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 10 s'), 10_000)),
    ])
    expect(outcome).toEqual([])
    await Promise.all([n.close(), k.close()])
  })
})

// A group shared by a native and a kafkajs member (test/contract.ts); on the mock the kafkajs
// member leads, the order Apache Kafka's tier also runs the other way round.
mixedGroupSuite('mock cluster', target, ['kafkajs'])

describe('fallback when the addon cannot load', () => {
  const script = (body: string) => `
    const { Producer, Consumer } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'cjs', 'index.js'))})
    const warnings = []
    process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }))
    ;(async () => { ${body} })().then(
      (out) => { console.log(JSON.stringify({ out, warnings })); process.exit(0) },
      (err) => { console.log(JSON.stringify({ error: { code: err.code, message: err.message }, warnings })); process.exit(0) },
    )`
  const run = (body: string) => {
    const r = spawnSync(process.execPath, ['-e', script(body)], {
      env: { ...process.env, TURBOKAFKA_NATIVE_PATH: '/nonexistent/turbokafka.node' },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(r.status).toBe(0)
    return { ...JSON.parse(r.stdout.trim().split('\n').at(-1)!), stderr: r.stderr }
  }

  it('auto uses kafkajs with one warning naming the cause, and still delivers', async () => {
    const topic = uniqueTopic('e-fallback')
    await cluster.createTopic(topic, 1)
    const servers = cluster.bootstrapServers
    const r = run(`
      const p = new Producer({ 'bootstrap.servers': '${servers}', preset: 'throughput' })
      const again = new Producer({ 'bootstrap.servers': '${servers}', preset: 'throughput' })
      const report = await p.produceBatch('${topic}', ['a', 'b', 'c'])
      const c = new Consumer({ 'bootstrap.servers': '${servers}', 'group.id': 'fb', 'auto.offset.reset': 'earliest' })
      c.subscribe(['${topic}'])
      const got = []
      for (let i = 0; i < 40 && got.length < 3; i++) got.push(...(await c.consumeBatch(10, 500)))
      await Promise.all([p.close(), again.close(), c.close()])
      return { engines: [p.engine, again.engine, c.engine], report, got: got.map((m) => m.value.toString()) }
    `)
    expect(r.out.engines).toEqual(['kafkajs', 'kafkajs', 'kafkajs'])
    expect(r.out.report).toEqual({ delivered: 3, failed: 0, errors: [] })
    expect(r.out.got).toEqual(['a', 'b', 'c'])
    // On Node 23 and later kafkajs 2.2.4's idle request queue sets a negative timer, which Node
    // reports once as a TimeoutNegativeWarning (docs/engines.md); anything else is unexpected.
    const others = r.warnings.filter((w: { name: string }) => w.name !== 'TimeoutNegativeWarning')
    expect(others, JSON.stringify(r.warnings)).toHaveLength(1)
    r.warnings = others
    expect(r.warnings[0].code).toBe('TURBOKAFKA_KAFKAJS_FALLBACK')
    expect(r.warnings[0].message).toMatch(/TURBOKAFKA_NATIVE_PATH points at \/nonexistent\/turbokafka\.node/)
    expect(r.warnings[0].message).toMatch(/loader said: .*Cannot find module/)
    expect(r.warnings[0].message).toMatch(/engine: 'kafkajs'/)
    expect(r.stderr.match(/TURBOKAFKA_KAFKAJS_FALLBACK/g)).toHaveLength(1) // printed once
  })

  it("native throws the loader's explanation instead", () => {
    const r = run(`new Producer({ 'bootstrap.servers': '127.0.0.1:1', engine: 'native' })`)
    expect(r.error.code).toBe('_FAIL')
    expect(r.error.message).toMatch(/TURBOKAFKA_NATIVE_PATH points at .*loader said/s)
    expect(r.warnings).toEqual([])
    const c = run(`new Consumer({ 'bootstrap.servers': '127.0.0.1:1', 'group.id': 'g', engine: 'native' })`)
    expect(c.error.code).toBe('_FAIL')
  })

  it('kafkajs chosen explicitly loads without the addon and without a warning', () => {
    const r = run(`return new Producer({ 'bootstrap.servers': '127.0.0.1:1', engine: 'kafkajs' }).engine`)
    expect(r.out).toBe('kafkajs')
    expect(r.warnings).toEqual([])
  })
})
