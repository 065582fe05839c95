// The engine contract (test/contract.ts) for engine kafkajs, against the mock cluster. One file per
// engine, so that the two run side by side.
import { afterAll, beforeAll } from 'vitest'

import type { MockCluster } from '../lib/index'
import { contractSuite } from './contract'
import { MOCK_GROUP_TIMING, startMock } from './helpers'

let cluster: MockCluster
beforeAll(async () => {
  cluster = await startMock()
})
afterAll(async () => {
  await cluster.close()
})

contractSuite(
  'mock cluster',
  {
    servers: () => cluster.bootstrapServers,
    createTopic: (topic, partitions) => cluster.createTopic(topic, partitions),
    // kafkajs's idempotent producer asks the cluster's controller for a producer id, and the mock
    // cluster names none; the durable (idempotent) default runs against Apache Kafka.
    preset: 'throughput',
    consumer: MOCK_GROUP_TIMING,
  },
  ['kafkajs'],
)
