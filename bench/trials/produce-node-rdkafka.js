#!/usr/bin/env node
// One producer trial of node-rdkafka (a peer, when installed in the bench's dependencies), in a
// fresh process: produce() per message with delivery reports, the same batches in flight as the
// other Node trials. Prints one JSON line like them.
'use strict'
// An optional peer, found where the bench points NODE_PATH (TURBOKAFKA_BENCH_PEERS); named through
// a variable so that the type check does not look for it.
const PEER = 'node-rdkafka'
const Kafka = require(PEER)
const { produceAll, runTrial } = require('./common.js')

runTrial(async () => {
  const spec = JSON.parse(process.argv[2])
  const producer = new Kafka.Producer({ 'bootstrap.servers': spec.bootstrapServers, dr_cb: true, ...spec.config })
  await new Promise((resolve, reject) => {
    producer.once('ready', resolve)
    producer.connect({ topic: spec.topic, timeout: 10_000 }, (err) => err && reject(err))
  })
  producer.setPollInterval(1)
  // Delivery reports settle the batch each message belongs to (the opaque is its batch).
  producer.on('delivery-report', (err, report) => report.opaque.settle(err))
  const text = 'x'.repeat(spec.size)
  const sendOne = (value, batch) => {
    for (;;) {
      try {
        producer.produce(spec.topic, null, value, null, null, batch)
        return
      } catch (err) {
        if (err.code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) throw err
        producer.poll()
        const until = Date.now() + 1
        while (Date.now() < until);
      }
    }
  }
  const result = await produceAll({
    total: spec.messages,
    batch: spec.batch,
    inflight: spec.inflight,
    send: (n) =>
      new Promise((resolve) => {
        const batch = { left: n, delivered: 0, failed: 0, firstError: undefined }
        batch.settle = (err) => {
          if (err) {
            batch.failed++
            batch.firstError ??= String(err.code)
          } else batch.delivered++
          if (--batch.left === 0) resolve(batch)
        }
        for (let i = 0; i < n; i++) sendOne(Buffer.from(text), batch)
      }),
  })
  await new Promise((resolve) => producer.disconnect(resolve))
  return result
})
