#!/usr/bin/env node
// One end-to-end latency trial of turbokafka (spec.engine: native or kafkajs): a Producer sends on a schedule and a
// Consumer in the same process reads the topic; latency is the time from when a message was due
// to be sent to when consumeBatch returned it. Prints one JSON line with counts and percentiles.
'use strict'
const { Consumer, Producer } = require('../../dist/cjs/index.js')
const { sendTimes } = require('../schedule.js')
const { e2eTracker, runTrial, sendOnSchedule } = require('./common.js')
const { observe } = require('./observe.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const times = sendTimes(spec.schedule)
  const producer = new Producer({
    'bootstrap.servers': spec.bootstrapServers,
    preset: spec.preset,
    engine: spec.engine,
    ...spec.producerConfig,
  })
  const consumer = new Consumer({
    'bootstrap.servers': spec.bootstrapServers,
    'group.id': spec.topic,
    engine: spec.engine,
    ...spec.consumerConfig,
    // Served on --metrics-port: the consumer's lag, from statistics every second.
    ...(spec.metricsPort && spec.engine === 'native' ? { 'statistics.interval.ms': 1000 } : {}),
  })
  await Promise.all([producer.connect(), consumer.connect()])
  // Joined (every partition assigned) before the schedule starts; the topic is empty until then.
  consumer.subscribe([spec.topic])
  const joinBy = Date.now() + 30_000
  while (consumer.assignment().length < spec.partitions && Date.now() < joinBy) await consumer.consumeBatch(1, 100)

  const e2e = e2eTracker(spec, times)
  const stop = observe(spec, [producer, consumer], () => e2e)
  const deadline = Date.now() + (spec.schedule.at(-1).start + 30) * 1000
  const reading = (async () => {
    while (!e2e.complete && Date.now() < deadline) {
      const batch = await consumer.consumeBatch(10_000, 100)
      const now = e2e.now()
      for (const m of batch) e2e.receive(m.value, now)
    }
  })()
  await sendOnSchedule(times, async (from, to, startMs) => {
    const batch = new Array(to - from)
    for (let i = from; i < to; i++) batch[i - from] = e2e.stamp(i, startMs)
    const r = await producer.produceBatch(spec.topic, batch)
    e2e.delivered += r.delivered
    e2e.failed += r.failed
  })
  await reading
  stop()
  const result = e2e.result()
  await Promise.all([producer.close(), consumer.close()])
  return result
})
