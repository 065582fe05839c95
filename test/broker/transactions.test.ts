// Transactions on three Apache Kafka brokers (replication factor 3, min.insync.replicas 2):
// what commit and abort show to read_committed and read_uncommitted consumers, zombie fencing,
// and exactly-once consume-transform-produce proven by killing the processor (and a broker).
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'

import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Admin, Consumer, KafkaError, Producer, runTransactional, type ConsumedMessage } from '../../lib/index'
import { uniqueTopic } from '../helpers'
import { killBroker, restartDead, trio, type ClusterInfo } from './clusters'

let cluster: ClusterInfo
let admin: Admin
beforeAll(async () => {
  await restartDead('trio') // an earlier test may have killed one
  cluster = trio()
  admin = new Admin({ 'bootstrap.servers': cluster.bootstrapServers })
})
afterAll(async () => {
  await admin.close()
  await restartDead('trio')
})

async function topic(prefix: string, partitions: number): Promise<string> {
  const name = uniqueTopic(prefix)
  const [r] = await admin.createTopics([
    { topic: name, partitions, replicationFactor: 3, config: { 'min.insync.replicas': 2, 'retention.ms': -1 } },
  ])
  if (r!.error) throw r!.error
  return name
}

/** Everything in `t` a fresh consumer with this isolation reads until it reaches `count` or goes quiet. */
async function readAll(t: string, isolation: string, count: number, quietMs = 3000): Promise<ConsumedMessage[]> {
  const c = new Consumer({
    'bootstrap.servers': cluster.bootstrapServers,
    'group.id': uniqueTopic('txn-reader'),
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'isolation.level': isolation,
  })
  c.subscribe([t])
  const out: ConsumedMessage[] = []
  // Going quiet counts only once reading began: joining the group comes first, and takes longer
  // on a cluster that has just had a broker back.
  let quietSince = Infinity
  const deadline = Date.now() + 180_000
  while (out.length < count && Date.now() - quietSince < quietMs && Date.now() < deadline) {
    const batch = await c.consumeBatch(10_000, 200)
    if (batch.length > 0 || (quietSince === Infinity && c.assignment().length > 0)) quietSince = Date.now()
    out.push(...batch)
  }
  // Nothing beyond `count` either: keep reading for a moment.
  const extra = Date.now() + 1000
  while (Date.now() < extra) out.push(...(await c.consumeBatch(10_000, 200)))
  await c.close()
  return out
}

function txnProducer(id: string): Producer {
  return new Producer({ 'bootstrap.servers': cluster.bootstrapServers, 'transactional.id': id })
}

