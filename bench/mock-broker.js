#!/usr/bin/env node
// The benchmark's broker when no --brokers is given: librdkafka's mock cluster in a process of its
// own, so that it does not share an event loop or a heap with the client being measured.
//   mock-broker.js <brokers> <partitions> <topic> [<topic> ...]
// Prints {"bootstrapServers": "..."} once the topics exist; exits when stdin closes.
'use strict'
const { MockCluster } = require('../dist/cjs/index.js')

async function main() {
  const [brokers, partitions, ...topics] = process.argv.slice(2)
  const cluster = await MockCluster.start({ brokers: Number(brokers) })
  for (const t of topics) await cluster.createTopic(t, Number(partitions), 1)
  process.stdout.write(JSON.stringify({ bootstrapServers: cluster.bootstrapServers }) + '\n')
  process.stdin.resume()
  process.stdin.on('end', () => cluster.close().then(() => process.exit(0)))
}
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
