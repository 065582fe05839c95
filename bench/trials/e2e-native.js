#!/usr/bin/env node
// One end-to-end latency trial of turbokafka's native engine: a Producer sends on a schedule and a
// Consumer in the same process reads the topic; latency is the time from when a message was due
// to be sent to when consumeBatch returned it. Prints one JSON line with counts and percentiles.
'use strict'
const { performance } = require('node:perf_hooks')
const { Consumer, Producer } = require('../../dist/cjs/index.js')
const { sendTimes } = require('../schedule.js')
const { percentiles, runTrial, sendOnSchedule } = require('./common.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const times = sendTimes(spec.schedule)
  const producer = new Producer({ 'bootstrap.servers': spec.bootstrapServers, preset: spec.preset, ...spec.producerConfig })
  const consumer = new Consumer({ 'bootstrap.servers': spec.bootstrapServers, 'group.id': spec.topic, ...spec.consumerConfig })
  await Promise.all([producer.connect(), consumer.connect()])
  consumer.assign(Array.from({ length: spec.partitions }, (_, partition) => ({ topic: spec.topic, partition, offset: -2 })))

  const seen = new Uint8Array(times.length)
  const latencies = []
  let received = 0
  let duplicates = 0
  let lastAt = 0
  let startMs = 0
  const deadline = Date.now() + (spec.schedule.at(-1).start + 30) * 1000
  const reading = (async () => {
    while (received < times.length && Date.now() < deadline) {
      const batch = await consumer.consumeBatch(10_000, 100)
      const now = performance.now()
      for (const m of batch) {
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
    }
  })()

  let delivered = 0
  let failed = 0
  const cpu0 = process.cpuUsage()
  await sendOnSchedule(times, async (from, to, start) => {
    startMs = start
    const batch = new Array(to - from)
    for (let i = from; i < to; i++) {
      const value = Buffer.alloc(spec.size, 'x')
      value.writeDoubleLE(start + times[i] * 1000, 0)
      value.writeUInt32LE(i, 8)
      batch[i - from] = value
    }
    const r = await producer.produceBatch(spec.topic, batch)
    delivered += r.delivered
    failed += r.failed
  })
  await reading
  const seconds = (lastAt - startMs) / 1000
  const cpu = process.cpuUsage(cpu0)
  await Promise.all([producer.close(), consumer.close()])
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
