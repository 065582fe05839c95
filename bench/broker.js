'use strict'
// The broker a benchmark run talks to: librdkafka's mock cluster in a separate process (the
// default), or a running Apache Kafka cluster. Both create topics the same way.
const { spawn } = require('node:child_process')
const path = require('node:path')

// The mock cluster keeps about 5 MiB (and at most 100,000 record batches) per partition and
// drops older data (rdkafka_mock.c in librdkafka 2.0.2); topics that must hold a whole consume
// run are spread over enough partitions to stay well under that.
const MOCK_PARTITION_BYTES = 5 * 1024 * 1024
const RECORD_OVERHEAD = 30

/** Partitions that a topic of `messages` values of `size` bytes needs so nothing is dropped. */
function partitionsToHold(broker, messages, size, wanted) {
  if (!broker.mock) return wanted
  const perPartition = Math.floor((0.8 * MOCK_PARTITION_BYTES) / (size + RECORD_OVERHEAD))
  return Math.max(wanted, Math.ceil(messages / perPartition))
}

async function startMock() {
  const child = spawn(process.execPath, [path.join(__dirname, 'mock-broker.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const waiting = []
  let buffered = ''
  child.stdout.on('data', (d) => {
    buffered += d
    let nl
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl))
      buffered = buffered.slice(nl + 1)
      waiting.shift()?.(line)
    }
  })
  const exited = new Promise((_, reject) =>
    child.on('exit', (code) => reject(new Error(`mock broker exited (${code})`))),
  )
  exited.catch(() => {})
  const reply = () => Promise.race([new Promise((resolve) => waiting.push(resolve)), exited])
  const timeout = setTimeout(() => child.kill(), 20_000)
  const { bootstrapServers } = await reply()
  clearTimeout(timeout)
  return {
    mock: true,
    bootstrapServers,
    label: 'librdkafka mock cluster in a separate process (1 broker)',
    async createTopic(topic, partitions) {
      child.stdin.write(JSON.stringify({ createTopic: topic, partitions }) + '\n')
      const r = await reply()
      if (r.error) throw new Error(`mock broker: ${r.error}`)
    },
    async deleteTopic() {
      // The mock cluster cannot delete topics; it keeps a few MiB per partition at most.
    },
    async close() {
      child.stdin.end()
    },
  }
}

/** A running cluster; topics are created (and deleted) through turbokafka's own Admin client. */
async function connectReal(bootstrapServers, replication) {
  const { Admin } = require('../dist/cjs/index.js')
  const admin = new Admin({ 'bootstrap.servers': bootstrapServers })
  try {
    await admin.connect({ timeoutMs: 10_000 })
  } catch (err) {
    await admin.close()
    throw new Error(`cannot reach the cluster at ${bootstrapServers}: ${err.message}`)
  }
  /** Fails on an item's error; the Admin waits for the new topic's leaders itself. */
  /** @param {string} what @param {Array<{ topic: string, error?: Error }>} outcomes */
  const settled = (what, outcomes) => {
    const failed = outcomes.find((o) => o.error)
    if (failed) throw new Error(`${what} ${failed.topic}: ${failed.error?.message}`)
  }
  return {
    mock: false,
    bootstrapServers,
    label: `Apache Kafka at ${bootstrapServers} (replication factor ${replication})`,
    async createTopic(topic, partitions) {
      settled('creating', await admin.createTopics([{ topic, partitions, replicationFactor: replication }]))
    },
    async deleteTopic(topic) {
      settled('deleting', await admin.deleteTopics([topic]))
    },
    async close() {
      await admin.close()
    },
  }
}

module.exports = { startMock, connectReal, partitionsToHold }
