// The Admin client without a real broker: argument checks on every call, its lifetime (double
// close, use after close, close with a request in flight, process exit, GC) and what librdkafka's
// mock cluster serves (metadata, offsets, group offsets). test/broker/admin.test.ts covers every
// call on Apache Kafka.
import { spawnSync } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Admin, Consumer, Producer, type MockCluster } from '../lib/index'
import { librdkafkaAtLeast } from '../lib/version'
import { startMock, uniqueTopic } from './helpers'

let cluster: MockCluster
beforeAll(async () => {
  cluster = await startMock(3)
})
afterAll(async () => {
  await cluster.close()
})

// [call, what it is given, the message's start]; every one must fail with _INVALID_ARG.
const BAD: Array<[string, (a: Admin) => Promise<unknown>, string]> = [
  ['createTopics', (a) => a.createTopics([]), 'createTopics: expected a non-empty array of topics'],
  ['createTopics', (a) => a.createTopics([{ topic: '' }]), 'createTopics: topics[0].topic must be a non-empty string'],
  [
    'createTopics',
    (a) => a.createTopics([{ topic: 't', partitions: 0 }]),
    'createTopics: topics[0].partitions must be an integer',
  ],
  [
    'createTopics',
    (a) => a.createTopics([{ topic: 't' }, { topic: 'u', replicationFactor: 1.5 }]),
    'createTopics: topics[1].replicationFactor must be an integer',
  ],
  [
    'createTopics',
    (a) => a.createTopics([{ topic: 't', config: [] as never }]),
    'createTopics: topics[0].config must be an object',
  ],
  ['createTopics', (a) => a.createTopics([{ topic: 't' }, { topic: 't' }]), 'createTopics: topic t appears twice'],
  [
    'createTopics',
    (a) => a.createTopics([{ topic: 't' }], { timeoutMs: 0 }),
    'createTopics: timeoutMs must be an integer from 1',
  ],
  [
    'listTopics',
    (a) => a.listTopics({ timeoutMs: 7_200_000 }),
    'listTopics: timeoutMs must be an integer from 1 to 3600000',
  ],
  ['deleteTopics', (a) => a.deleteTopics(['a', 'a']), 'deleteTopics: "a" appears twice'],
  ['deleteTopics', (a) => a.deleteTopics('a' as never), 'deleteTopics: expected a non-empty array of topics'],
  [
    'createPartitions',
    (a) => a.createPartitions([{ topic: 't', count: 0 }]),
    'createPartitions: topics[0].count must be an integer',
  ],
  ['describeGroups', (a) => a.describeGroups([7 as never]), 'describeGroups: groupIds[0] must be a non-empty string'],
  [
    'listOffsets',
    (a) => a.listOffsets([{ topic: 't', partition: 0, at: 'middle' as never }]),
    "listOffsets: partitions[0].at must be 'earliest', 'latest' or a timestamp",
  ],
  [
    'listOffsets',
    (a) => a.listOffsets([{ topic: 't', partition: -1, at: 'latest' }]),
    'listOffsets: partitions[0].partition must be an integer from 0',
  ],
  ['listGroupOffsets', (a) => a.listGroupOffsets(''), 'listGroupOffsets: groupId must be a non-empty string'],
  [
    'alterGroupOffsets',
    (a) => a.alterGroupOffsets('g', [{ topic: 't', partition: 0, offset: -5 }]),
    'alterGroupOffsets: partitions[0].offset must be an integer from 0',
  ],
  [
    'deleteRecords',
    (a) =>
      a.deleteRecords([
        { topic: 't', partition: 0, before: 3 },
        { topic: 't', partition: 0, before: 4 },
      ]),
    'deleteRecords: t [0] appears twice',
  ],
  [
    'describeConfigs',
    (a) => a.describeConfigs([{ type: 'group' as never, name: 'g' }]),
    "describeConfigs: resources[0].type must be 'topic' or 'broker'",
  ],
  [
    'describeConfigs',
    (a) => a.describeConfigs([{ type: 'broker', name: 'one' }]),
    'describeConfigs: resources[0].name must be a broker id',
  ],
  [
    'alterConfigs',
    (a) => a.alterConfigs([{ type: 'topic', name: 't', changes: [{ name: 'x', op: 'replace' as never, value: 1 }] }]),
    'alterConfigs: resources[0].changes[0].op must be one of set, delete, append, subtract',
  ],
  [
    'alterConfigs',
    (a) => a.alterConfigs([{ type: 'topic', name: 't', changes: [{ name: 'retention.ms' }] }]),
    'alterConfigs: resources[0].changes[0].value is needed for set',
  ],
]

