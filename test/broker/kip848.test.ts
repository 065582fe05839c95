// KIP-848 (test/kip848.ts) on Apache Kafka, where the consumer group protocol is on by default
// from 4.0.
import { beforeAll } from 'vitest'

import { Producer } from '../../lib/index'
import { kip848Suite } from '../kip848'
import { createTopic, single } from './clusters'

let servers: string
beforeAll(() => {
  servers = single().bootstrapServers
})

kip848Suite('Apache Kafka', {
  servers: () => servers,
  createTopic: (topic, partitions) => createTopic(servers, topic, partitions),
  produce: async (topic, messages) => {
    const p = new Producer({ 'bootstrap.servers': servers })
    const r = await p.produceBatch(topic, messages)
    await p.close()
    if (r.failed > 0) throw r.errors[0]!.error
  },
})
