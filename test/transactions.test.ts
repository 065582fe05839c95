// Transactions on the mock cluster (which serves the transactional requests): every call in the
// wrong state fails with _STATE saying what to call, bad arguments with _INVALID_ARG, a cluster
// that does not answer with _TIMED_OUT, and a commit and an abort go through. Visibility,
// fencing and exactly-once under SIGKILL are in test/broker/transactions.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Admin, Consumer, Producer, runTransactional, type MockCluster } from '../lib/index'
import { startMock, uniqueTopic } from './helpers'

let cluster: MockCluster
beforeAll(async () => {
  cluster = await startMock(3)
})
afterAll(async () => {
  await cluster.close()
})

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  )

describe('Transactions (native engine, mock cluster)', () => {
  it('refuses every call in the wrong state with _STATE, saying what to call instead', async () => {
    const topic = uniqueTopic('txn-state')
    await cluster.createTopic(topic, 1)
    const plain = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native' })
    await expect(plain.initTransactions()).rejects.toMatchObject({
      code: '_STATE',
      message: "initTransactions: the producer is not transactional (set 'transactional.id')",
    })
    expect(() => plain.beginTransaction()).toThrow(/not transactional/)
    await plain.close()

    const p = new Producer({
      'bootstrap.servers': cluster.bootstrapServers,
      'transactional.id': uniqueTopic('txn-id'),
      engine: 'native',
    })
    await expect(p.produceBatch(topic, ['x'])).rejects.toMatchObject({
      code: '_STATE',
      message: 'produceBatch: call initTransactions() first',
    })
    expect(() => p.beginTransaction()).toThrow('beginTransaction: call initTransactions() first')
    await expect(p.commitTransaction()).rejects.toMatchObject({ code: '_STATE' })
    await p.initTransactions({ timeoutMs: 30_000 })
    await expect(p.initTransactions()).rejects.toMatchObject({ code: '_STATE' })
    await expect(p.produceBatch(topic, ['x'])).rejects.toMatchObject({
      message: 'produceBatch: call beginTransaction() first',
    })
    await expect(p.abortTransaction()).rejects.toMatchObject({
      message: 'abortTransaction: call beginTransaction() first',
    })

    p.beginTransaction()
    expect(() => p.beginTransaction()).toThrow('beginTransaction: a transaction is open: commit or abort it first')
    expect((await p.produceBatch(topic, ['a', 'b'])).delivered).toBe(2)
    await p.commitTransaction()
    p.beginTransaction()
    await p.produceBatch(topic, ['c'])
    await p.abortTransaction()
    p.beginTransaction() // ready again after an abort
    await p.abortTransaction()
    await p.close()
    expect(() => p.beginTransaction()).toThrow('producer is closed')
  })

  it('checks sendOffsetsToTransaction arguments before sending', async () => {
    const p = new Producer({
      'bootstrap.servers': cluster.bootstrapServers,
      'transactional.id': uniqueTopic('txn-args'),
      engine: 'native',
    })
    await p.initTransactions()
    p.beginTransaction()
    await expect(p.sendOffsetsToTransaction({} as Consumer)).rejects.toMatchObject({
      code: '_INVALID_ARG',
      message: 'sendOffsetsToTransaction: expected a turbokafka Consumer',
    })
    const consumer = new Consumer({ 'bootstrap.servers': cluster.bootstrapServers, 'group.id': uniqueTopic('g') })
    await expect(
      p.sendOffsetsToTransaction(consumer, [{ topic: 't', partition: 0, offset: -3 }]),
    ).rejects.toMatchObject({
      code: '_INVALID_ARG',
      index: undefined,
      message: expect.stringMatching(/offsets\[0\]\.offset/),
    })
    await expect(p.commitTransaction({ timeoutMs: 0 })).rejects.toMatchObject({ code: '_INVALID_ARG' })
    // No assignment yet: no positions, nothing to send.
    await p.sendOffsetsToTransaction(consumer)
    await p.abortTransaction()
    await Promise.all([p.close(), consumer.close()])
  })

  it('fails initTransactions with _TIMED_OUT when no broker answers, and lets it be retried', async () => {
    const p = new Producer({ 'bootstrap.servers': '127.0.0.1:1', 'transactional.id': 'nobody', engine: 'native' })
    const first = await rejection(p.initTransactions({ timeoutMs: 1000 }))
    expect(first).toMatchObject({ name: 'KafkaError', code: '_TIMED_OUT', retriable: true, fatal: false })
    expect(await rejection(p.initTransactions({ timeoutMs: 500 }))).toMatchObject({ code: '_TIMED_OUT' })
    await p.close(0)
  })

  it('runTransactional checks its arguments, and on a failure of process aborts, rewinds to the batch and rejects with it', async () => {
    const topic = uniqueTopic('txn-loop')
    await cluster.createTopic(topic, 1)
    const feeder = new Producer({ 'bootstrap.servers': cluster.bootstrapServers })
    await feeder.produceBatch(
      topic,
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    )
    await feeder.close()
    const group = uniqueTopic('txn-loop-g')
    const consumer = new Consumer({
      'bootstrap.servers': cluster.bootstrapServers,
      'group.id': group,
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': false,
    })
    const producer = new Producer({
      'bootstrap.servers': cluster.bootstrapServers,
      'transactional.id': uniqueTopic('txn-loop-id'),
    })
    const process = () => {
      throw new Error('no')
    }
    await expect(runTransactional({ consumer, producer, process, maxBatch: 0 })).rejects.toMatchObject({
      code: '_INVALID_ARG',
      message: expect.stringMatching(/^runTransactional: maxBatch must be an integer/),
    })
    await expect(runTransactional({ consumer, producer, process: 'x' as never })).rejects.toMatchObject({
      code: '_INVALID_ARG',
    })
    await producer.initTransactions()
    consumer.subscribe([topic])
    let seen: number[] = []
    const err = await runTransactional({
      consumer,
      producer,
      process: (batch) => {
        seen = batch.map((m) => m.offset)
        throw new Error('cannot transform')
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ message: 'cannot transform' })
    expect(seen[0]).toBe(0)
    // Rewound to the batch's start, nothing committed, and the producer ready for a new transaction.
    expect(consumer.position()).toEqual([{ topic, partition: 0, offset: 0 }])
    const admin = new Admin({ 'bootstrap.servers': cluster.bootstrapServers })
    expect(await admin.listGroupOffsets(group, [{ topic, partition: 0 }])).toEqual([
      { topic, partition: 0, offset: -1001 },
    ])
    producer.beginTransaction()
    await producer.abortTransaction()
    await Promise.all([admin.close(), consumer.close(), producer.close()])
  })

  it('refuses a transactional producer on the kafkajs engine with _NOT_IMPLEMENTED, naming the key', () => {
    expect(
      () => new Producer({ 'bootstrap.servers': cluster.bootstrapServers, 'transactional.id': 'x', engine: 'kafkajs' }),
    ).toThrow(expect.objectContaining({ code: '_NOT_IMPLEMENTED', key: 'transactional.id' }))
  })
})
