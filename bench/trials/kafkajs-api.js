#!/usr/bin/env node
// One trial of kafkajs's API, on kafkajs itself (spec.lib 'kafkajs') or on turbokafka/kafkajs
// (spec.lib 'compat'), in a fresh process, with the same code for both. Produce: spec.messages
// send() calls of one message each, spec.inflight of them outstanding (the way a service sends per
// request). Consume: eachMessage (eachBatch with spec.handler 'batch') in a fresh group from the
// beginning of a pre-filled topic. Prints one JSON line like the other trials.
'use strict'
const { consumeCounter, produceAll, runTrial } = require('./common.js')

function library(spec) {
  return spec.lib === 'compat' ? require('../../dist/cjs/kafkajs/index.js') : require('kafkajs')
}

async function produce(spec, { Kafka, logLevel }) {
  const kafka = new Kafka({ brokers: spec.bootstrapServers.split(','), logLevel: logLevel.NOTHING, clientId: 'bench' })
  const producer = kafka.producer()
  await producer.connect()
  const acks = spec.acks === 'all' ? -1 : Number(spec.acks)
  await producer.send({ topic: spec.topic, acks, messages: [{ value: Buffer.alloc(spec.size) }] })
  const text = 'x'.repeat(spec.size)
  const result = await produceAll({
    total: spec.messages,
    batch: 1,
    inflight: spec.inflight,
    send: () =>
      producer.send({ topic: spec.topic, acks, messages: [{ value: Buffer.from(text) }] }).then(
        () => ({ delivered: 1, failed: 0 }),
        (err) => ({ delivered: 0, failed: 1, firstError: err.type || err.name }),
      ),
  })
  await producer.disconnect()
  return result
}

async function consume(spec, { Kafka, logLevel }) {
  const kafka = new Kafka({ brokers: spec.bootstrapServers.split(','), logLevel: logLevel.NOTHING, clientId: 'bench' })
  const consumer = kafka.consumer({ groupId: spec.group, maxBytes: 52428800, maxBytesPerPartition: 1048576 })
  await consumer.connect()
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true })
  const counter = consumeCounter(spec.messages)
  await consumer.run(
    spec.handler === 'batch'
      ? {
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            let bytes = 0
            for (const m of batch.messages) bytes += m.value.length
            counter.add(batch.messages.length, bytes)
          },
        }
      : { autoCommit: false, eachMessage: async ({ message }) => counter.add(1, message.value.length) },
  )
  await counter.done
  const result = counter.result()
  await consumer.disconnect()
  return result
}

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  return spec.mode === 'consume' ? consume(spec, library(spec)) : produce(spec, library(spec))
})
