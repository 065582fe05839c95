#!/usr/bin/env node
// npm run bench: delivered (broker-acknowledged) messages per second of each producer engine,
// measured in one run against the same broker, each trial in a fresh process, engines
// alternating, medians over --repeat. Ratios are against the C librdkafka baseline of this run.
'use strict'
const { execFileSync, spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { parseArgs } = require('node:util')

const root = path.join(__dirname, '..')

const HELP = `usage: npm run bench -- [options]

  --sizes LIST        value sizes in bytes (default 100,1024)
  --messages N        messages per trial for the librdkafka engines (default 2000000; a quarter
                      of that for values of 1 KiB and more)
  --kafkajs-share F   fraction of --messages for kafkajs trials, which are ~30x slower (default 0.1)
  --repeat N          trials per engine and size; the median is reported (default 3)
  --engines LIST      c,c-batch,native,native-packed,kafkajs (default: all)
  --partitions N      partitions of each topic (default 1)
  --batch N           messages per produceBatch / send call (default 10000)
  --inflight N        batches outstanding at once in the Node engines (default 8)
  --acks A            1 or all (default 1)
  --replication N     replication factor of the topics on a real cluster (default 1)
  --brokers B         a running cluster instead of the embedded mock one: host:port[,host:port...],
                      or the name of a cluster started by \`npm run kafka:start\` (e.g. single)
  --json FILE         also write every trial and the summary as JSON
  -h, --help
`

const ENGINES = {
  c: { label: 'C librdkafka, producev per message', kind: 'c', mode: 'producev' },
  'c-batch': { label: 'C librdkafka, produce_batch', kind: 'c', mode: 'batch' },
  native: { label: 'turbokafka produceBatch(Buffer[])', kind: 'node', script: 'trials/native.js', form: 'array' },
  'native-packed': { label: 'turbokafka produceBatch(packed)', kind: 'node', script: 'trials/native.js', form: 'packed' },
  kafkajs: { label: 'kafkajs producer.send', kind: 'node', script: 'trials/kafkajs.js' },
}

function fail(message) {
  console.error(`bench: ${message}`)
  process.exit(2)
}

function positiveInt(name, v) {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive integer (got ${JSON.stringify(v)})`)
  return n
}

function parseOptions(argv) {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        sizes: { type: 'string', default: '100,1024' },
        messages: { type: 'string', default: '2000000' },
        'kafkajs-share': { type: 'string', default: '0.1' },
        repeat: { type: 'string', default: '3' },
        engines: { type: 'string', default: Object.keys(ENGINES).join(',') },
        partitions: { type: 'string', default: '1' },
        batch: { type: 'string', default: '10000' },
        inflight: { type: 'string', default: '8' },
        acks: { type: 'string', default: '1' },
        brokers: { type: 'string' },
        replication: { type: 'string', default: '1' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values
  } catch (err) {
    fail(`${err.message}\n\n${HELP}`)
  }
  if (parsed.help) {
    process.stdout.write(HELP)
    process.exit(0)
  }
  const engines = parsed.engines.split(',').map((e) => e.trim())
  for (const e of engines) if (!ENGINES[e]) fail(`unknown engine "${e}" (known: ${Object.keys(ENGINES).join(', ')})`)
  const share = Number(parsed['kafkajs-share'])
  if (!(share > 0 && share <= 1)) fail(`--kafkajs-share must be in (0, 1] (got ${parsed['kafkajs-share']})`)
  if (parsed.acks !== '1' && parsed.acks !== 'all') fail(`--acks must be 1 or all (got ${parsed.acks})`)
  if (parsed.replication !== '1' && parsed.brokers === undefined) fail('--replication needs --brokers (the mock cluster has one broker)')
  return {
    sizes: parsed.sizes.split(',').map((s) => positiveInt('sizes', s)),
    messages: positiveInt('messages', parsed.messages),
    kafkajsShare: share,
    repeat: positiveInt('repeat', parsed.repeat),
    engines,
    partitions: positiveInt('partitions', parsed.partitions),
    batch: positiveInt('batch', parsed.batch),
    inflight: positiveInt('inflight', parsed.inflight),
    acks: parsed.acks,
    brokers: parsed.brokers === undefined ? undefined : resolveBrokers(parsed.brokers),
    replication: positiveInt('replication', parsed.replication),
    json: parsed.json,
  }
}

/** host:port lists pass through; anything else names a cluster that scripts/kafka.js started. */
function resolveBrokers(value) {
  if (/^[\w.-]+:\d+(,[\w.-]+:\d+)*$/.test(value)) return value
  const { readCluster } = require('../scripts/kafka.js')
  const cluster = /^[\w-]+$/.test(value) ? readCluster(value) : undefined
  if (!cluster) fail(`--brokers ${value}: neither host:port nor a running cluster (start one with npm run kafka:start)`)
  return cluster.bootstrapServers
}

/** Topics on a real cluster, created (and deleted) through kafkajs's admin client. */
async function realClusterAdmin(bootstrapServers) {
  const { Kafka, logLevel } = require('kafkajs')
  const admin = new Kafka({
    brokers: bootstrapServers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 2 },
  }).admin()
  try {
    await admin.connect()
    await admin.describeCluster()
  } catch (err) {
    fail(`cannot reach the cluster at ${bootstrapServers}: ${err.message}`)
  }
  return admin
}

/** librdkafka settings shared by the C baseline and turbokafka, so only the engine differs. */
function librdkafkaConfig(opts) {
  return {
    acks: opts.acks === 'all' ? 'all' : '1',
    'enable.idempotence': 'false',
    'linger.ms': '5',
    'batch.num.messages': '10000',
    'batch.size': '1000000',
    'queue.buffering.max.messages': '1000000',
    'queue.buffering.max.kbytes': '1048576',
    'compression.type': 'none',
  }
}

function buildC() {
  const src = path.join(__dirname, 'c', 'producer.c')
  const out = path.join(root, 'build', 'bench', 'c-producer')
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs > fs.statSync(src).mtimeMs) return out
  fs.mkdirSync(path.dirname(out), { recursive: true })
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'rdkafka'], { encoding: 'utf8' }).trim().split(/\s+/)
  execFileSync('cc', ['-O2', '-Wall', '-o', out, src, ...flags], { stdio: 'inherit' })
  return out
}

function startMockBroker(topics, partitions) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'mock-broker.js'), '1', String(partitions), ...topics], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let out = ''
    const timer = setTimeout(() => reject(new Error('mock broker did not start within 20 s')), 20_000)
    child.stdout.on('data', (d) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve({ child, bootstrapServers: JSON.parse(out.slice(0, nl)).bootstrapServers })
      }
    })
    child.on('exit', (code) => reject(new Error(`mock broker exited with ${code}`)))
  })
}

function trialMessages(opts, engine, size) {
  const base = size >= 1024 ? Math.max(1, Math.floor(opts.messages / 4)) : opts.messages
  return engine === 'kafkajs' ? Math.max(opts.batch, Math.floor(base * opts.kafkajsShare)) : base
}

function runTrial(opts, cBinary, engine, size, topic, bootstrapServers) {
  const def = ENGINES[engine]
  const messages = trialMessages(opts, engine, size)
  const config = librdkafkaConfig(opts)
  let cmd
  let args
  if (def.kind === 'c') {
    cmd = cBinary
    args = [bootstrapServers, topic, String(messages), String(size), def.mode, ...Object.entries(config).map(([k, v]) => `${k}=${v}`)]
  } else {
    cmd = process.execPath
    const spec = {
      bootstrapServers,
      topic,
      messages,
      size,
      batch: opts.batch,
      inflight: opts.inflight,
      acks: opts.acks,
      form: def.form,
      preset: 'throughput',
      config,
    }
    args = [path.join(__dirname, def.script), JSON.stringify(spec)]
  }
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 })
  if (r.status !== 0) throw new Error(`${engine} trial failed (${r.signal ?? r.status}):\n${r.stderr}`)
  const result = JSON.parse(r.stdout.trim().split('\n').pop())
  if (result.delivered + result.failed !== messages) {
    throw new Error(`${engine}: ${result.delivered} delivered + ${result.failed} failed != ${messages} sent`)
  }
  if (result.failed > 0) throw new Error(`${engine}: ${result.failed} messages failed (${result.firstError})`)
  return { engine, size, messages, ...result, msgPerSec: result.delivered / result.seconds }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

function fmt(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

async function main() {
  const opts = parseOptions(process.argv.slice(2))
  const cBinary = opts.engines.some((e) => ENGINES[e].kind === 'c') ? buildC() : undefined
  const plan = []
  for (let r = 0; r < opts.repeat; r++) for (const size of opts.sizes) for (const engine of opts.engines) plan.push({ engine, size })
  const topics = plan.map((_, i) => `bench-${i}`)

  const { version: librdkafka } = { version: require('../dist/cjs/index.js').librdkafkaVersion() }
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, librdkafka ${librdkafka}`
  const brokerLabel = opts.brokers
    ? `Apache Kafka at ${opts.brokers} (${opts.partitions} partition(s) per topic, replication factor ${opts.replication})`
    : `librdkafka mock cluster in a separate process (1 broker, ${opts.partitions} partition(s) per topic)`
  console.error(`bench: broker = ${brokerLabel}`)
  console.error(`bench: ${machine}; the broker shares these cores`)

  let bootstrapServers
  let admin
  let mock
  if (opts.brokers) {
    bootstrapServers = opts.brokers
    admin = await realClusterAdmin(bootstrapServers)
  } else {
    mock = await startMockBroker(topics, opts.partitions)
    bootstrapServers = mock.bootstrapServers
  }
  const trials = []
  try {
    for (let i = 0; i < plan.length; i++) {
      const { engine, size } = plan[i]
      if (admin) {
        // A fresh topic per trial, deleted after it, so the broker's disk does not fill up.
        topics[i] = `bench-${process.pid}-${i}`
        await admin.createTopics({
          topics: [{ topic: topics[i], numPartitions: opts.partitions, replicationFactor: opts.replication }],
          waitForLeaders: true,
        })
      }
      const t = runTrial(opts, cBinary, engine, size, topics[i], bootstrapServers)
      trials.push(t)
      console.error(`bench: [${i + 1}/${plan.length}] ${engine} ${size} B: ${fmt(t.msgPerSec)} msg/s`)
      if (admin) await admin.deleteTopics({ topics: [topics[i]] })
    }
  } finally {
    mock?.child.stdin.end()
    await admin?.disconnect()
  }

  const summary = []
  for (const size of opts.sizes) {
    const med = {}
    for (const engine of opts.engines) {
      const ts = trials.filter((t) => t.engine === engine && t.size === size)
      med[engine] = {
        msgPerSec: median(ts.map((t) => t.msgPerSec)),
        cpuPerMillion: median(ts.map((t) => (t.cpuSeconds / t.delivered) * 1e6)),
        peakRssMB: Math.max(...ts.map((t) => t.peakRssMB)),
      }
    }
    for (const engine of opts.engines) {
      const m = med[engine]
      summary.push({
        engine,
        label: ENGINES[engine].label,
        size,
        msgPerSec: m.msgPerSec,
        mbPerSec: (m.msgPerSec * size) / 1e6,
        vsC: med.c ? m.msgPerSec / med.c.msgPerSec : undefined,
        vsCBatch: med['c-batch'] ? m.msgPerSec / med['c-batch'].msgPerSec : undefined,
        cpuSecondsPerMillion: m.cpuPerMillion,
        peakRssMB: m.peakRssMB,
      })
    }
  }

  const header = ['engine', 'value', 'delivered msg/s', 'MB/s', 'vs C producev', 'vs C produce_batch', 'CPU s / 1M msgs', 'peak RSS MB']
  const rows = summary.map((s) => [
    s.label,
    `${s.size} B`,
    fmt(s.msgPerSec),
    fmt(s.mbPerSec, 1),
    s.vsC === undefined ? '-' : fmt(s.vsC, 2),
    s.vsCBatch === undefined ? '-' : fmt(s.vsCBatch, 2),
    fmt(s.cpuSecondsPerMillion, 2),
    String(s.peakRssMB),
  ])
  console.log(`Producer, acks=${opts.acks}, median of ${opts.repeat}, delivered (acknowledged) messages per second`)
  console.log(`Broker: ${brokerLabel}; ${machine}`)
  console.log('')
  console.log(`| ${header.join(' | ')} |`)
  console.log(`|${header.map((h, i) => (i < 2 ? '---' : '---:')).join('|')}|`)
  for (const r of rows) console.log(`| ${r.join(' | ')} |`)
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({ machine, options: opts, trials, summary }, null, 2))
    console.error(`bench: wrote ${opts.json}`)
  }
}

main().catch((err) => {
  console.error(`bench: ${err.message}`)
  process.exit(1)
})
