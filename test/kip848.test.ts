// KIP-848 (test/kip848.ts) on the mock cluster, which serves the consumer group protocol from
// librdkafka 2.10 on; the prebuilt binary's 2.15.1 does.
import { afterAll, beforeAll } from 'vitest'

import { Producer, type MockCluster } from '../lib/index'
import { startMock } from './helpers'
import { kip848Suite } from './kip848'

let cluster: MockCluster
beforeAll(async () => {
  cluster = await startMock()
})
afterAll(async () => {
  await cluster.close()
})

kip848Suite('mock cluster', {
  servers: () => cluster.bootstrapServers,
  createTopic: (topic, partitions) => cluster.createTopic(topic, partitions),
  produce: async (topic, messages) => {
    const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, preset: 'throughput' })
    const r = await p.produceBatch(topic, messages)
    await p.close()
    if (r.failed > 0) throw r.errors[0]!.error
  },
})
