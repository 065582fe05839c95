#!/usr/bin/env node
// One end-to-end latency trial of kafkajs itself (no turbokafka): a producer sends on a schedule
// and a consumer in the same process reads the topic (eachBatch); latency is the time from when a
// message was due to be sent to when eachBatch received it. Prints one JSON line like
// e2e-turbokafka.js.
'use strict'
const { Kafka, logLevel, CompressionTypes } = require('kafkajs')
const { sendTimes } = require('../schedule.js')
const { e2eTracker, runTrial, sendOnSchedule } = require('./common.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const times = sendTimes(spec.schedule)
  const kafka = new Kafka({ brokers: spec.bootstrapServers.split(','), logLevel: logLevel.NOTHING, clientId: 'bench' })
  const producer = kafka.producer()
  const consumer = kafka.consumer({
    groupId: spec.topic,
    maxWaitTimeInMs: Number(spec.consumerConfig['fetch.wait.max.ms']),
  })
  await Promise.all([producer.connect(), consumer.connect()])
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true })

  const e2e = e2eTracker(spec, times)
  let allIn
  const done = new Promise((resolve) => (allIn = resolve))
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve))
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const now = e2e.now()
      for (const m of batch.messages) e2e.receive(m.value, now)
      if (e2e.complete) allIn()
    },
  })
  await joined

  const acks = spec.acks === 'all' ? -1 : Number(spec.acks)
  await sendOnSchedule(times, (from, to, startMs) => {
    const messages = new Array(to - from)
    for (let i = from; i < to; i++) messages[i - from] = { value: e2e.stamp(i, startMs) }
    return producer.send({ topic: spec.topic, acks, compression: CompressionTypes.None, messages }).then(
      () => (e2e.delivered += messages.length),
      () => (e2e.failed += messages.length),
    )
  })
  const limit = new Promise((resolve) => setTimeout(resolve, 30_000).unref())
  await Promise.race([done, limit])
  const result = e2e.result()
  await Promise.all([producer.disconnect(), consumer.disconnect()])
  return result
})
