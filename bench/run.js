#!/usr/bin/env node
// npm run bench: throughput and latency of each engine, measured in one run against the same
// broker, each trial in a fresh process, engines alternating, medians over --repeat.
//   produce  delivered (broker-acknowledged) messages per second
//   consume  messages per second read from a pre-filled topic, first message to last
//   e2e      latency from when a message is due to be sent to when the consumer has it, at a rate
// Ratios are against the C librdkafka baselines of the same run.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { parseArgs } = require('node:util')

const { connectReal, partitionsToHold, startMock } = require('./broker.js')
const cBaseline = require('./c/build.js')
const { fmt, renderChart } = require('./chart.js')
const { BASELINES, workloadTable } = require('./report.js')
const { parsePattern, scheduleArg, withEnd } = require('./schedule.js')

const root = path.join(__dirname, '..')

const HELP = `usage: npm run bench -- [options]

  --workloads LIST    produce,consume,e2e (default: all three)
  --sizes LIST        value sizes in bytes (default 100,1024); --size N for one
  --messages N        messages per produce or consume trial for the librdkafka engines (default
                      2000000; a quarter of that for values of 1 KiB and more)
  --kafkajs-share F   fraction of --messages for kafkajs produce trials, which are much slower
                      (default 0.1; consume trials all read the whole topic)
  --repeat N          trials per engine and size; the median is reported (default 3)
  --engines LIST      which engines to run (default: all); see below
  --partitions N      partitions of each topic (default 1; on the mock cluster consume topics get
                      as many as they need to hold every message)
  --batch N           messages per produceBatch / send / consumeBatch call (default 10000)
  --inflight N        batches outstanding at once in the Node producers (default 8)
  --acks A            1 or all (default 1)
  --compression C     none, gzip, snappy, lz4 or zstd for every producer (default none; kafkajs
                      only does gzip by itself, so its trials are skipped for the others)
  --preset P          turbokafka preset the producer settings start from: throughput (default),
                      latency or durable; the C baseline gets the same librdkafka keys
  --rate R            e2e: messages per second (default 10000)
  --traffic-pattern P e2e: "second:rate,..." steps instead of one --rate (e.g. 0:1000,5:20000)
  --duration S        e2e: seconds of sending per trial (default 10; the first second is warm-up).
                      produce and consume trials are sized by --messages instead, so that what
                      was delivered or read can be checked against what was sent
  --replication N     replication factor of the topics on a real cluster (default 1)
  --brokers B         a running cluster instead of the embedded mock one: host:port[,host:port...],
                      or the name of a cluster started by \`npm run kafka:start\` (e.g. single)
  --json FILE         also write every trial and the summary as JSON
  --consumer-set K=V,...  librdkafka consumer settings for the C and native consumers
  --chart FILE.svg    also draw the results: throughput bars, latency percentiles
  --scenario F[:NAME] run the named scenarios of a JSON or YAML file (all, or just NAME): each
                      sets its own options (the command line's win) and may set targets, reported
                      as met or not met; exit status 3 when one is not met (bench/scenarios.yaml)
  -h, --help

engines
  produce  c (producev per message), c-batch (produce_batch), native (produceBatch of Buffer[]),
           native-packed (produceBatch of one packed Buffer), kafkajs (turbokafka's kafkajs engine,
           produceBatch of Buffer[])
  consume  c (consumer_poll per message), c-batch (consume_batch_queue), native (consumeBatch),
           kafkajs (the kafkajs engine's consumeBatch)
  e2e      c (producer thread + consumer_poll), native (produceBatch + consumeBatch),
           kafkajs (the kafkajs engine, same calls)
  only when named: kafkajs-direct (kafkajs itself: send, eachBatch), for what the engine's layer costs
  peers    node-rdkafka (produce, consume) when installed where the bench can require it
           (npm install --prefix bench node-rdkafka); skipped with a note otherwise
`

