#!/usr/bin/env node
// One consume trial of turbokafka's native engine, in a fresh process: consumeBatch in a fresh
// group from the beginning of a pre-filled topic until spec.messages have arrived. Prints one
// JSON line: received, bytes, seconds (first message to last).
'use strict'
const { Consumer } = require('../../dist/cjs/index.js')
const { consumeCounter, runTrial } = require('./common.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const consumer = new Consumer({ 'bootstrap.servers': spec.bootstrapServers, 'group.id': spec.group, ...spec.config })
  await consumer.connect()
  consumer.subscribe([spec.topic])
  const counter = consumeCounter(spec.messages)
  let failed
  counter.done.catch((err) => (failed = err))
  while (counter.received < spec.messages && !failed) {
    const batch = await consumer.consumeBatch(spec.batch, 100)
    // Touch every value, as an application would.
    let bytes = 0
    for (const m of batch) bytes += m.value.length
    counter.add(batch.length, bytes)
  }
  if (failed) throw failed
  const result = counter.result()
  await consumer.close()
  return result
})