for (const engine of ['native', 'kafkajs'] as const) {
  describe(`Admin (${engine} engine, mock cluster)`, () => {
    it('refuses bad input with _INVALID_ARG naming the call, the item and the field, before sending anything', async () => {
      const admin = new Admin({ 'bootstrap.servers': cluster.bootstrapServers, engine })
      for (const [call, run, message] of BAD) {
        const err = await run(admin).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(err, call).toMatchObject({ name: 'KafkaError', code: '_INVALID_ARG' })
        expect((err as Error).message.startsWith(message), `${(err as Error).message} / ${message}`).toBe(true)
      }
      await admin.close()
    })

    it('lists topics without internal ones and offsets per partition, an unknown partition failing alone', async () => {
      const topic = uniqueTopic('admin-mock')
      await cluster.createTopic(topic, 2)
      const producer = new Producer({ 'bootstrap.servers': cluster.bootstrapServers })
      await producer.produceBatch(
        topic,
        Array.from({ length: 30 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })),
      )
      await producer.close()
      const admin = new Admin({ 'bootstrap.servers': cluster.bootstrapServers, engine })
      await admin.connect()
      expect(await admin.listTopics()).toContain(topic)
      if (engine === 'native' && !librdkafkaAtLeast(2, 3)) {
        // A source build against an older system librdkafka: no ListOffsets request.
        await expect(admin.listOffsets([{ topic, partition: 0, at: 'latest' }])).rejects.toMatchObject({
          code: '_NOT_IMPLEMENTED',
          message: expect.stringMatching(/^listOffsets needs librdkafka >= 2\.3; this build links /),
        })
        return await admin.close()
      }
      const offsets = await admin.listOffsets([
        { topic, partition: 1, at: 'latest' },
        { topic, partition: 0, at: 'earliest' },
        { topic, partition: 5, at: 'latest' },
      ])
      expect(offsets.map((o) => [o.partition, o.offset, o.error?.code])).toEqual([
        [1, 15, undefined],
        [0, 0, undefined],
        [5, -1, '_UNKNOWN_PARTITION'],
      ])
      await admin.close()
    })

    it('closes once however often asked, and refuses calls after close with _STATE', async () => {
      const admin = new Admin({ 'bootstrap.servers': cluster.bootstrapServers, engine })
      const first = admin.close()
      expect(admin.close()).toBe(first)
      await first
      expect(admin.closed).toBe(true)
      await expect(admin.listTopics()).rejects.toMatchObject({ code: '_STATE', message: 'admin is closed' })
      await expect(admin.describeCluster()).rejects.toMatchObject({ code: '_STATE' })
    })

    it('fails within the timeout, with the reason, when nothing listens', async () => {
      const admin = new Admin({ 'bootstrap.servers': '127.0.0.1:1', engine })
      await expect(admin.connect({ timeoutMs: 1500 })).rejects.toMatchObject({ name: 'KafkaError' })
      await expect(admin.listTopics({ timeoutMs: 1500 })).rejects.toMatchObject({ name: 'KafkaError' })
      await admin.close()
    })
  })
}

