#!/usr/bin/env node
// The benchmark's broker when no --brokers is given: librdkafka's mock cluster in a process of its
// own, so that it does not share an event loop or a heap with the client being measured.
// Prints {"bootstrapServers": "..."} when ready, then serves one JSON request per stdin line:
//   {"createTopic": "name", "partitions": N}  ->  {"ok": true} or {"error": "..."}
// Exits when stdin closes.
'use strict'
const readline = require('node:readline')
const { MockCluster } = require('../dist/cjs/index.js')

async function main() {
  // Groups get their partitions at once, as on the brokers `npm run kafka:start` runs (which set
  // group.initial.rebalance.delay.ms=0): a trial measures reading, not the coordinator's wait.
  const cluster = await MockCluster.start({ brokers: 1, groupInitialRebalanceDelayMs: 0 })
  process.stdout.write(JSON.stringify({ bootstrapServers: cluster.bootstrapServers }) + '\n')
  const lines = readline.createInterface({ input: process.stdin })
  for await (const line of lines) {
    try {
      const req = JSON.parse(line)
      await cluster.createTopic(req.createTopic, req.partitions, 1)
      process.stdout.write('{"ok":true}\n')
    } catch (err) {
      process.stdout.write(JSON.stringify({ error: String(err.message) }) + '\n')
    }
  }
  await cluster.close()
  process.exit(0)
}
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
