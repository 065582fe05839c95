import { beforeAll } from 'vitest'

import { contractSuite, mixedGroupSuite } from '../contract'
import { createTopic, single } from './clusters'

let servers: string
beforeAll(() => {
  servers = single().bootstrapServers
})

// The same contract as on the mock cluster, with the default durable (idempotent) preset.
contractSuite('Apache Kafka', {
  servers: () => servers,
  createTopic: (topic, partitions) => createTopic(servers, topic, partitions),
  preset: 'durable',
  consumer: {},
})

// A native and a kafkajs member in one group, each engine leading once.
mixedGroupSuite(
  'Apache Kafka',
  {
    servers: () => servers,
    createTopic: (topic, partitions) => createTopic(servers, topic, partitions),
    preset: 'durable',
    consumer: {},
  },
  ['native', 'kafkajs'],
)
