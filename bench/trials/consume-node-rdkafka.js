#!/usr/bin/env node
// One consume trial of node-rdkafka (a peer, when installed in the bench's dependencies): a
// KafkaConsumer in a fresh group calling consume(batch) until spec.messages have arrived. Prints
// one JSON line like the other consume trials.
'use strict'
// An optional peer, found where the bench points NODE_PATH (TURBOKAFKA_BENCH_PEERS); named through
// a variable so that the type check does not look for it.
const PEER = 'node-rdkafka'
const Kafka = require(PEER)
const { consumeUntil, runTrial } = require('./common.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const { 'auto.offset.reset': reset, ...global } = spec.config
  const consumer = new Kafka.KafkaConsumer(
    { 'bootstrap.servers': spec.bootstrapServers, 'group.id': spec.group, ...global },
    { 'auto.offset.reset': reset },
  )
  await new Promise((resolve, reject) => {
    consumer.once('ready', resolve)
    consumer.connect({ timeout: 10_000 }, (err) => err && reject(err))
  })
  consumer.subscribe([spec.topic])
  consumer.setDefaultConsumeTimeout(100)
  const result = await consumeUntil(
    spec.messages,
    () => new Promise((resolve, reject) => consumer.consume(spec.batch, (err, m) => (err ? reject(err) : resolve(m)))),
  )
  await new Promise((resolve) => consumer.disconnect(resolve))
  return result
})
