// The kafkajs conformance suite (test/kafkajs-compat.ts) on Apache Kafka, against kafkajs itself
// and against turbokafka/kafkajs, with the same assertions as on the mock cluster, kafkajs's
// default consumer timings and idempotent writers.
import * as kafkajs from 'kafkajs'
import { beforeAll } from 'vitest'

import * as compat from '../../lib/kafkajs/index'
import { uniqueTopic } from '../helpers'
import { kafkajsSuite, type CompatTarget } from '../kafkajs-compat'
import { createTopic, single } from './clusters'

let servers: string
beforeAll(() => {
  servers = single().bootstrapServers
})

const target: CompatTarget = {
  servers: () => servers,
  createTopic: (topic, partitions) => createTopic(servers, topic, partitions),
  uniqueTopic,
  consumer: {},
  producer: { idempotent: true },
}

kafkajsSuite('kafkajs 2.2.4 itself (Apache Kafka)', kafkajs, target)
kafkajsSuite('turbokafka/kafkajs (Apache Kafka)', compat as never, target)
