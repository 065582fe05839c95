#!/usr/bin/env node
// One end-to-end latency trial of kafkajs: a producer sends on a schedule and a consumer in the
// same process reads the topic (eachBatch); latency is the time from when a message was due to be
// sent to when eachBatch received it. Prints one JSON line like e2e-native.js.
'use strict'
const { performance } = require('node:perf_hooks')
const { Kafka, logLevel, CompressionTypes } = require('kafkajs')
const { sendTimes } = require('../schedule.js')
const { percentiles, runTrial, sendOnSchedule } = require('./common.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const times = sendTimes(spec.schedule)
  const kafka = new Kafka({ brokers: spec.bootstrapServers.split(','), logLevel: logLevel.NOTHING, clientId: 'bench' })
  const producer = kafka.producer()
  const consumer = kafka.consumer({ groupId: spec.topic, maxWaitTimeInMs: Number(spec.consumerConfig['fetch.wait.max.ms']) })
  await Promise.all([producer.connect(), consumer.connect()])
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true })

  const seen = new Uint8Array(times.length)
  const latencies = []
  let received = 0
  let duplicates = 0
  let lastAt = 0
  let allIn
  const done = new Promise((resolve) => (allIn = resolve))
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve))
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const now = performance.now()
      for (const m of batch.messages) {
        const seq = m.value.readUInt32LE(8)
        if (seq >= times.length || seen[seq]) {
          duplicates++
          continue
        }
        seen[seq] = 1
        received++
        lastAt = now
        if (times[seq] >= spec.warmup) latencies.push(now - m.value.readDoubleLE(0))
      }
      if (received >= times.length) allIn()
    },
  })
  await joined

  const acks = spec.acks === 'all' ? -1 : Number(spec.acks)
  let delivered = 0
  let failed = 0
  let startMs = 0
  const cpu0 = process.cpuUsage()
  await sendOnSchedule(times, (from, to, start) => {
    startMs = start
    const messages = new Array(to - from)
    for (let i = from; i < to; i++) {
      const value = Buffer.alloc(spec.size, 'x')
      value.writeDoubleLE(start + times[i] * 1000, 0)
      value.writeUInt32LE(i, 8)
      messages[i - from] = { value }
    }
    return producer.send({ topic: spec.topic, acks, compression: CompressionTypes.None, messages }).then(
      () => (delivered += messages.length),
      () => (failed += messages.length),
    )
  })
  const limit = new Promise((resolve) => setTimeout(resolve, 30_000).unref())
  await Promise.race([done, limit])
  const seconds = (lastAt - startMs) / 1000
  const cpu = process.cpuUsage(cpu0)
  await Promise.all([producer.disconnect(), consumer.disconnect()])
  return {
    sent: times.length,
    delivered,
    failed,
    received,
    duplicates,
    counted: latencies.length,
    seconds,
    ...percentiles(latencies),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }
})
