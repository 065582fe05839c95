'use strict'
// The bench's command line: the options, their checks and the usage text (bench/run.js runs them).
const { parseArgs } = require('node:util')

const { parsePattern, withEnd } = require('./schedule.js')
const { WORKLOADS } = require('./workloads.js')

class UsageError extends Error {}

const HELP = `usage: npm run bench -- [options]

  --workloads LIST    produce,consume,e2e (default: all three), and txn: the transactional
                      producer against the C baseline doing the same, begin / N messages / commit
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
  --txn-every LIST    txn: messages per transaction, one trial set each (default 1000,10000,100000;
                      the first --sizes value)
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
  --metrics-port N    serve /metrics on 127.0.0.1:N during the turbokafka trials: the trial's
                      delivered and read messages, its rate, e2e latency quantiles, and its
                      clients' own metrics (consumer lag included)
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
  only when named: kafkajs-direct (kafkajs itself: send, eachBatch), for what the engine's layer costs;
           native-observed (produce, consume: native with its metrics scraped every second and a
           subscriber on every diagnostics channel), for what observing costs; compat-send and
           kafkajs-send (produce: kafkajs's send() of one message, 1,000 outstanding, on
           turbokafka/kafkajs and on kafkajs), compat-each and kafkajs-each (consume: eachMessage)
  peers    node-rdkafka (produce, consume) when installed where the bench can require it
           (npm install --prefix bench node-rdkafka); skipped with a note otherwise
`

function positiveInt(name, v) {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive integer (got ${JSON.stringify(v)})`)
  return n
}

function positiveNumber(name, v) {
  const n = Number(v)
  if (!(n > 0) || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a positive number (got ${JSON.stringify(v)})`)
  return n
}

function port(v) {
  const n = positiveInt('metrics-port', v)
  if (n > 65535) throw new UsageError(`--metrics-port must be a TCP port (got ${v})`)
  return n
}

function list(value) {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** @satisfies {import('node:util').ParseArgsConfig['options']} */
const OPTIONS = {
  workloads: { type: 'string', default: 'produce,consume,e2e' },
  sizes: { type: 'string' },
  size: { type: 'string' },
  messages: { type: 'string', default: '2000000' },
  'kafkajs-share': { type: 'string', default: '0.1' },
  repeat: { type: 'string', default: '3' },
  engines: { type: 'string' },
  partitions: { type: 'string', default: '1' },
  'txn-every': { type: 'string', default: '1000,10000,100000' },
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
  'metrics-port': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
}

/** The workloads and engines asked for, each checked against WORKLOADS. */
function parseSelection(parsed) {
  const workloads = list(parsed.workloads)
  for (const w of workloads)
    if (!WORKLOADS[w]) throw new UsageError(`unknown workload "${w}" (known: ${Object.keys(WORKLOADS).join(', ')})`)
  const all = Object.values(WORKLOADS).flatMap((w) => Object.entries(w.engines))
  const known = new Set(all.map(([name]) => name))
  // Optional engines run only when named: kafkajs-direct measures what the kafkajs engine's layer costs.
  const defaults = new Set(all.filter(([, def]) => !def.optional).map(([name]) => name))
  const engines = parsed.engines === undefined ? [...defaults] : list(parsed.engines)
  for (const e of engines)
    if (!known.has(e)) throw new UsageError(`unknown engine "${e}" (known: ${[...known].join(', ')})`)
  return { workloads, engines }
}

/** The client settings: acks, compression and preset take the values the library does. */
function checkClientChoices(parsed) {
  // The library's own lists (built into dist/ by npm run bench), so the bench cannot drift from them.
  const { COMPRESSION_TYPES, PRESETS } = require('../dist/cjs/config.js')
  const presets = Object.keys(PRESETS)
  if (parsed.acks !== '1' && parsed.acks !== 'all') throw new UsageError(`--acks must be 1 or all (got ${parsed.acks})`)
  if (!COMPRESSION_TYPES.includes(parsed.compression)) {
    throw new UsageError(`--compression must be one of ${COMPRESSION_TYPES.join(', ')} (got ${parsed.compression})`)
  }
  if (!presets.includes(parsed.preset))
    throw new UsageError(`--preset must be one of ${presets.join(', ')} (got ${parsed.preset})`)
  if (parsed.preset === 'durable' && parsed.acks !== 'all')
    throw new UsageError('--preset durable is idempotent and needs --acks all')
}

/** The e2e send schedule: one --rate, or the steps of a --traffic-pattern. */
function parseSteps(parsed) {
  if (parsed.rate !== undefined && parsed['traffic-pattern'] !== undefined) {
    throw new UsageError('--rate and --traffic-pattern exclude each other')
  }
  try {
    return parsed['traffic-pattern'] !== undefined
      ? parsePattern(parsed['traffic-pattern'])
      : [{ start: 0, rate: positiveNumber('rate', parsed.rate ?? '10000') }]
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError(`--traffic-pattern: ${err.message}`)
  }
}

/** librdkafka consumer settings over the bench's, for the C consumers and the native engine. */
function parseConsumerSet(value) {
  const consumerSet = {}
  for (const pair of value === undefined ? [] : list(value)) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--consumer-set takes key=value pairs separated by commas (got "${pair}")`)
    consumerSet[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return consumerSet
}

function parseSizes(parsed, workloads) {
  if (parsed.size !== undefined && parsed.sizes !== undefined)
    throw new UsageError('--size and --sizes exclude each other')
  const sizes =
    parsed.size !== undefined
      ? [positiveInt('size', parsed.size)]
      : list(parsed.sizes ?? '100,1024').map((s) => positiveInt('sizes', s))
  if (workloads.includes('e2e') && sizes.some((s) => s < 16)) {
    throw new UsageError('e2e needs values of at least 16 bytes (a send time and a sequence number)')
  }
  return sizes
}

/** The options of one run, checked; a UsageError says what is wrong with them. */
function parseOptions(argv) {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true }).values
  } catch (err) {
    throw new UsageError(err.message)
  }
  if (parsed.help) return { help: true }
  const { workloads, engines } = parseSelection(parsed)
  const share = Number(parsed['kafkajs-share'])
  if (!(share > 0 && share <= 1))
    throw new UsageError(`--kafkajs-share must be in (0, 1] (got ${parsed['kafkajs-share']})`)
  checkClientChoices(parsed)
  if (parsed.chart !== undefined && !parsed.chart.endsWith('.svg'))
    throw new UsageError(`--chart writes SVG: give a .svg file (got ${parsed.chart})`)
  if (parsed.replication !== '1' && parsed.brokers === undefined) {
    throw new UsageError('--replication needs --brokers (the mock cluster has one broker)')
  }
  const steps = parseSteps(parsed)
  const duration = positiveNumber('duration', parsed.duration)
  return {
    workloads,
    sizes: parseSizes(parsed, workloads),
    messages: positiveInt('messages', parsed.messages),
    kafkajsShare: share,
    repeat: positiveInt('repeat', parsed.repeat),
    engines,
    partitions: positiveInt('partitions', parsed.partitions),
    txnEvery: list(parsed['txn-every']).map((n) => positiveInt('txn-every', n)),
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
    consumerSet: parseConsumerSet(parsed['consumer-set']),
    metricsPort: parsed['metrics-port'] === undefined ? undefined : port(parsed['metrics-port']),
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
  if (!cluster)
    throw new UsageError(
      `--brokers ${value}: neither host:port nor a running cluster (start one with npm run kafka:start)`,
    )
  return cluster.bootstrapServers
}

module.exports = { HELP, parseOptions, resolveBrokers, UsageError }