describe('Transactions on three Apache Kafka brokers', () => {
  it('shows a committed transaction to read_committed consumers and an aborted one only to read_uncommitted ones', async () => {
    const t = await topic('txn-vis', 2)
    const p = txnProducer(uniqueTopic('txn-vis-id'))
    await p.initTransactions()
    p.beginTransaction()
    const kept = await p.produceBatch(
      t,
      ['c0', 'c1', 'c2'].map((value, i) => ({ value, partition: i % 2 })),
    )
    await p.commitTransaction()
    p.beginTransaction()
    const dropped = await p.produceBatch(
      t,
      ['a0', 'a1'].map((value, i) => ({ value, partition: i % 2 })),
    )
    expect([kept.delivered, dropped.delivered]).toEqual([3, 2])
    await p.abortTransaction()
    await p.close()

    const values = (ms: ConsumedMessage[]) => ms.map((m) => m.value!.toString()).sort()
    expect(values(await readAll(t, 'read_committed', 3))).toEqual(['c0', 'c1', 'c2'])
    expect(values(await readAll(t, 'read_uncommitted', 5))).toEqual(['a0', 'a1', 'c0', 'c1', 'c2'])
  })

  it('fences the older of two producers with one transactional.id: its next call fails fatal', async () => {
    const t = await topic('txn-fence', 1)
    const id = uniqueTopic('txn-fence-id')
    const old = txnProducer(id)
    await old.initTransactions()
    old.beginTransaction()
    await old.produceBatch(t, ['zombie'])
    const current = txnProducer(id)
    await current.initTransactions() // fences `old` and aborts its open transaction
    current.beginTransaction()
    await current.produceBatch(t, ['current'])
    await current.commitTransaction()

    const err = await old.commitTransaction().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ name: 'KafkaError', fatal: true })
    expect(() => old.beginTransaction()).toThrow(/fatal error: close it and create a new one/)
    await Promise.all([old.close(), current.close()])
    expect((await readAll(t, 'read_committed', 1)).map((m) => m.value!.toString())).toEqual(['current'])
  })

  it('runTransactional redoes a batch after a retriable failure, and stops on any other with nothing of it committed', async () => {
    const input = await topic('rt-in', 2)
    const output = await topic('rt-out', 2)
    const feeder = new Producer({ 'bootstrap.servers': cluster.bootstrapServers })
    const inputs = Array.from({ length: 2000 }, (_, i) => ({ value: `v${i}`, partition: i % 2 }))
    expect((await feeder.produceBatch(input, inputs)).failed).toBe(0)
    await feeder.close()
    const group = uniqueTopic('rt-group')
    const member = () =>
      new Consumer({
        'bootstrap.servers': cluster.bootstrapServers,
        'group.id': group,
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': false,
        'isolation.level': 'read_committed',
      })
    const committed = async () =>
      (
        await admin.listGroupOffsets(
          group,
          [0, 1].map((partition) => ({ topic: input, partition })),
        )
      ).reduce((n, o) => n + Math.max(0, o.offset), 0)

    // First run: the third batch fails once with a retriable error, then the loop goes on.
    const consumer = member()
    consumer.subscribe([input])
    const producer = txnProducer(uniqueTopic('rt-id'))
    await producer.initTransactions()
    const stop = new AbortController()
    let calls = 0
    const run = runTransactional({
      consumer,
      producer,
      maxBatch: 200,
      signal: stop.signal,
      process: (batch) => {
        if (++calls === 3) throw new KafkaError('simulated timeout', { code: 'REQUEST_TIMED_OUT', retriable: true })
        return [{ topic: output, messages: batch.map((m) => ({ value: `out:${m.value}`, partition: m.partition })) }]
      },
    })
    for (const until = Date.now() + 60_000; (await committed()) < 1000 && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 100))
    stop.abort()
    const stats = await run
    expect(stats.aborted).toBe(1)
    // The group's offsets show a transaction's offsets once its markers are written, a moment
    // after the commit returned.
    for (const until = Date.now() + 10_000; (await committed()) !== stats.messages && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 100))
    expect(await committed()).toBe(stats.messages)

    // Second run, a new member: processing fails for good on its first batch.
    await consumer.close()
    const second = member()
    second.subscribe([input])
    const before = await committed()
    const failure = await runTransactional({
      consumer: second,
      producer,
      process: () => {
        throw new Error('cannot transform this')
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(failure).toMatchObject({ message: 'cannot transform this' })
    expect(await committed()).toBe(before)
    await Promise.all([second.close(), producer.close()])

    const out = (await readAll(output, 'read_committed', stats.messages)).map((m) => m.value!.toString())
    expect(new Set(out).size).toBe(out.length)
    expect(out.length).toBe(stats.messages)
  })

  it('processes exactly once through SIGKILLs of the processor and of a broker: one output per input, in order, offsets at the end', async () => {
    const partitions = 6
    const perPartition = 35_000
    const total = partitions * perPartition
    const input = await topic('eos-in', partitions)
    const output = await topic('eos-out', partitions)
    const group = uniqueTopic('eos-group')
    const feeder = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, preset: 'durable' })
    for (let start = 0; start < perPartition; start += 5000) {
      const batch = Array.from({ length: partitions * 5000 }, (_, i) => {
        const partition = i % partitions
        const seq = start + Math.floor(i / partitions)
        return { key: `k${partition}`, value: `${partition}:${seq}`, partition }
      })
      expect((await feeder.produceBatch(input, batch)).failed).toBe(0)
    }
    await feeder.close()

    const fixture = path.join(__dirname, '..', 'fixtures', 'eos-processor.js')
    const start = (): ChildProcess =>
      spawn(process.execPath, [fixture, cluster.bootstrapServers, input, output, group, '1000', '30'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    // The watcher reads the group's offsets with kafkajs, a client that shares no code with the
    // one under test: librdkafka 2.15.1 aborted the test process once (an assertion in its
    // admin coordinator path, rd_kafka_enq_once_del_source_return) when listGroupOffsets ran
    // while the coordinator's broker was SIGKILLed (docs/api.md, Admin). While the coordinator
    // moves a read fails; the last total stands until the next poll (the deadline bounds it).
    const watcher = new Kafka({ brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING }).admin()
    await watcher.connect()
    let lastTotal = 0
    let lastError = ''
    const committedTotal = async (): Promise<number> => {
      try {
        const [offsets] = await watcher.fetchOffsets({ groupId: group, topics: [input] })
        lastTotal = offsets!.partitions.reduce((n, o) => n + Math.max(0, Number(o.offset)), 0)
      } catch (err) {
        lastError = String(err)
      }
      return lastTotal
    }

    // Kill i comes once the group has committed past a threshold of its own (so that it always
    // lands mid-run), plus a random distance; the broker goes down with the second.
    const thresholds = Array.from({ length: 6 }, (_, i) => (i + 1) * 25_000 + Math.floor(Math.random() * 10_000))
    let proc = start()
    const stderr: string[] = []
    const watch = (p: ChildProcess) => p.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()))
    watch(proc)
    let kills = 0
    let brokerKilled = false
    const deadline = Date.now() + 600_000
    try {
      for (;;) {
        if (Date.now() > deadline)
          throw new Error(`not done in time: ${await committedTotal()} of ${total} (${lastError}); ${stderr.join('')}`)
        const done = await committedTotal()
        if (done === total) break
        if (kills < thresholds.length && done >= thresholds[kills]!) {
          proc.kill('SIGKILL')
          await new Promise((resolve) => proc.once('exit', resolve))
          kills++
          if (kills === 2 && !brokerKilled) {
            await killBroker(cluster.brokers[2]!.pid)
            brokerKilled = true
          }
          proc = start()
          watch(proc)
        } else if (proc.exitCode !== null) {
          proc = start() // it failed by itself (exit 3): start again, as a supervisor would
          watch(proc)
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    } finally {
      proc.kill('SIGKILL') // never left running, whatever happened
      await watcher.disconnect()
    }
    expect(kills).toBeGreaterThanOrEqual(5)
    expect(brokerKilled).toBe(true)

    // The group's offsets are the input's end offsets. A client that knew the killed broker as a
    // leader answers its partitions LEADER_NOT_AVAILABLE for a while (docs/api.md): this asks
    // with one that has learned the leaders since.
    const check = new Admin({ 'bootstrap.servers': cluster.bootstrapServers })
    const ends = await check.listOffsets(
      Array.from({ length: partitions }, (_, partition) => ({ topic: input, partition, at: 'latest' as const })),
    )
    const committed = await check.listGroupOffsets(
      group,
      ends.map(({ topic, partition }) => ({ topic, partition })),
    )
    await check.close()
    expect(ends.map((o) => o.error?.message)).toEqual(ends.map(() => undefined))
    expect(committed.map((o) => o.offset)).toEqual(ends.map((o) => o.offset))

    // ... and read_committed, the output holds exactly one output per input, in input order.
    const out = await readAll(output, 'read_committed', total, 10_000)
    const seen = new Map<string, number>()
    const lastSeq = new Map<number, number>()
    let misplaced = 0
    let reordered = 0
    for (const m of out) {
      const v = m.value!.toString()
      seen.set(v, (seen.get(v) ?? 0) + 1)
      const [p, seq] = v.slice(4).split(':').map(Number) as [number, number]
      if (p !== m.partition) misplaced++
      if (seq <= (lastSeq.get(p) ?? -1)) reordered++
      lastSeq.set(p, seq)
    }
    const duplicated = [...seen.values()].filter((n) => n > 1).length
    const uncommitted = await readAll(output, 'read_uncommitted', total, 3000)
    console.log(
      `exactly-once: ${total} inputs, ${out.length} committed outputs (${seen.size} distinct, ${duplicated} duplicated, ` +
        `${misplaced} misplaced, ${reordered} out of order); ${uncommitted.length} outputs written in all ` +
        `(aborted ones included); ${kills} processor SIGKILLs, 1 broker SIGKILL`,
    )
    expect([out.length, seen.size, duplicated, misplaced, reordered]).toEqual([total, total, 0, 0, 0])
    // Some kill landed inside a transaction after its outputs were written: they are in the log,
    // aborted, and read_committed skipped them.
    expect(uncommitted.length).toBeGreaterThan(total)
  })
})
