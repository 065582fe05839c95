// The Admin client on Apache Kafka, the same cases on both engines: every call, the failure of each
// item kind, validateOnly, configs, records and a group's offsets reset under a consumer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Admin, Consumer, Producer, type ConsumedMessage, type KafkaError } from '../../lib/index'
import { uniqueTopic } from '../helpers'
import { restartDead, single, trio } from './clusters'

const codeOf = (e: KafkaError | undefined) => e?.code

async function produce(servers: string, topic: string, count: number, partition = 0): Promise<void> {
  const p = new Producer({ 'bootstrap.servers': servers })
  const r = await p.produceBatch(
    topic,
    Array.from({ length: count }, (_, i) => ({ value: `m${i}`, partition, timestamp: 1_700_000_000_000 + i * 1000 })),
  )
  await p.close()
  expect(r.failed).toBe(0)
}

/** Reads from `group` until `count` messages came (bounded), then closes the consumer. */
async function readAs(servers: string, group: string, topic: string, count: number): Promise<ConsumedMessage[]> {
  const c = new Consumer({
    'bootstrap.servers': servers,
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
  })
  c.subscribe([topic])
  const read: ConsumedMessage[] = []
  const deadline = Date.now() + 60_000
  while (read.length < count && Date.now() < deadline) read.push(...(await c.consumeBatch(1000, 200)))
  await c.close()
  return read
}

