#!/usr/bin/env node
// One consume trial of kafkajs itself (no turbokafka), in a fresh process: eachBatch in a fresh
// group from the beginning of a pre-filled topic until spec.messages have arrived. Prints one JSON
// line like the others.
'use strict'
const { Kafka, logLevel } = require('kafkajs')
const { consumeCounter, runTrial } = require('./common.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const kafka = new Kafka({ brokers: spec.bootstrapServers.split(','), logLevel: logLevel.NOTHING, clientId: 'bench' })
  const consumer = kafka.consumer({ groupId: spec.group, maxBytes: 52428800, maxBytesPerPartition: 1048576 })
  await consumer.connect()
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true })
  const counter = consumeCounter(spec.messages)
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      let bytes = 0
      for (const m of batch.messages) bytes += m.value.length
      counter.add(batch.messages.length, bytes)
    },
  })
  await counter.done
  const result = counter.result()
  await consumer.disconnect()
  return result
})
