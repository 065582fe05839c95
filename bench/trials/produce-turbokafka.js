#!/usr/bin/env node
// One producer trial of turbokafka (spec.engine: native or kafkajs), in a fresh process. argv[2]
// is a JSON spec; prints one JSON line: delivered, failed, seconds (first enqueue to last
// delivery report).
'use strict'
const { Producer } = require('../../dist/cjs/index.js')
const { produceAll, runTrial } = require('./common.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const producer = new Producer({
    'bootstrap.servers': spec.bootstrapServers,
    preset: spec.preset,
    engine: spec.engine,
    ...spec.config,
  })
  await producer.connect()
  // Learn the topic's leader before the clock starts (the C baseline fetches its metadata). A
  // topic being filled for a consume trial gets exactly its messages: no clock to protect there.
  if (spec.form !== 'fill') await producer.produceBatch(spec.topic, [Buffer.alloc(spec.size)])

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

  const result = await produceAll({
    total: spec.messages,
    batch: spec.batch,
    inflight: spec.inflight,
    send: async (n) => {
      const r = await producer.produceBatch(spec.topic, n === spec.batch && spec.form !== 'fill' ? full : makeBatch(n))
      return { delivered: r.delivered, failed: r.failed, firstError: r.errors[0]?.error.code }
    },
  })
  await producer.close()
  return result
})
