'use strict'
// How long a consumer that keeps its partitions stops reading while a second member joins its
// group, under each group protocol: classic (eager, librdkafka's default range assignor),
// classic with cooperative-sticky, and KIP-848's consumer protocol.
//
//   node bench/rebalance-pause.js --brokers single [--rounds 3] [--protocols classic,cooperative,consumer]
//
// Each round: a topic of 6 partitions, a producer writing one message to every partition every
// 5 ms, member A reading all 6 for 3 s, then member B subscribing. Both read until the split has
// held for 3 s. For every partition A held before B came and still holds at the end, the longest
// wait between two consecutive messages A read from it after B subscribed is that partition's
// pause; the round's figure is the longest of them. The same measure over the 2 s before B came
// shows what the machine's noise alone gives. Printed: medians over rounds, and every round.
const { parseArgs } = require('node:util')

const { connectReal } = require('./broker.js')
const { fmt } = require('./chart.js')

const PARTITIONS = 6
const TICK_MS = 5
const PROTOCOLS = {
  classic: { 'partition.assignment.strategy': 'range' },
  cooperative: { 'partition.assignment.strategy': 'cooperative-sticky' },
  consumer: { 'group.protocol': 'consumer' },
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function member(Consumer, servers, group, topic, protocol) {
  const c = new Consumer({
    'bootstrap.servers': servers,
    'group.id': group,
    'auto.offset.reset': 'latest',
    'enable.auto.commit': false,
    'fetch.wait.max.ms': 10,
    ...PROTOCOLS[protocol],
  })
  c.subscribe([topic])
  const m = { c, arrivals: new Map(), running: true }
  m.loop = (async () => {
    while (m.running) {
      const batch = await c.consumeBatch(10_000, 50)
      const now = performance.now()
      for (const msg of batch) {
        if (!m.arrivals.has(msg.partition)) m.arrivals.set(msg.partition, [])
        m.arrivals.get(msg.partition).push(now)
      }
    }
  })()
  return m
}

const held = (m) => m.c.assignment().map((tp) => tp.partition)

async function until(what, done, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(20)
  }
}

async function round(lib, broker, protocol, n) {
  const { Consumer, Producer } = lib
  const topic = `pause-${protocol}-${process.pid}-${n}`
  await broker.createTopic(topic, PARTITIONS)
  const producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers, preset: 'latency' })
  await producer.connect()
  let producing = true
  const writer = (async () => {
    for (let i = 0; producing; i++) {
      await producer.produceBatch(
        topic,
        Array.from({ length: PARTITIONS }, (_, p) => ({ value: String(i), partition: p })),
      )
      await sleep(TICK_MS)
    }
  })()
  const group = `${topic}-g`
  const a = member(Consumer, broker.bootstrapServers, group, topic, protocol)
  let b
  try {
    await until('A holds every partition', () => held(a).length === PARTITIONS, 60_000)
    await sleep(3000) // the first second: fetching starts; the next two: the quiet window
    const before = new Set(held(a))
    const joinedAt = performance.now()
    b = member(Consumer, broker.bootstrapServers, group, topic, protocol)
    await until(
      'the split',
      () => held(a).length > 0 && held(b).length > 0 && held(a).length + held(b).length === PARTITIONS,
      60_000,
    )
    await sleep(3000)
    const kept = held(a).filter((p) => before.has(p))
    if (kept.length === 0) throw new Error(`${protocol}: A kept no partition`)
    // The longest wait between messages of a kept partition in a window: from its start to the
    // first message, then between messages.
    const worstIn = (from, to) => {
      let worst = 0
      for (const p of kept) {
        let last = from
        for (const t of (a.arrivals.get(p) ?? []).filter((x) => x >= from && x < to)) {
          worst = Math.max(worst, t - last)
          last = t
        }
      }
      return worst
    }
    // The same measure over the 2 s before B came, A alone: what the machine's noise alone gives.
    return { pauseMs: worstIn(joinedAt, Infinity), quietMs: worstIn(joinedAt - 2000, joinedAt), kept: kept.length }
  } finally {
    producing = false
    await writer
    for (const m of [a, b].filter(Boolean)) m.running = false
    await Promise.all([a, b].filter(Boolean).map((m) => m.loop))
    await Promise.all([a, b].filter(Boolean).map((m) => m.c.close()))
    await producer.close()
    await broker.deleteTopic(topic).catch(() => {})
  }
}

async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      brokers: { type: 'string' },
      rounds: { type: 'string', default: '3' },
      protocols: { type: 'string', default: 'classic,cooperative,consumer' },
    },
    strict: true,
  })
  if (values.brokers === undefined)
    throw new Error('--brokers is needed: a host:port list, or a cluster started by npm run kafka:start (e.g. single)')
  const protocols = values.protocols.split(',')
  for (const p of protocols)
    if (!PROTOCOLS[p]) throw new Error(`unknown protocol "${p}" (known: ${Object.keys(PROTOCOLS).join(', ')})`)
  const rounds = Number(values.rounds)
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer')
  const { resolveBrokers } = require('./run.js')
  const lib = require('../dist/cjs/index.js')
  const broker = await connectReal(resolveBrokers(values.brokers), 1)
  const results = Object.fromEntries(protocols.map((p) => [p, []]))
  try {
    // Protocols alternate round by round, so a slow stretch of the machine hits them all.
    for (let n = 0; n < rounds; n++) {
      for (const p of protocols) {
        const r = await round(lib, broker, p, n)
        results[p].push(r)
        console.error(
          `rebalance-pause: ${p} round ${n + 1}: ${fmt(r.pauseMs)} ms, alone before: ${fmt(r.quietMs)} ms (A kept ${r.kept} of ${PARTITIONS})`,
        )
      }
    }
  } finally {
    await broker.close()
  }
  console.log(
    `Longest stop in reading on partitions a member keeps while a second member joins (ms), median of ${rounds}`,
  )
  console.log(
    `Broker: ${broker.label}; librdkafka ${lib.librdkafkaVersion()}; one message per partition every ${TICK_MS} ms\n`,
  )
  console.log('| group protocol | while B joins: median | rounds | A alone, 2 s before: median |')
  console.log('|---|---:|---|---:|')
  const label = {
    classic: 'classic, range (eager)',
    cooperative: 'classic, cooperative-sticky',
    consumer: 'consumer (KIP-848)',
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
  for (const p of protocols) {
    const rs = results[p]
    console.log(
      `| ${label[p]} | ${fmt(median(rs.map((r) => r.pauseMs)))} | ${rs.map((r) => fmt(r.pauseMs)).join(', ')} | ${fmt(median(rs.map((r) => r.quietMs)))} |`,
    )
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`rebalance-pause: ${err.message}`)
  process.exit(1)
})