const WORKLOADS = {
  produce: {
    engines: {
      c: { label: 'C librdkafka, producev per message', c: 'producer', mode: 'producev' },
      'c-batch': { label: 'C librdkafka, produce_batch', c: 'producer', mode: 'batch' },
      native: { label: 'turbokafka produceBatch(Buffer[])', script: 'produce-turbokafka.js', engine: 'native', form: 'array' },
      'native-packed': { label: 'turbokafka produceBatch(packed)', script: 'produce-turbokafka.js', engine: 'native', form: 'packed' },
      kafkajs: { label: 'turbokafka engine kafkajs, produceBatch(Buffer[])', script: 'produce-turbokafka.js', engine: 'kafkajs', form: 'array' },
      'kafkajs-direct': { label: 'kafkajs producer.send, no turbokafka', script: 'produce-kafkajs-direct.js', optional: true },
      'node-rdkafka': { label: 'node-rdkafka produce, delivery reports', script: 'produce-node-rdkafka.js', peer: 'node-rdkafka' },
    },
    baselines: BASELINES.produce,
  },
  consume: {
    engines: {
      c: { label: 'C librdkafka, consumer_poll per message', c: 'consumer', mode: 'poll' },
      'c-batch': { label: 'C librdkafka, consume_batch_queue', c: 'consumer', mode: 'batch' },
      native: { label: 'turbokafka consumeBatch', script: 'consume-turbokafka.js', engine: 'native' },
      kafkajs: { label: 'turbokafka engine kafkajs, consumeBatch', script: 'consume-turbokafka.js', engine: 'kafkajs' },
      'kafkajs-direct': { label: 'kafkajs eachBatch, no turbokafka', script: 'consume-kafkajs-direct.js', optional: true },
      'node-rdkafka': { label: 'node-rdkafka consume(batch)', script: 'consume-node-rdkafka.js', peer: 'node-rdkafka' },
    },
    baselines: BASELINES.consume,
  },
  e2e: {
    engines: {
      c: { label: 'C librdkafka, producev + consumer_poll', c: 'e2e' },
      native: { label: 'turbokafka produceBatch + consumeBatch', script: 'e2e-turbokafka.js', engine: 'native' },
      kafkajs: { label: 'turbokafka engine kafkajs, produceBatch + consumeBatch', script: 'e2e-turbokafka.js', engine: 'kafkajs' },
      'kafkajs-direct': { label: 'kafkajs send + eachBatch, no turbokafka', script: 'e2e-kafkajs-direct.js', optional: true },
    },
    baselines: BASELINES.e2e,
  },
}

const COMPRESSION = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const PRESETS = ['throughput', 'latency', 'durable']

class UsageError extends Error {}

/**
 * Where peer clients are looked for: an `npm install --prefix` folder named by
 * TURBOKAFKA_BENCH_PEERS, else bench/ (so bench/node_modules, or the project's).
 */
const PEERS_DIR = process.env.TURBOKAFKA_BENCH_PEERS ? path.resolve(process.env.TURBOKAFKA_BENCH_PEERS) : __dirname

/**
 * Peer clients run only when installed where the bench looks for them (PEERS_DIR); they are
 * never needed to install turbokafka. Returns the peer's librdkafka version, or undefined when
 * it is absent.
 */
function peerVersion(name) {
  try {
    return require(require.resolve(name, { paths: [PEERS_DIR] })).librdkafkaVersion ?? 'unknown'
  } catch {
    return undefined
  }
}
const peers = {}
const peerAvailable = (name) => (name in peers ? peers[name] : (peers[name] = peerVersion(name))) !== undefined

function positiveInt(name, v) {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer (got ${JSON.stringify(v)})`)
  return n
}

function positiveNumber(name, v) {
  const n = Number(v)
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--${name} must be a positive number (got ${JSON.stringify(v)})`)
  return n
}

function list(value) {
  return value.split(',').map((s) => s.trim()).filter(Boolean)
}

