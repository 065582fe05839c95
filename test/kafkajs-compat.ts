// The kafkajs conformance suite: kafkajs's documented usage (producer send and sendBatch,
// consumer eachMessage and eachBatch with resolveOffset and heartbeat, pause and resume from a
// handler, seek, a handler that throws, admin calls), written once against kafkajs's API and run
// against kafkajs itself and against turbokafka/kafkajs with the same assertions. Where the two
// may legitimately differ, the assertion says why.
import { describe, expect, it } from 'vitest'

import type * as KafkajsModule from 'kafkajs'

type Lib = Pick<typeof KafkajsModule, 'Kafka' | 'Partitioners' | 'logLevel'>

export interface CompatTarget {
  servers: () => string
  createTopic: (topic: string, partitions: number) => Promise<void>
  uniqueTopic: (prefix: string) => string
  /** Consumer options the cluster needs (the mock coordinator wants short sessions). */
  consumer: Record<string, number>
  /**
   * Producer options the scenarios' writers take: idempotent on Apache Kafka, where kafkajs's
   * plain producer was seen writing a partition's 20 messages twice (a retried request), which
   * the readers then rightly read; the mock cluster names no controller, which kafkajs's
   * idempotent producer needs.
   */
  producer?: { idempotent?: boolean }
}

