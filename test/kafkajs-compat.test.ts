// The kafkajs conformance suite (test/kafkajs-compat.ts) on librdkafka's mock cluster, run
// against kafkajs itself and against turbokafka/kafkajs; and what the layer refuses.
import * as kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import * as compat from '../lib/kafkajs/index'
import type { MockCluster } from '../lib/index'
import { MOCK_GROUP_TIMING, startMock, uniqueTopic } from './helpers'
import { kafkajsSuite, type CompatTarget } from './kafkajs-compat'

let cluster: MockCluster
beforeAll(async () => {
  cluster = await startMock()
})
afterAll(async () => {
  await cluster.close()
})

const target: CompatTarget = {
  servers: () => cluster.bootstrapServers,
  createTopic: (topic, partitions) => cluster.createTopic(topic, partitions),
  uniqueTopic,
  consumer: {
    sessionTimeout: MOCK_GROUP_TIMING['session.timeout.ms'],
    heartbeatInterval: MOCK_GROUP_TIMING['heartbeat.interval.ms'],
    rebalanceTimeout: 10_000,
  },
}

kafkajsSuite('kafkajs 2.2.4 itself (mock cluster)', kafkajs, target)
kafkajsSuite('turbokafka/kafkajs (mock cluster)', compat as never, target)

describe('turbokafka/kafkajs refuses what it cannot honour, naming it', () => {
  const brokers = ['127.0.0.1:1']
  it('at construction', () => {
    expect(() => new compat.Kafka({ brokers, socketFactory: (() => null) as never })).toThrow(
      /Kafka option "socketFactory" is not supported/,
    )
    expect(() => new compat.Kafka({ brokers: () => brokers })).toThrow(/brokers as a function/)
    expect(() => new compat.Kafka({ brokers, sasl: { mechanism: 'aws' } as never })).toThrow(/sasl mechanism "aws"/)
    expect(() => new compat.Kafka({ brokers, retry: { factor: 0.3 } })).toThrow(/retry option "factor"/)
    const k = new compat.Kafka({ brokers })
    expect(() => k.producer({ transactionalId: 'x' })).toThrow(/transactionalId is not supported/)
    expect(() => k.producer({ transactionTimeout: 1 } as never)).toThrow(/producer option "transactionTimeout"/)
    expect(() => k.consumer({ groupId: 'g', partitionAssigners: [() => ({}) as never] })).toThrow(/partition assigner/)
    expect(() => k.consumer({ groupId: 'g' }).on('consumer.heartbeat', () => {})).toThrow(
      /consumer event "consumer.heartbeat"/,
    )
    const e = (() => {
      try {
        k.admin().createAcls()
      } catch (err) {
        return err
      }
    })()
    expect(e).toBeInstanceOf(kafkajs.KafkaJSNonRetriableError)
  })

  it('maps errors to kafkajs’s classes, with kafkajs’s protocol error types', async () => {
    const k = new compat.Kafka({ brokers: [cluster.bootstrapServers], logLevel: compat.logLevel.NOTHING })
    const producer = k.producer()
    await producer.connect()
    const err = await producer
      .send({ topic: uniqueTopic('nope'), messages: [{ value: 'x', partition: 99 }] })
      .catch((e: unknown) => e)
    await producer.disconnect()
    expect(err).toBeInstanceOf(kafkajs.KafkaJSError)
    const unreachable = new compat.Kafka({ brokers: ['127.0.0.1:1'], connectionTimeout: 200 }).producer()
    await expect(unreachable.connect()).rejects.toBeInstanceOf(kafkajs.KafkaJSError)
    await unreachable.disconnect()
  })
})
