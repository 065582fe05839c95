#!/usr/bin/env node
// One producer trial of turbokafka (spec.engine: native or kafkajs), in a fresh process. argv[2]
// is a JSON spec; prints one JSON line: delivered, failed, seconds (first enqueue to last
// delivery report). With spec.txnEvery, in transactions of that many messages (begin, batches,
// commit), the clock running to the last commit.
'use strict'
const { Producer } = require('../../dist/cjs/index.js')
const { produceAll, resources, runTrial } = require('./common.js')
const { observe } = require('./observe.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const producer = new Producer({
    'bootstrap.servers': spec.bootstrapServers,
    preset: spec.preset,
    engine: spec.engine,
    ...spec.config,
  })
  await producer.connect()
  if (spec.txnEvery) await producer.initTransactions({ timeoutMs: 60_000 })
  // Learn the topic's leader before the clock starts (the C baseline fetches its metadata). A
  // topic being filled for a consume trial gets exactly its messages: no clock to protect there.
  if (spec.txnEvery) {
    producer.beginTransaction()
    await producer.produceBatch(spec.topic, [Buffer.alloc(spec.size)])
    await producer.abortTransaction()
  } else if (spec.form !== 'fill') await producer.produceBatch(spec.topic, [Buffer.alloc(spec.size)])

  // A distinct Buffer per message, made the way applications usually make them: Buffer.from of
  // a string (which Node allocates from its shared pool below 4 KiB). The packed form: one
  // Buffer with every value back to back. The fill form (filling a consume topic when no C
  // baseline is there to do it): message i to partition i % partitions, as the C filler does.
  const text = 'x'.repeat(spec.size)
  let next = 0
  const makeBatch = (n) => {
    if (spec.form === 'packed')
      return { values: Buffer.alloc(n * spec.size, 'x'), lengths: new Uint32Array(n).fill(spec.size) }
    if (spec.form === 'fill')
      return Array.from({ length: n }, () => ({ value: Buffer.from(text), partition: next++ % spec.partitions }))
    return Array.from({ length: n }, () => Buffer.from(text))
  }
  const full = makeBatch(spec.batch)

  const send = async (n) => {
    const r = await producer.produceBatch(spec.topic, n === spec.batch && spec.form !== 'fill' ? full : makeBatch(n))
    return { delivered: r.delivered, failed: r.failed, firstError: r.errors[0]?.error.code }
  }
  const stop = observe(spec, [producer], () => ({ delivered: producer.stats().delivered }))
  const result = spec.txnEvery
    ? await inTransactions(producer, spec, send)
    : await produceAll({ total: spec.messages, batch: spec.batch, inflight: spec.inflight, send })
  stop()
  await producer.close()
  return result
})

/**
 * `spec.messages` in transactions of `spec.txnEvery`, one clock over all. Each transaction hands
 * all its batches over, then commits (the commit delivers them, without waiting for linger.ms, as
 * the C baseline's does), then collects their reports.
 */
async function inTransactions(producer, spec, send) {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const total = { delivered: 0, failed: 0, firstError: undefined }
  for (let done = 0; done < spec.messages;) {
    const n = Math.min(spec.txnEvery, spec.messages - done)
    producer.beginTransaction()
    const sends = []
    for (let sent = 0; sent < n; sent += spec.batch) sends.push(send(Math.min(spec.batch, n - sent)))
    await producer.commitTransaction({ timeoutMs: 60_000 })
    for (const r of await Promise.all(sends)) {
      total.delivered += r.delivered
      total.failed += r.failed
      total.firstError ??= r.firstError
    }
    done += n
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  return { ...total, seconds, ...resources(cpu0) }
}