describe('Admin (native engine, mock cluster)', () => {
  it("sets a group's committed offsets, where its next consumer resumes", async () => {
    const topic = uniqueTopic('admin-group')
    const group = uniqueTopic('admin-g')
    await cluster.createTopic(topic, 1)
    const producer = new Producer({ 'bootstrap.servers': cluster.bootstrapServers })
    await producer.produceBatch(
      topic,
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    )
    await producer.close()
    const admin = new Admin({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native' })
    expect(await admin.listGroupOffsets(group, [{ topic, partition: 0 }])).toEqual([
      { topic, partition: 0, offset: -1001 },
    ])
    expect(await admin.alterGroupOffsets(group, [{ topic, partition: 0, offset: 6n }])).toEqual([
      { topic, partition: 0, offset: 6 },
    ])
    expect(await admin.listGroupOffsets(group, [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, offset: 6 }])
    const consumer = new Consumer({ 'bootstrap.servers': cluster.bootstrapServers, 'group.id': group })
    consumer.subscribe([topic])
    const read: number[] = []
    const deadline = Date.now() + 30_000
    while (read.length < 4 && Date.now() < deadline)
      read.push(...(await consumer.consumeBatch(100, 100)).map((m) => m.offset))
    await consumer.close()
    expect(read).toEqual([6, 7, 8, 9])
    await admin.close()
  })

  it('rejects a request the native layer cannot build instead of leaving it pending (and the process alive)', () => {
    // lib/ never passes such arguments; this is the native side's own guard, called directly.
    const script = `
      const { binding } = require(${JSON.stringify(require.resolve('../dist/cjs/binding.js'))})
      const admin = new (binding().Admin)({ 'bootstrap.servers': process.argv[1] })
      admin.createTopics([{ partitions: 1, replicationFactor: 1, config: [] }], false, 1000).then(
        () => console.log('resolved'),
        (e) => console.log(JSON.stringify({ code: e.code })),
      )
    `
    const r = spawnSync(process.execPath, ['-e', script, cluster.bootstrapServers], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect([r.status, r.signal, r.stderr]).toEqual([0, null, ''])
    expect(JSON.parse(r.stdout)).toEqual({ code: '_INVALID_ARG' })
  })

  it('rejects a request still waiting for its answer with _DESTROY when closed', async () => {
    // The mock cluster names no controller, so a controller request waits out its timeout.
    const admin = new Admin({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native' })
    const waiting = admin
      .createTopics([{ topic: uniqueTopic('never') }], { timeoutMs: 60_000 })
      .catch((e: unknown) => e)
    await new Promise((resolve) => setTimeout(resolve, 100))
    await admin.close()
    expect(await waiting).toMatchObject({ code: '_DESTROY', message: 'admin closed before the answer came' })
  })

  it('survives process exit and GC with requests in flight, and a pending request keeps the process alive until it settles', () => {
    const script = `
      const { Admin } = require(${JSON.stringify(require.resolve('../dist/cjs/index.js'))})
      const servers = process.argv[1], mode = process.argv[2]
      for (let i = 0; i < 20; i++) new Admin({ 'bootstrap.servers': servers, engine: 'native' }).listTopics()
      globalThis.gc()
      const admin = new Admin({ 'bootstrap.servers': servers, engine: 'native' })
      const started = Date.now()
      admin.createTopics([{ topic: 'never-created' }], { timeoutMs: 800 }).catch((e) => {
        console.log(JSON.stringify({ code: e.code, waited: Date.now() - started >= 700 }))
      })
      if (mode === 'exit') setTimeout(() => process.exit(0), 100)
    `
    for (const mode of ['exit', 'wait']) {
      const r = spawnSync(process.execPath, ['--expose-gc', '-e', script, cluster.bootstrapServers, mode], {
        encoding: 'utf8',
        timeout: 30_000,
      })
      expect([r.status, r.signal, r.stderr], mode).toEqual([0, null, ''])
      if (mode === 'wait') expect(JSON.parse(r.stdout)).toEqual({ code: '_TIMED_OUT', waited: true })
      else expect(r.stdout).toBe('')
    }
  })
})
