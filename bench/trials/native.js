#!/usr/bin/env node
// One producer trial of turbokafka's native engine, in a fresh process. argv[2] is a JSON spec;
// prints one JSON line: delivered, failed, seconds (first enqueue to last delivery report).
'use strict'
const { Producer } = require('../../dist/cjs/index.js')
const { usage } = require('./usage.js')

async function main() {
  const spec = JSON.parse(process.argv[2])
  const producer = new Producer({ 'bootstrap.servers': spec.bootstrapServers, preset: spec.preset, ...spec.config })
  await producer.connect()
  // Learn the topic's leader before the clock starts (the C baseline fetches its metadata).
  await producer.produceBatch(spec.topic, [Buffer.alloc(spec.size)])

  // A distinct Buffer per message, made the way applications usually make them: Buffer.from of
  // a string (which Node allocates from its shared pool below 4 KiB). The packed form: one
  // Buffer with every value back to back.
  const text = 'x'.repeat(spec.size)
  const makeBatch = (n) =>
    spec.form === 'packed'
      ? { values: Buffer.alloc(n * spec.size, 'x'), lengths: new Uint32Array(n).fill(spec.size) }
      : Array.from({ length: n }, () => Buffer.from(text))
  const batch = makeBatch(spec.batch)
  let delivered = 0
  let failed = 0
  let firstError
  let sent = 0
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  // Keep `inflight` batches outstanding: enough to keep librdkafka's queue full.
  await new Promise((resolve, reject) => {
    let outstanding = 0
    const next = () => {
      while (outstanding < spec.inflight && sent < spec.messages) {
        const n = Math.min(spec.batch, spec.messages - sent)
        sent += n
        outstanding++
        producer.produceBatch(spec.topic, n === spec.batch ? batch : makeBatch(n)).then((r) => {
          delivered += r.delivered
          failed += r.failed
          if (r.failed && !firstError) firstError = r.errors[0].error.code
          outstanding--
          if (sent === spec.messages && outstanding === 0) resolve()
          else next()
        }, reject)
      }
    }
    next()
  })
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  await producer.close()
  console.log(JSON.stringify({ delivered, failed, seconds, firstError, ...usage(cpu) }))
}
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