function parseOptions(argv) {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        workloads: { type: 'string', default: 'produce,consume,e2e' },
        sizes: { type: 'string' },
        size: { type: 'string' },
        messages: { type: 'string', default: '2000000' },
        'kafkajs-share': { type: 'string', default: '0.1' },
        repeat: { type: 'string', default: '3' },
        engines: { type: 'string' },
        partitions: { type: 'string', default: '1' },
        batch: { type: 'string', default: '10000' },
        inflight: { type: 'string', default: '8' },
        acks: { type: 'string', default: '1' },
        compression: { type: 'string', default: 'none' },
        preset: { type: 'string', default: 'throughput' },
        chart: { type: 'string' },
        scenario: { type: 'string' },
        rate: { type: 'string' },
        'traffic-pattern': { type: 'string' },
        duration: { type: 'string', default: '10' },
        brokers: { type: 'string' },
        replication: { type: 'string', default: '1' },
        json: { type: 'string' },
        'consumer-set': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values
  } catch (err) {
    throw new UsageError(err.message)
  }
  if (parsed.help) return { help: true }
  const workloads = list(parsed.workloads)
  for (const w of workloads) if (!WORKLOADS[w]) throw new UsageError(`unknown workload "${w}" (known: ${Object.keys(WORKLOADS).join(', ')})`)
  const all = Object.values(WORKLOADS).flatMap((w) => Object.entries(w.engines))
  const known = new Set(all.map(([name]) => name))
  // Optional engines run only when named: kafkajs-direct measures what the kafkajs engine's layer costs.
  const defaults = new Set(all.filter(([, def]) => !def.optional).map(([name]) => name))
  const engines = parsed.engines === undefined ? [...defaults] : list(parsed.engines)
  for (const e of engines) if (!known.has(e)) throw new UsageError(`unknown engine "${e}" (known: ${[...known].join(', ')})`)
  const share = Number(parsed['kafkajs-share'])
  if (!(share > 0 && share <= 1)) throw new UsageError(`--kafkajs-share must be in (0, 1] (got ${parsed['kafkajs-share']})`)
  if (parsed.acks !== '1' && parsed.acks !== 'all') throw new UsageError(`--acks must be 1 or all (got ${parsed.acks})`)
  if (!COMPRESSION.includes(parsed.compression)) {
    throw new UsageError(`--compression must be one of ${COMPRESSION.join(', ')} (got ${parsed.compression})`)
  }
  if (!PRESETS.includes(parsed.preset)) throw new UsageError(`--preset must be one of ${PRESETS.join(', ')} (got ${parsed.preset})`)
  if (parsed.preset === 'durable' && parsed.acks !== 'all') throw new UsageError('--preset durable is idempotent and needs --acks all')
  if (parsed.chart !== undefined && !parsed.chart.endsWith('.svg')) throw new UsageError(`--chart writes SVG: give a .svg file (got ${parsed.chart})`)
  if (parsed.replication !== '1' && parsed.brokers === undefined) {
    throw new UsageError('--replication needs --brokers (the mock cluster has one broker)')
  }
  if (parsed.rate !== undefined && parsed['traffic-pattern'] !== undefined) {
    throw new UsageError('--rate and --traffic-pattern exclude each other')
  }
  let steps
  try {
    steps = parsed['traffic-pattern'] !== undefined ? parsePattern(parsed['traffic-pattern']) : [{ start: 0, rate: positiveNumber('rate', parsed.rate ?? '10000') }]
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError(`--traffic-pattern: ${err.message}`)
  }
  const duration = positiveNumber('duration', parsed.duration)
  // librdkafka consumer settings over the bench's, for the C consumers and the native engine.
  const consumerSet = {}
  for (const pair of parsed['consumer-set'] === undefined ? [] : list(parsed['consumer-set'])) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--consumer-set takes key=value pairs separated by commas (got "${pair}")`)
    consumerSet[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  if (parsed.size !== undefined && parsed.sizes !== undefined) throw new UsageError('--size and --sizes exclude each other')
  const sizes = parsed.size !== undefined ? [positiveInt('size', parsed.size)] : list(parsed.sizes ?? '100,1024').map((s) => positiveInt('sizes', s))
  if (workloads.includes('e2e') && sizes.some((s) => s < 16)) {
    throw new UsageError('e2e needs values of at least 16 bytes (a send time and a sequence number)')
  }
  return {
    workloads,
    sizes,
    messages: positiveInt('messages', parsed.messages),
    kafkajsShare: share,
    repeat: positiveInt('repeat', parsed.repeat),
    engines,
    partitions: positiveInt('partitions', parsed.partitions),
    batch: positiveInt('batch', parsed.batch),
    inflight: positiveInt('inflight', parsed.inflight),
    acks: parsed.acks,
    compression: parsed.compression,
    preset: parsed.preset,
    chart: parsed.chart,
    scenario: parsed.scenario,
    schedule: withEnd(steps, duration),
    duration,
    brokers: parsed.brokers,
    replication: positiveInt('replication', parsed.replication),
    json: parsed.json,
    consumerSet,
  }
}

/** host:port lists pass through; anything else names a cluster that scripts/kafka.js started. */
function resolveBrokers(value) {
  if (/^[\w.-]+:\d+(,[\w.-]+:\d+)*$/.test(value)) return value
  let readCluster
  try {
    ;({ readCluster } = require('../scripts/kafka.js'))
  } catch {
    throw new UsageError(`--brokers ${value}: cluster names work in the turbokafka repository only; give host:port`)
  }
  const cluster = /^[\w-]+$/.test(value) ? readCluster(value) : undefined
  if (!cluster) throw new UsageError(`--brokers ${value}: neither host:port nor a running cluster (start one with npm run kafka:start)`)
  return cluster.bootstrapServers
}

/**
 * Producer settings shared by the C baseline and turbokafka, so only the engine differs: the
 * preset's keys, then the bench's batching (for the throughput preset), acks and compression.
 */
function producerConfig(opts) {
  const { PRESETS: presets } = require('../dist/cjs/config.js')
  const config = Object.fromEntries(Object.entries(presets[opts.preset]).map(([k, v]) => [k, String(v)]))
  if (opts.preset === 'throughput') {
    Object.assign(config, {
      'linger.ms': '5',
      'batch.num.messages': '10000',
      'batch.size': '1000000',
      'queue.buffering.max.messages': '1000000',
      'queue.buffering.max.kbytes': '1048576',
    })
  }
  if (opts.preset !== 'durable') Object.assign(config, { acks: opts.acks, 'enable.idempotence': 'false' })
  config['compression.type'] = opts.compression
  return config
}

/**
 * Consumer settings for the C baseline and turbokafka: turbokafka's defaults, given to both, for a
 * client on librdkafka `version` (the C baseline's may differ from the addon's).
 */
function consumerConfig(version, set = {}) {
  const { fetchPacing } = require('../dist/cjs/engines/native/consumer.js')
  return {
    // What turbokafka's native engine adds on librdkafka `version` (lib/engines/native/consumer.ts).
    ...fetchPacing(version, set),
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': 'false',
    'enable.partition.eof': 'false',
    ...set, // --consumer-set
  }
}

/**
 * The same for turbokafka's kafkajs engine, which refuses librdkafka keys it cannot honour: the
 * fetch sizes are librdkafka's defaults, stated so that kafkajs uses them too.
 */
function kafkajsConsumerConfig() {
  return { 'auto.offset.reset': 'earliest', 'enable.auto.commit': 'false', 'fetch.max.bytes': '52428800', 'max.partition.fetch.bytes': '1048576' }
}

/**
 * e2e: a 1 ms linger (at 0 every message becomes a request of its own, more than the mock cluster
 * keeps up with at 10k msg/s on this machine), and an idle fetch comes back within 10 ms.
 */
function e2eConfigs(opts, version) {
  return {
    producer: { acks: opts.acks, 'enable.idempotence': 'false', 'linger.ms': '1', 'socket.nagle.disable': 'true', 'compression.type': 'none' },
    consumer: { ...consumerConfig(version), 'fetch.wait.max.ms': '10', 'socket.nagle.disable': 'true', ...opts.consumerSet },
    kafkajsConsumer: { ...kafkajsConsumerConfig(), 'fetch.wait.max.ms': '10', 'socket.nagle.disable': 'true' },
  }
}

const keyValues = (config) => Object.entries(config).map(([k, v]) => `${k}=${v}`)

/** Runs one trial process and returns the JSON object its last stdout line holds. */
function spawnTrial(what, cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024, env })
  const last = r.stdout?.trim().split('\n').pop()
  if (r.status !== 0 || !last) throw new Error(`${what} failed (${r.signal ?? r.status}):\n${r.stderr}`)
  return JSON.parse(last)
}

function nodeTrial(what, script, spec) {
  // NODE_PATH lets a trial's require() find the peers in PEERS_DIR.
  const env = { ...process.env, NODE_PATH: path.join(PEERS_DIR, 'node_modules') }
  return spawnTrial(what, process.execPath, [path.join(__dirname, 'trials', script), JSON.stringify(spec)], env)
}

function scaled(opts, engine, size) {
  const base = size >= 1024 ? Math.max(1, Math.floor(opts.messages / 4)) : opts.messages
  return engine.startsWith('kafkajs') ? Math.max(Math.min(base, opts.batch), Math.floor(base * opts.kafkajsShare)) : base
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/**
 * Progress on stderr: a bar (cli-progress) on a terminal outside CI, otherwise one line per trial.
 * `step(line)` marks one trial done.
 */
function makeProgress(opts) {
  const total = opts.workloads.reduce((n, w) => n + opts.repeat * opts.sizes.length * enginesOf(opts, w).length, 0)
  let bar
  if (process.stderr.isTTY && !process.env.CI) {
    try {
      const { SingleBar, Presets } = require('cli-progress')
      bar = new SingleBar({ stream: process.stderr, format: 'bench {bar} {value}/{total} trials | {last}', hideCursor: true }, Presets.shades_classic)
      bar.start(total, 0, { last: '' })
    } catch {
      bar = undefined // cli-progress is a development dependency; without it, plain lines
    }
  }
  return {
    step(line) {
      if (bar) bar.increment({ last: line })
      else console.error(`bench: ${line}`)
    },
    stop() {
      bar?.stop()
    },
  }
}

/** kafkajs compresses with gzip only, unless the application installs a codec package. */
const kafkajsLacksCodec = (opts) => !['none', 'gzip'].includes(opts.compression)

function enginesOf(opts, workload) {
  return opts.engines.filter((e) => {
    const def = WORKLOADS[workload].engines[e]
    if (!def) return false
    if (def.peer && !peerAvailable(def.peer)) return false
    return !(e.startsWith('kafkajs') && workload === 'produce' && kafkajsLacksCodec(opts))
  })
}

/** Trials of a workload that runs every engine at every size: engines alternate, repeats last. */
function planTrials(opts, engines) {
  const plan = []
  for (let r = 0; r < opts.repeat; r++) for (const size of opts.sizes) for (const engine of engines) plan.push({ engine, size })
  return plan
}

async function runProduce(ctx) {
  const { opts, broker } = ctx
  const trials = []
  for (const { engine, size } of planTrials(opts, enginesOf(opts, 'produce'))) {
    const def = WORKLOADS.produce.engines[engine]
    const messages = scaled(opts, engine, size)
    const topic = ctx.topic('produce')
    await broker.createTopic(topic, opts.partitions)
    const config = producerConfig(opts)
    const result = def.c
      ? spawnTrial(`produce ${engine}`, ctx.c.file, [def.c, broker.bootstrapServers, topic, String(messages), String(size), def.mode, ...keyValues(config)])
      : nodeTrial(`produce ${engine}`, def.script, {
          bootstrapServers: broker.bootstrapServers, topic, messages, size, batch: opts.batch, inflight: opts.inflight,
          acks: opts.acks, engine: def.engine, form: def.form, preset: opts.preset, compression: opts.compression, config,
        })
    await broker.deleteTopic(topic)
    if (result.delivered + result.failed !== messages) {
      throw new Error(`produce ${engine}: ${result.delivered} delivered + ${result.failed} failed != ${messages} sent`)
    }
    if (result.failed > 0) throw new Error(`produce ${engine}: ${result.failed} messages failed (${result.firstError})`)
    const t = { workload: 'produce', engine, size, messages, ...result, msgPerSec: result.delivered / result.seconds }
    trials.push(t)
    ctx.step(`produce ${engine} ${size} B: ${fmt(t.msgPerSec)} msg/s delivered`)
  }
  return trials
}

async function runConsume(ctx) {
  const { opts, broker } = ctx
  const engines = enginesOf(opts, 'consume')
  const trials = []
  for (const size of opts.sizes) {
    const messages = scaled(opts, 'c', size)
    const partitions = partitionsToHold(broker, messages, size, opts.partitions)
    const topic = ctx.topic('consume')
    await broker.createTopic(topic, partitions)
    const fill = ctx.c.file
      ? spawnTrial('filling the consume topic', ctx.c.file, [
          'producer', broker.bootstrapServers, topic, String(messages), String(size), 'fill', ...keyValues(producerConfig(opts)),
        ])
      : nodeTrial('filling the consume topic', 'produce-turbokafka.js', {
          bootstrapServers: broker.bootstrapServers, topic, messages, size, batch: opts.batch, inflight: opts.inflight,
          acks: opts.acks, engine: 'native', form: 'fill', partitions, preset: opts.preset, compression: opts.compression,
          config: producerConfig(opts),
        })
    if (fill.delivered !== messages) throw new Error(`filling ${topic}: ${fill.delivered} of ${messages} delivered`)
    const plan = []
    for (let r = 0; r < opts.repeat; r++) for (const engine of engines) plan.push(engine)
    for (const [i, engine] of plan.entries()) {
      const def = WORKLOADS.consume.engines[engine]
      const group = `${topic}-g${i}`
      const result = def.c
        ? spawnTrial(`consume ${engine}`, ctx.c.file, [def.c, broker.bootstrapServers, topic, String(messages), group, def.mode, ...keyValues(consumerConfig(ctx.c.librdkafka, opts.consumerSet))])
        : nodeTrial(`consume ${engine}`, def.script, {
            bootstrapServers: broker.bootstrapServers, topic, group, messages, batch: opts.batch, engine: def.engine,
            config: def.engine === 'kafkajs' ? kafkajsConsumerConfig() : consumerConfig(ctx.addon.librdkafka, opts.consumerSet),
          })
      // The topic holds exactly `messages`: fewer read is loss, more is a message read twice.
      if (result.received !== messages) throw new Error(`consume ${engine}: ${result.received} messages read from a topic of ${messages}`)
      if (result.bytes !== result.received * size) throw new Error(`consume ${engine}: ${result.bytes} bytes for ${result.received} messages of ${size} B`)
      if (result.received - result.first < messages / 2) {
        throw new Error(`consume ${engine}: ${result.first} of ${result.received} messages came in the first call; use more --messages`)
      }
      const t = { workload: 'consume', engine, size, partitions, messages, ...result, msgPerSec: (result.received - result.first) / result.seconds }
      trials.push(t)
      ctx.step(`consume ${engine} ${size} B: ${fmt(t.msgPerSec)} msg/s`)
    }
    await broker.deleteTopic(topic)
  }
  return trials
}

async function runE2e(ctx) {
  const { opts, broker } = ctx
  const configs = e2eConfigs(opts, ctx.addon.librdkafka)
  const cConfigs = ctx.c.file ? e2eConfigs(opts, ctx.c.librdkafka) : configs
  const warmup = Math.min(1, opts.duration / 10)
  const trials = []
  for (const { engine, size } of planTrials(opts, enginesOf(opts, 'e2e'))) {
    const def = WORKLOADS.e2e.engines[engine]
    const topic = ctx.topic('e2e')
    await broker.createTopic(topic, opts.partitions)
    const result = def.c
      ? spawnTrial(`e2e ${engine}`, ctx.c.file, [
          def.c, broker.bootstrapServers, topic, String(opts.partitions), String(size), scheduleArg(opts.schedule), String(warmup),
          ...keyValues(cConfigs.producer), '--', ...keyValues(cConfigs.consumer),
        ])
      : nodeTrial(`e2e ${engine}`, def.script, {
          bootstrapServers: broker.bootstrapServers, topic, partitions: opts.partitions, size, schedule: opts.schedule, warmup,
          acks: opts.acks, preset: 'latency', engine: def.engine, producerConfig: configs.producer,
          consumerConfig: def.engine === 'kafkajs' ? configs.kafkajsConsumer : configs.consumer,
        })
    await broker.deleteTopic(topic)
    if (result.failed > 0 || result.received !== result.sent || result.duplicates !== 0) {
      throw new Error(`e2e ${engine}: sent ${result.sent}, failed ${result.failed}, received ${result.received}, duplicates ${result.duplicates}`)
    }
    const t = { workload: 'e2e', engine, size, ...result, msgPerSec: result.received / result.seconds }
    trials.push(t)
    ctx.step(`e2e ${engine} ${size} B: p50 ${fmt(t.p50, 2)} ms, p99 ${fmt(t.p99, 2)} ms`)
  }
  return trials
}

function summarize(opts, workload, trials) {
  const out = []
  const { engines, baselines } = WORKLOADS[workload]
  for (const size of opts.sizes) {
    const med = {}
    for (const engine of enginesOf(opts, workload)) {
      const ts = trials.filter((t) => t.engine === engine && t.size === size)
      if (ts.length === 0) continue
      const m = (f) => median(ts.map(f))
      const count = (t) => t.delivered ?? t.received
      med[engine] = {
        workload,
        engine,
        label: engines[engine].label,
        size,
        msgPerSec: m((t) => t.msgPerSec),
        mbPerSec: (m((t) => t.msgPerSec) * size) / 1e6,
        cpuSecondsPerMillion: m((t) => (t.cpuSeconds / count(t)) * 1e6),
        peakRssMB: Math.max(...ts.map((t) => t.peakRssMB)),
      }
      if (workload === 'e2e') for (const p of ['p50', 'p95', 'p99', 'p999', 'max']) med[engine][p] = m((t) => t[p])
    }
    for (const s of Object.values(med)) {
      s.ratios = {}
      for (const b of Object.keys(baselines)) if (med[b]) s.ratios[b] = s.msgPerSec / med[b].msgPerSec
      out.push(s)
    }
  }
  return out
}

function report(opts, workload, summary, brokerLabel) {
  if (workload === 'e2e') {
    const rate = opts.schedule.length === 2 ? `${fmt(opts.schedule[0].rate)} msg/s` : `pattern ${scheduleArg(opts.schedule)}`
    console.log(`End-to-end latency in ms (due-to-send time to consumed), ${rate} for ${opts.duration} s, acks=${opts.acks}, median of ${opts.repeat}`)
  } else {
    const what = workload === 'produce' ? `Producer, acks=${opts.acks}, delivered (acknowledged) messages per second` : 'Consumer, messages per second read from a pre-filled topic (first message to last)'
    console.log(`${what}, median of ${opts.repeat}`)
    const set = Object.entries(opts.consumerSet ?? {})
    if (workload !== 'produce' && set.length > 0) console.log(`Consumer settings (--consumer-set): ${set.map(([k, v]) => `${k}=${v}`).join(', ')}`)
  }
  console.log(`Broker: ${brokerLabel}\n`)
  console.log(workloadTable(workload, summary))
}

const log = (line) => console.error(`bench: ${line}`)

/** One run of the options' workloads against one broker; prints the tables, returns the results. */
/** The C baseline for this run, or the engines without it (one line says what is missing). */
function withCBaseline(opts, addon) {
  const isC = (e) => Object.values(WORKLOADS).some((w) => w.engines[e]?.c)
  if (!opts.engines.some(isC) && !opts.workloads.includes('consume')) return { opts, c: {} }
  const found = cBaseline.locate(addon)
  if (found.file) {
    log(`C baseline: ${path.relative(root, found.file)} (librdkafka ${found.librdkafka}, ${found.how})`)
    return { opts, c: found }
  }
  log(found.missing)
  return { opts: { ...opts, engines: opts.engines.filter((e) => !isC(e)) }, c: {} }
}

async function runOnce(requested) {
  const bootstrap = requested.brokers === undefined ? undefined : resolveBrokers(requested.brokers)
  const { nativeBuild } = require('../dist/cjs/index.js')
  const addon = nativeBuild()
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, librdkafka ${addon.librdkafka} (${addon.linkage === 'static' ? 'linked into the addon' : 'system library'})`
  const { opts, c } = withCBaseline(requested, addon)
  const broker = bootstrap ? await connectReal(bootstrap, opts.replication) : await startMock()
  log(`broker: ${broker.label}`)
  if (opts.engines.includes('kafkajs') && opts.workloads.includes('produce') && kafkajsLacksCodec(opts)) {
    log(`kafkajs produce trials skipped: kafkajs needs a codec package for ${opts.compression}`)
  }
  log(`${machine}; the broker shares these cores`)
  const wantedPeers = Object.values(WORKLOADS).flatMap((w) => opts.engines.map((e) => w.engines[e]?.peer).filter(Boolean))
  for (const name of new Set(wantedPeers)) {
    if (peerAvailable(name)) log(`${name} (peer, librdkafka ${peers[name]}) is installed and runs`)
    else log(`${name}: not installed in ${path.relative(process.cwd(), PEERS_DIR) || '.'}, skipped (a peer: npm install --prefix bench ${name} to compare)`)
  }
  let n = 0
  const progress = makeProgress(opts)
  const ctx = {
    opts,
    broker,
    step: progress.step,
    c,
    addon,
    topic: (workload) => `bench-${workload}-${process.pid}-${n++}`,
  }
  const results = { machine, broker: broker.label, options: opts, trials: [], summary: {} }
  try {
    const runners = { produce: runProduce, consume: runConsume, e2e: runE2e }
    for (const w of opts.workloads) {
      const trials = await runners[w](ctx)
      results.trials.push(...trials)
      results.summary[w] = summarize(opts, w, trials)
    }
  } finally {
    progress.stop()
    await broker.close()
  }
  console.log(`Machine: ${machine}; the broker shares these cores`)
  for (const w of opts.workloads) {
    console.log('')
    report(opts, w, results.summary[w], broker.label)
  }
  return results
}

