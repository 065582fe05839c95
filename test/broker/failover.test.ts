import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Producer, type BatchReport } from '../../lib/index'
import { byPartition, readBack, uniqueTopic } from '../helpers'
import { createTopic, killBroker, restartDead, trio, type ClusterInfo } from './clusters'

let cluster: ClusterInfo
beforeAll(async () => {
  await restartDead('trio') // an earlier test may have left one down
  cluster = trio()
})
// The broker this kills comes back for the tests after it.
afterAll(() => restartDead('trio'))

describe('Producer against a three-broker Apache Kafka cluster', () => {
  it('loses nothing and duplicates nothing when a broker is killed mid-stream (acks=all, min.insync.replicas=2)', async () => {
    const topic = uniqueTopic('failover')
    await createTopic(cluster.bootstrapServers, topic, 6, 3, { 'min.insync.replicas': '2' })
    const producer = new Producer({
      'bootstrap.servers': cluster.bootstrapServers,
      // durable preset: idempotent, acks=all. Generous timeouts: a message may fail, but only
      // if it cannot be delivered in a minute.
      'message.timeout.ms': 60_000,
    })
    await producer.connect()
    const batches = 150
    const perBatch = 1000
    const victim = cluster.brokers[1]!
    const pending: Array<Promise<BatchReport>> = []
    for (let b = 0; b < batches; b++) {
      const messages = Array.from({ length: perBatch }, (_, i) => ({
        value: `seq-${b * perBatch + i}`,
        key: `k${i % 64}`,
      }))
      pending.push(producer.produceBatch(topic, messages))
      if (b === 40) await killBroker(victim.pid) // mid-stream, with batches in flight
      if (pending.length > 4) await pending[pending.length - 5]
      await new Promise((r) => setTimeout(r, 5))
    }
    const reports = await Promise.all(pending)
    await producer.close()

    const total = batches * perBatch
    const delivered = new Set<number>()
    let failed = 0
    reports.forEach((r, b) => {
      expect(r.delivered + r.failed).toBe(perBatch)
      const bad = new Set(r.errors.map((f) => f.index))
      failed += bad.size
      for (let i = 0; i < perBatch; i++) if (!bad.has(i)) delivered.add(b * perBatch + i)
    })
    expect(delivered.size + failed).toBe(total)
    // Two of three replicas survive (min.insync.replicas=2) and messages have a minute each: the
    // idempotent producer retries through the leader change and nothing may fail.
    expect(failed).toBe(0)

    // Every delivered message is on the surviving brokers exactly once; nothing appears twice.
    const got = await readBack(cluster.bootstrapServers, topic, delivered.size, 180_000)
    const counts = new Map<number, number>()
    for (const m of got) {
      const seq = Number(m.value!.toString().slice(4))
      counts.set(seq, (counts.get(seq) ?? 0) + 1)
    }
    for (const [seq, n] of counts) if (n !== 1) throw new Error(`message ${seq} stored ${n} times`)
    for (const seq of delivered) if (!counts.has(seq)) throw new Error(`delivered message ${seq} is missing`)
    // Retries must not reorder: each key (one partition) holds its messages in the order sent.
    for (const [partition, list] of byPartition(got)) {
      const last = new Map<string, number>()
      for (const m of list) {
        const key = m.key!.toString()
        const seq = Number(m.value!.toString().slice(4))
        if (seq <= (last.get(key) ?? -1))
          throw new Error(`partition ${partition}: ${key} has ${seq} after ${last.get(key)}`)
        last.set(key, seq)
      }
    }
    console.log(`failover: ${delivered.size} delivered, ${failed} reported failed, ${got.length} read back`)
  })
})