for (const engine of ['native', 'kafkajs'] as const) {
  describe(`Admin on Apache Kafka (${engine} engine)`, () => {
    let servers: string
    let admin: Admin
    beforeAll(async () => {
      servers = single().bootstrapServers
      admin = new Admin({ 'bootstrap.servers': servers, engine })
      await admin.connect()
    })
    afterAll(async () => {
      await admin.close()
    })

    it('creates topics per item (an existing one fails alone), validates without creating, lists and deletes', async () => {
      const [a, b, checked] = [uniqueTopic('adm-a'), uniqueTopic('adm-b'), uniqueTopic('adm-v')]
      expect(await admin.createTopics([{ topic: a, partitions: 3, config: { 'retention.ms': 3_600_000 } }])).toEqual([
        { topic: a },
      ])
      const again = await admin.createTopics([{ topic: a, partitions: 3 }, { topic: b }])
      expect(again.map((r) => [r.topic, codeOf(r.error)])).toEqual([
        [a, 'TOPIC_ALREADY_EXISTS'],
        [b, undefined],
      ])
      expect(await admin.createTopics([{ topic: checked, partitions: 2 }], { validateOnly: true })).toEqual([
        { topic: checked },
      ])
      // Listing shows the brokers' metadata, which may trail a creation by a moment.
      let names = await admin.listTopics()
      for (const until = Date.now() + 10_000; !(names.includes(a) && names.includes(b)) && Date.now() < until;) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        names = await admin.listTopics()
      }
      expect(names).toEqual(expect.arrayContaining([a, b]))
      expect(names).not.toContain(checked)
      expect(names).toEqual([...names].sort())

      const gone = await admin.deleteTopics([b, a, uniqueTopic('never')])
      expect(gone.map((r) => [r.topic, codeOf(r.error)])).toEqual([
        [b, undefined],
        [a, undefined],
        [expect.any(String), 'UNKNOWN_TOPIC_OR_PART'],
      ])
    })

    it('describes topics and the cluster, and raises a partition count but never lowers it', async () => {
      const topic = uniqueTopic('adm-d')
      await admin.createTopics([{ topic, partitions: 2, config: { 'retention.ms': 7_200_000 } }])
      const cluster = await admin.describeCluster()
      expect(cluster.brokers).toHaveLength(1)
      const [broker] = cluster.brokers
      expect(`${broker!.host}:${broker!.port}`).toBe(servers)
      expect(cluster.controller).toEqual(expect.any(Number))
      expect(cluster.clusterId).toMatch(/\S/)

      const [d, missing] = await admin.describeTopics([topic, uniqueTopic('missing')], { configs: true })
      expect(d!.error).toBeUndefined()
      expect(d!.partitions).toEqual(
        [0, 1].map((partition) => ({ partition, leader: broker!.id, replicas: [broker!.id], isr: [broker!.id] })),
      )
      expect(d!.internal).toBe(false)
      if (engine === 'native') expect(d!.topicId).toMatch(/^[A-Za-z0-9+/]{22}$/)
      expect(d!.configs!.find((e) => e.name === 'retention.ms')).toMatchObject({ value: '7200000', isDefault: false })
      expect(codeOf(missing!.error)).toBe('UNKNOWN_TOPIC_OR_PART')

      const raised = await admin.createPartitions([{ topic, count: 4 }])
      expect(raised).toEqual([{ topic }])
      const lowered = await admin.createPartitions([{ topic, count: 3 }])
      expect(codeOf(lowered[0]!.error)).toBe('INVALID_PARTITIONS')
      const [after] = await admin.describeTopics([topic])
      expect(after!.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3])
      await admin.deleteTopics([topic])
    })

    it('lists offsets by position and time, and deletes records before an offset', async () => {
      const topic = uniqueTopic('adm-o')
      await admin.createTopics([{ topic, partitions: 2, config: { 'retention.ms': -1 } }])
      await produce(servers, topic, 10)
      const q = (at: 'earliest' | 'latest' | number) => [
        { topic, partition: 0, at },
        { topic, partition: 1, at },
      ]
      expect((await admin.listOffsets(q('earliest'))).map((o) => o.offset)).toEqual([0, 0])
      expect((await admin.listOffsets(q('latest'))).map((o) => o.offset)).toEqual([10, 0])
      const [byTime] = await admin.listOffsets([{ topic, partition: 0, at: 1_700_000_000_000 + 3500 }])
      expect(byTime!.offset).toBe(4)
      const [unknown] = await admin.listOffsets([{ topic, partition: 7, at: 'latest' }])
      expect(unknown!.error).toBeDefined()

      expect(await admin.deleteRecords([{ topic, partition: 0, before: 6 }])).toEqual([
        { topic, partition: 0, offset: 6 },
      ])
      expect((await admin.listOffsets(q('earliest'))).map((o) => o.offset)).toEqual([6, 0])
      await admin.deleteTopics([topic])
    })

    it("lists, describes and deletes groups, and resets a group's offsets where its next consumer resumes", async () => {
      const topic = uniqueTopic('adm-g')
      const group = uniqueTopic('adm-group')
      await admin.createTopics([{ topic, partitions: 1, config: { 'retention.ms': -1 } }])
      await produce(servers, topic, 20)

      const member = new Consumer({ 'bootstrap.servers': servers, 'group.id': group, 'auto.offset.reset': 'earliest' })
      member.subscribe([topic])
      const deadline = Date.now() + 60_000
      let read = 0
      while (read < 20 && Date.now() < deadline) read += (await member.consumeBatch(100, 200)).length
      await member.commit()
      const [live] = await admin.describeGroups([group])
      expect(live).toMatchObject({ groupId: group, state: 'Stable' })
      expect(live!.members).toHaveLength(1)
      expect(live!.members[0]!.assignment).toEqual([{ topic, partition: 0 }])
      expect((await admin.listGroups()).map((g) => g.groupId)).toContain(group)
      expect(codeOf((await admin.deleteGroups([group]))[0]!.error)).toBe('NON_EMPTY_GROUP')
      expect(await admin.listGroupOffsets(group, [{ topic, partition: 0 }])).toEqual([
        { topic, partition: 0, offset: 20 },
      ])
      await member.close()

      expect(await admin.alterGroupOffsets(group, [{ topic, partition: 0, offset: 7 }])).toEqual([
        { topic, partition: 0, offset: 7 },
      ])
      expect(await admin.listGroupOffsets(group)).toEqual([{ topic, partition: 0, offset: 7 }])
      const resumed = await readAs(servers, group, topic, 13)
      expect(resumed.map((m) => m.offset)).toEqual(Array.from({ length: 13 }, (_, i) => 7 + i))

      if (engine === 'native') {
        expect(await admin.deleteGroupOffsets(group, [{ topic, partition: 0 }])).toEqual([
          { topic, partition: 0, offset: -1001 },
        ])
        expect(await admin.listGroupOffsets(group, [{ topic, partition: 0 }])).toEqual([
          { topic, partition: 0, offset: -1001 },
        ])
      } else {
        await expect(admin.deleteGroupOffsets(group, [{ topic, partition: 0 }])).rejects.toMatchObject({
          code: '_NOT_IMPLEMENTED',
        })
      }
      expect(await admin.deleteGroups([group])).toEqual([{ groupId: group }])
      expect((await admin.listGroups()).map((g) => g.groupId)).not.toContain(group)
      await admin.deleteTopics([topic])
    })

    it('describes topic and broker configs, and changes them incrementally (native engine)', async () => {
      const topic = uniqueTopic('adm-c')
      await admin.createTopics([{ topic, partitions: 1, config: { 'cleanup.policy': 'delete' } }])
      const { brokers } = await admin.describeCluster()
      const [t, b] = await admin.describeConfigs([
        { type: 'topic', name: topic },
        { type: 'broker', name: String(brokers[0]!.id) },
      ])
      expect(t!.entries.find((e) => e.name === 'cleanup.policy')).toMatchObject({ value: 'delete', readOnly: false })
      expect(b!.entries.find((e) => e.name === 'log.dirs')?.value).toMatch(/\S/)
      const changes = [
        {
          type: 'topic' as const,
          name: topic,
          changes: [
            { name: 'retention.ms', value: 123_456 },
            { name: 'cleanup.policy', op: 'append' as const, value: 'compact' },
          ],
        },
      ]
      if (engine === 'kafkajs') {
        await expect(admin.alterConfigs(changes)).rejects.toMatchObject({ code: '_NOT_IMPLEMENTED' })
      } else {
        expect(await admin.alterConfigs(changes, { validateOnly: true })).toEqual([{ type: 'topic', name: topic }])
        expect(await admin.alterConfigs(changes)).toEqual([{ type: 'topic', name: topic }])
        const [after] = await admin.describeConfigs([{ type: 'topic', name: topic }])
        const value = (n: string) => after!.entries.find((e) => e.name === n)?.value
        expect([value('retention.ms'), value('cleanup.policy')]).toEqual(['123456', 'delete,compact'])
        await admin.alterConfigs([{ type: 'topic', name: topic, changes: [{ name: 'retention.ms', op: 'delete' }] }])
        const [reset] = await admin.describeConfigs([{ type: 'topic', name: topic }])
        expect(reset!.entries.find((e) => e.name === 'retention.ms')).toMatchObject({ isDefault: true })
      }
      await admin.deleteTopics([topic])
    })
  })
}

