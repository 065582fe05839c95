#!/usr/bin/env node
// One consume trial of turbokafka (spec.engine: native or kafkajs), in a fresh process: consumeBatch in a fresh
// group from the beginning of a pre-filled topic until spec.messages have arrived. Prints one
// JSON line: received, bytes, seconds (first message to last).
'use strict'
const { Consumer } = require('../../dist/cjs/index.js')
const { consumeUntil, runTrial } = require('./common.js')
const { observe } = require('./observe.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const consumer = new Consumer({
    'bootstrap.servers': spec.bootstrapServers,
    'group.id': spec.group,
    engine: spec.engine,
    ...spec.config,
  })
  await consumer.connect()
  consumer.subscribe([spec.topic])
  const kpis = { received: 0 }
  const stop = observe(spec, [consumer], () => kpis)
  const result = await consumeUntil(spec.messages, async () => {
    const batch = await consumer.consumeBatch(spec.batch, 100)
    kpis.received += batch.length
    return batch
  })
  stop()
  await consumer.close()
  return result
})