function write(file, text) {
  fs.writeFileSync(file, text)
  log(`wrote ${file}`)
}

async function main(argv) {
  const opts = parseOptions(argv)
  if (opts.help) {
    process.stdout.write(HELP)
    return 0
  }
  if (opts.scenario === undefined) {
    const results = await runOnce(opts)
    if (opts.json) write(opts.json, JSON.stringify(results, null, 2))
    if (opts.chart) write(opts.chart, renderChart(results))
    return 0
  }
  // Scenarios: each one's options, then the command line's (which win), parsed like any run.
  const { loadScenarios, evaluateTargets } = require('./scenario.js')
  let scenarios
  try {
    scenarios = loadScenarios(opts.scenario)
  } catch (err) {
    throw new UsageError(err.message)
  }
  const rest = argv.filter((a, i) => !a.startsWith('--scenario') && argv[i - 1] !== '--scenario')
  const planned = scenarios.map((sc) => {
    try {
      return { ...sc, opts: parseOptions([...sc.argv, ...rest]) }
    } catch (err) {
      throw new UsageError(`scenario ${sc.name}: ${err.message}`)
    }
  })
  const all = []
  let unmet = 0
  for (const sc of planned) {
    console.log(`\n## Scenario ${sc.name}\n`)
    const results = await runOnce(sc.opts)
    results.scenario = sc.name
    results.targets = evaluateTargets(sc.targets, results.summary)
    if (results.targets.length > 0) {
      console.log('\nTargets:')
      for (const t of results.targets) {
        const got = t.measured.length ? t.measured.map((v) => fmt(v, 2)).join(', ') : 'not measured'
        console.log(`- ${t.met ? 'met' : 'NOT met'}: ${t.label} (measured ${got})`)
        if (!t.met) unmet++
      }
    }
    if (opts.chart) write(opts.chart.replace(/\.svg$/, `-${sc.name}.svg`), renderChart(results))
    all.push(results)
  }
  if (opts.json) write(opts.json, JSON.stringify({ scenarios: all }, null, 2))
  return unmet > 0 ? 3 : 0
}

module.exports = { parseOptions, resolveBrokers, UsageError }

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  }, (err) => {
    if (err instanceof UsageError) {
      console.error(`bench: ${err.message}\n\n${HELP}`)
      process.exit(2)
    }
    console.error(`bench: ${err.message}`)
    process.exit(1)
  })
}