describe('Admin on three brokers', () => {
  beforeAll(() => restartDead('trio')) // an earlier test may have left one down
  for (const engine of ['native', 'kafkajs'] as const) {
    it(`creates a replicated topic and describes its replicas and the cluster (${engine})`, async () => {
      const { bootstrapServers, brokers } = trio()
      const admin = new Admin({ 'bootstrap.servers': bootstrapServers, engine })
      const topic = uniqueTopic('adm-rf3')
      expect(
        (await admin.createTopics([{ topic, partitions: 3, replicationFactor: 3 }])).map((r) => [
          r.topic,
          r.error?.message,
        ]),
      ).toEqual([[topic, undefined]])
      const cluster = await admin.describeCluster()
      expect(cluster.brokers.map((b) => b.id)).toEqual(brokers.map((b) => b.id).sort((x, y) => x - y))
      const [d] = await admin.describeTopics([topic])
      for (const p of d!.partitions) {
        expect([...p.replicas].sort()).toEqual(cluster.brokers.map((b) => b.id))
        expect(p.isr).toHaveLength(3)
        expect(p.replicas).toContain(p.leader)
      }
      const [tooMany] = await admin.createTopics([
        { topic: uniqueTopic('adm-rf4'), partitions: 1, replicationFactor: 4 },
      ])
      expect(codeOf(tooMany!.error)).toBe('INVALID_REPLICATION_FACTOR')
      await admin.deleteTopics([topic])
      await admin.close()
    })
  }
})
