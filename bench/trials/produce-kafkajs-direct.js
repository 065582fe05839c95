#!/usr/bin/env node
// One producer trial of kafkajs itself (no turbokafka), in a fresh process: `send` with the same
// batch size and the same number of batches in flight as produce-turbokafka.js. Prints one JSON line
// like the others.
'use strict'
const { Kafka, logLevel, CompressionTypes } = require('kafkajs')
const { produceAll, runTrial } = require('./common.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const kafka = new Kafka({ brokers: spec.bootstrapServers.split(','), logLevel: logLevel.NOTHING, clientId: 'bench' })
  const producer = kafka.producer({ allowAutoTopicCreation: true })
  await producer.connect()
  const acks = spec.acks === 'all' ? -1 : Number(spec.acks)
  const compression = spec.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None
  await producer.send({ topic: spec.topic, acks, messages: [{ value: Buffer.alloc(spec.size) }] })

  const text = 'x'.repeat(spec.size)
  const makeBatch = (n) => Array.from({ length: n }, () => ({ value: Buffer.from(text) }))
  const full = makeBatch(spec.batch)
  // kafkajs writes one send() as one record batch, and a broker refuses batches over its
  // message.max.bytes (1 MB by default); librdkafka splits by batch.size itself. So each batch
  // goes out as sends of at most ~900 KB, concurrently.
  const perSend = Math.max(1, Math.floor(900_000 / (spec.size + 70)))
  const sendAll = (messages) => {
    const sends = []
    for (let i = 0; i < messages.length; i += perSend) {
      sends.push(producer.send({ topic: spec.topic, acks, compression, messages: messages.slice(i, i + perSend) }))
    }
    return Promise.all(sends)
  }

  const result = await produceAll({
    total: spec.messages,
    batch: spec.batch,
    inflight: spec.inflight,
    send: (n) =>
      sendAll(n === spec.batch ? full : makeBatch(n)).then(
        () => ({ delivered: n, failed: 0 }),
        (err) => ({ delivered: 0, failed: n, firstError: err.type || err.name }),
      ),
  })
  await producer.disconnect()
  return result
})