/** Polls `done` every 50 ms until true, failing after `ms` with what `state` says. */
export async function until(done: () => boolean, ms: number, state: () => string): Promise<void> {
  for (const end = Date.now() + ms; !done();) {
    if (Date.now() > end) throw new Error(`timed out: ${state()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

interface Seen {
  partition: number
  offset: string
  key: string | undefined
  value: string | undefined
  header: string | undefined
}

export function kafkajsSuite(name: string, lib: Lib, target: CompatTarget): void {
  const kafka = () =>
    new lib.Kafka({ clientId: 'conformance', brokers: target.servers().split(','), logLevel: lib.logLevel.NOTHING })
  const consumerOf = (k: InstanceType<Lib['Kafka']>, groupId: string) =>
    k.consumer({ groupId, ...target.consumer, maxWaitTimeInMs: 100 })
  /**
   * A one-partition topic holding `count` values `${letter}0`, `${letter}1`, ..., and a consumer
   * of a fresh group, connected and subscribed from the beginning (not running yet).
   */
  const seeded = async (prefix: string, letter: string, count: number) => {
    const topic = target.uniqueTopic(prefix)
    await target.createTopic(topic, 1)
    const k = kafka()
    const producer = k.producer(target.producer)
    await producer.connect()
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `${letter}${i}` })) })
    await producer.disconnect()
    const consumer = consumerOf(k, target.uniqueTopic(`${prefix}-g`))
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    return { topic, consumer }
  }

  describe(`kafkajs API conformance: ${name}`, () => {
    it('send and sendBatch answer RecordMetadata per partition; concurrent sends each get their own', async () => {
      const topic = target.uniqueTopic('kc-send')
      const other = target.uniqueTopic('kc-send-b')
      await target.createTopic(topic, 2)
      await target.createTopic(other, 1)
      const producer = kafka().producer(target.producer)
      await producer.connect()
      const one = await producer.send({ topic, messages: [{ value: 'a', partition: 1 }] })
      expect(one).toEqual([expect.objectContaining({ topicName: topic, partition: 1, errorCode: 0, baseOffset: '0' })])
      const many = await Promise.all(
        Array.from({ length: 50 }, (_, i) => producer.send({ topic, messages: [{ value: `m${i}`, partition: 0 }] })),
      )
      // Each send wrote one message: its base offset is that message's, all different.
      expect(new Set(many.map((r) => r[0]!.baseOffset)).size).toBe(50)
      expect(many.map((r) => Number(r[0]!.baseOffset)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i),
      )
      const batch = await producer.sendBatch({
        topicMessages: [
          {
            topic,
            messages: [
              { value: 'x', partition: 1 },
              { value: 'y', partition: 1 },
            ],
          },
          { topic: other, messages: [{ value: 'z', partition: 0 }] },
        ],
      })
      expect(batch.map((r) => [r.topicName, r.partition, r.baseOffset]).sort()).toEqual(
        [
          [other, 0, '0'],
          [topic, 1, '1'],
        ].sort(),
      )
      await producer.disconnect()
    })

    it('puts a key on the same partition as kafkajs’s default and legacy partitioners', async () => {
      const topic = target.uniqueTopic('kc-keys')
      await target.createTopic(topic, 6)
      const k = kafka()
      const results: Record<string, number[]> = {}
      for (const [which, create] of [
        ['default', lib.Partitioners.DefaultPartitioner],
        ['legacy', lib.Partitioners.LegacyPartitioner],
      ] as const) {
        const producer = k.producer({ ...target.producer, createPartitioner: create })
        await producer.connect()
        const sent = await Promise.all(
          ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'].map((key) =>
            producer.send({ topic, messages: [{ key, value: which }] }),
          ),
        )
        results[which] = sent.map((r) => r[0]!.partition)
        await producer.disconnect()
      }
      // The partitions kafkajs's own partitioners compute for these keys over 6 partitions.
      const expected = (create: KafkajsModule.ICustomPartitioner) => {
        const choose = create()
        const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
          partitionId,
          leader: 1,
          partitionErrorCode: 0,
          replicas: [1],
          isr: [1],
        }))
        return ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'].map((key) =>
          choose({ topic, partitionMetadata, message: { key, value: null } }),
        )
      }
      expect(results.default).toEqual(expected(lib.Partitioners.DefaultPartitioner))
      expect(results.legacy).toEqual(expected(lib.Partitioners.LegacyPartitioner))
    })

    it('eachMessage reads every message in order per partition, and a new member resumes after the commits', async () => {
      const topic = target.uniqueTopic('kc-each')
      await target.createTopic(topic, 2)
      const k = kafka()
      const producer = k.producer(target.producer)
      await producer.connect()
      await producer.send({
        topic,
        messages: Array.from({ length: 40 }, (_, i) => ({
          key: `k${i}`,
          value: `v${i}`,
          partition: i % 2,
          headers: { trace: `t${i}` },
        })),
      })
      const groupId = target.uniqueTopic('kc-each-g')
      const seen: Seen[] = []
      const consumer = consumerOf(k, groupId)
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.push({
            partition,
            offset: message.offset,
            key: message.key?.toString(),
            value: message.value?.toString(),
            header: message.headers?.trace?.toString(),
          })
        },
      })
      // At least once, as in kafkajs: a rebalance right after the first fetch (a broker's group
      // settling) may hand a partition over before its first commit, and the batch comes again.
      // So every message is counted once by its position, in the order it was first seen, and a
      // repeat must be that very message.
      const first = new Map<string, Seen>()
      const distinct = () => {
        for (const s of seen) {
          const at = `${s.partition}/${s.offset}`
          const had = first.get(at)
          if (had) expect(s).toEqual(had)
          else first.set(at, s)
        }
        return first.size
      }
      await until(
        () => distinct() >= 40,
        30_000,
        () => `${first.size} of 40`,
      )
      await consumer.disconnect()
      expect(distinct(), [...first.keys()].join(' ')).toBe(40)
      for (const p of [0, 1]) {
        const mine = [...first.values()].filter((s) => s.partition === p)
        expect(mine.map((s) => s.offset)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)))
        expect(mine.map((s) => s.value)).toEqual(Array.from({ length: 20 }, (_, i) => `v${2 * i + p}`))
        expect(mine.map((s) => s.header)).toEqual(Array.from({ length: 20 }, (_, i) => `t${2 * i + p}`))
      }

      // Committed after each batch (kafkajs's default): the next member reads only what is new.
      await producer.send({ topic, messages: [{ value: 'late', partition: 0 }] })
      const after: string[] = []
      const next = consumerOf(k, groupId)
      await next.connect()
      await next.subscribe({ topics: [topic], fromBeginning: true })
      await next.run({ eachMessage: async ({ message }) => void after.push(message.value!.toString()) })
      await until(
        () => after.length >= 1,
        30_000,
        () => `${after.length} of 1`,
      )
      await new Promise((r) => setTimeout(r, 500))
      await next.disconnect()
      await producer.disconnect()
      expect(after).toEqual(['late'])
    })

    it('eachBatch with manual resolveOffset, heartbeat and commitOffsetsIfNecessary', async () => {
      const { topic, consumer } = await seeded('kc-batch', 'b', 30)
      const values: string[] = []
      let uncommitted: unknown
      let lastOffset = ''
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({
          batch,
          resolveOffset,
          heartbeat,
          commitOffsetsIfNecessary,
          uncommittedOffsets,
          isRunning,
        }) => {
          expect(isRunning()).toBe(true)
          for (const m of batch.messages) {
            values.push(m.value!.toString())
            resolveOffset(m.offset)
            await heartbeat()
          }
          lastOffset = batch.lastOffset()
          uncommitted = uncommittedOffsets()
          await commitOffsetsIfNecessary()
        },
      })
      await until(
        () => values.length >= 30,
        30_000,
        () => `${values.length} of 30`,
      )
      await consumer.disconnect()
      expect(values).toEqual(Array.from({ length: 30 }, (_, i) => `b${i}`))
      expect(lastOffset).toBe('29')
      // kafkajs gives the partition as a string here (its typings say number): so does the layer.
      expect(uncommitted).toEqual({ topics: [{ topic, partitions: [{ partition: '0', offset: '30' }] }] })
    })

    it('pause() from a handler stops the partition until resume, and nothing is skipped', async () => {
      const { consumer } = await seeded('kc-pause', 'p', 20)
      const values: string[] = []
      let resume: (() => void) | undefined
      let pausedOnce = false
      await consumer.run({
        eachMessage: async ({ message, pause }) => {
          if (message.offset === '10' && !pausedOnce) {
            // kafkajs's documented pattern: pause, then throw, so that the message is not resolved
            // and comes again after resume.
            pausedOnce = true
            resume = pause()
            throw new Error('a dependency asks to wait')
          }
          values.push(message.value!.toString())
        },
      })
      await until(
        () => resume !== undefined,
        30_000,
        () => `${values.length} before the pause`,
      )
      await new Promise((r) => setTimeout(r, 1000))
      expect(values).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`)) // nothing while paused
      resume!()
      await until(
        () => values.length >= 20,
        30_000,
        () => `${values.length} of 20`,
      )
      await consumer.disconnect()
      expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`))
    })

    it('seek() replays from an offset, and a handler that throws gets its message again', async () => {
      const { topic, consumer } = await seeded('kc-seek', 's', 10)
      const values: string[] = []
      let failed = false
      let sought = false
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (message.offset === '3' && !failed) {
            failed = true
            throw new Error('the handler fails once')
          }
          values.push(message.value!.toString())
          if (message.offset === '9' && !sought) {
            sought = true
            consumer.seek({ topic, partition: 0, offset: '7' })
          }
        },
      })
      await until(
        () => values.length >= 13,
        30_000,
        () => `${values.length} of 13`,
      )
      await consumer.disconnect()
      const first = Array.from({ length: 10 }, (_, i) => `s${i}`)
      expect(values).toEqual([...first, 's7', 's8', 's9'])
    })
  })
}
