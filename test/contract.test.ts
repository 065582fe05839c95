import { afterAll, beforeAll } from 'vitest'

import { MockCluster } from '../lib/index'
import { contractSuite } from './contract'

let cluster: MockCluster
beforeAll(async () => {
  cluster = await MockCluster.start({ brokers: 1 })
})
afterAll(async () => {
  await cluster.close()
})

contractSuite('mock cluster', {
  servers: () => cluster.bootstrapServers,
  createTopic: (topic, partitions) => cluster.createTopic(topic, partitions),
  // kafkajs's idempotent producer asks the cluster's controller for a producer id, and the mock
  // cluster names none; the durable (idempotent) default runs against Apache Kafka.
  preset: 'throughput',
  // The mock coordinator drops a member that left only when its session expires.
  consumer: { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 },
})
