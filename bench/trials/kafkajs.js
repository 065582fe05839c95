#!/usr/bin/env node
// One producer trial of kafkajs, in a fresh process: `send` with the same batch size and the same
// number of batches in flight as the native trial. Prints one JSON line like the others.
'use strict'
const { Kafka, logLevel, CompressionTypes } = require('kafkajs')
const { usage } = require('./usage.js')

async function main() {
  const spec = JSON.parse(process.argv[2])
  const kafka = new Kafka({ brokers: spec.bootstrapServers.split(','), logLevel: logLevel.NOTHING, clientId: 'bench' })
  const idempotent = spec.acks === 'all' && spec.preset === 'durable'
  const producer = kafka.producer({ allowAutoTopicCreation: true, idempotent, maxInFlightRequests: idempotent ? 5 : undefined })
  await producer.connect()
  const acks = spec.acks === 'all' ? -1 : Number(spec.acks)
  await producer.send({ topic: spec.topic, acks, messages: [{ value: Buffer.alloc(spec.size) }] })

  const payload = Buffer.alloc(spec.size, 'x')
  const batch = new Array(spec.batch).fill({ value: payload })
  let delivered = 0
  let failed = 0
  let firstError
  let sent = 0
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  await new Promise((resolve) => {
    let outstanding = 0
    const next = () => {
      while (outstanding < spec.inflight && sent < spec.messages) {
        const n = Math.min(spec.batch, spec.messages - sent)
        sent += n
        outstanding++
        producer
          .send({ topic: spec.topic, acks, compression: CompressionTypes.None, messages: n === spec.batch ? batch : batch.slice(0, n) })
          .then(
            () => (delivered += n),
            (err) => {
              failed += n
              firstError ??= err.type || err.name
            },
          )
          .finally(() => {
            outstanding--
            if (sent === spec.messages && outstanding === 0) resolve()
            else next()
          })
      }
    }
    next()
  })
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  await producer.disconnect()
  console.log(JSON.stringify({ delivered, failed, seconds, firstError, ...usage(cpu) }))
}
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
