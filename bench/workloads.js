'use strict'
// The bench's workloads: what each engine runs (WORKLOADS), the client settings every engine of a
// workload shares, and the loops that run one workload's trials, each trial a process of its own
// (bench/trials/*.js, or the C baseline).
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const { partitionsToHold } = require('./broker.js')
const { fmt } = require('./chart.js')
const { BASELINES } = require('./report.js')
const { scheduleArg } = require('./schedule.js')

const WORKLOADS = {
  produce: {
    engines: {
      c: { label: 'C librdkafka, producev per message', c: 'producer', mode: 'producev' },
      'c-batch': { label: 'C librdkafka, produce_batch', c: 'producer', mode: 'batch' },
      native: {
        label: 'turbokafka produceBatch(Buffer[])',
        script: 'produce-turbokafka.js',
        engine: 'native',
        form: 'array',
      },
      'native-observed': {
        label: 'turbokafka produceBatch(Buffer[]), observed',
        script: 'produce-turbokafka.js',
        engine: 'native',
        form: 'array',
        observe: true,
        optional: true,
      },
      'native-packed': {
        label: 'turbokafka produceBatch(packed)',
        script: 'produce-turbokafka.js',
        engine: 'native',
        form: 'packed',
      },
      kafkajs: {
        label: 'turbokafka engine kafkajs, produceBatch(Buffer[])',
        script: 'produce-turbokafka.js',
        engine: 'kafkajs',
        form: 'array',
      },
      'kafkajs-direct': {
        label: 'kafkajs producer.send, no turbokafka',
        script: 'produce-kafkajs-direct.js',
        optional: true,
      },
      'compat-send': {
        label: 'turbokafka/kafkajs send() of one message',
        script: 'kafkajs-api.js',
        lib: 'compat',
        optional: true,
      },
      'kafkajs-send': {
        label: 'kafkajs send() of one message, no turbokafka',
        script: 'kafkajs-api.js',
        lib: 'kafkajs',
        optional: true,
      },
      'node-rdkafka': {
        label: 'node-rdkafka produce, delivery reports',
        script: 'produce-node-rdkafka.js',
        peer: 'node-rdkafka',
      },
    },
    baselines: BASELINES.produce,
  },
  // Transactional producing: begin, --txn-every messages, commit, over and over; idempotent and
  // acks=all whatever --preset says (transactions require both).
  txn: {
    engines: {
      c: { label: 'C librdkafka, producev in transactions', c: 'producer', mode: 'txn' },
      native: {
        label: 'turbokafka produceBatch in transactions',
        script: 'produce-turbokafka.js',
        engine: 'native',
        form: 'array',
      },
    },
    baselines: BASELINES.txn,
  },
  consume: {
    engines: {
      c: { label: 'C librdkafka, consumer_poll per message', c: 'consumer', mode: 'poll' },
      'c-batch': { label: 'C librdkafka, consume_batch_queue', c: 'consumer', mode: 'batch' },
      native: { label: 'turbokafka consumeBatch', script: 'consume-turbokafka.js', engine: 'native' },
      'native-observed': {
        label: 'turbokafka consumeBatch, observed',
        script: 'consume-turbokafka.js',
        engine: 'native',
        observe: true,
        optional: true,
      },
      kafkajs: { label: 'turbokafka engine kafkajs, consumeBatch', script: 'consume-turbokafka.js', engine: 'kafkajs' },
      'kafkajs-direct': {
        label: 'kafkajs eachBatch, no turbokafka',
        script: 'kafkajs-api.js',
        lib: 'kafkajs',
        handler: 'batch',
        optional: true,
      },
      'compat-each': {
        label: 'turbokafka/kafkajs eachMessage',
        script: 'kafkajs-api.js',
        lib: 'compat',
        optional: true,
      },
      'kafkajs-each': {
        label: 'kafkajs eachMessage, no turbokafka',
        script: 'kafkajs-api.js',
        lib: 'kafkajs',
        optional: true,
      },
      'node-rdkafka': { label: 'node-rdkafka consume(batch)', script: 'consume-node-rdkafka.js', peer: 'node-rdkafka' },
    },
    baselines: BASELINES.consume,
  },
  e2e: {
    engines: {
      c: { label: 'C librdkafka, producev + consumer_poll', c: 'e2e' },
      native: { label: 'turbokafka produceBatch + consumeBatch', script: 'e2e-turbokafka.js', engine: 'native' },
      kafkajs: {
        label: 'turbokafka engine kafkajs, produceBatch + consumeBatch',
        script: 'e2e-turbokafka.js',
        engine: 'kafkajs',
      },
      'kafkajs-direct': {
        label: 'kafkajs send + eachBatch, no turbokafka',
        script: 'e2e-kafkajs-direct.js',
        optional: true,
      },
    },
    baselines: BASELINES.e2e,
  },
}

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
  return {
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': 'false',
    'fetch.max.bytes': '52428800',
    'max.partition.fetch.bytes': '1048576',
  }
}

/**
 * e2e: a 1 ms linger (at 0 every message becomes a request of its own, more than the mock cluster
 * keeps up with at 10k msg/s on this machine), and an idle fetch comes back within 10 ms.
 */
function e2eConfigs(opts, version) {
  return {
    producer: {
      acks: opts.acks,
      'enable.idempotence': 'false',
      'linger.ms': '1',
      'socket.nagle.disable': 'true',
      'compression.type': 'none',
    },
    consumer: {
      ...consumerConfig(version),
      'fetch.wait.max.ms': '10',
      'socket.nagle.disable': 'true',
      ...opts.consumerSet,
    },
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
  return engine.startsWith('kafkajs')
    ? Math.max(Math.min(base, opts.batch), Math.floor(base * opts.kafkajsShare))
    : base
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
  for (let r = 0; r < opts.repeat; r++)
    for (const size of opts.sizes) for (const engine of engines) plan.push({ engine, size })
  return plan
}

/** The C baseline's producer arguments: a role, where, how many of what size, a mode, the settings. */
function cProducerArgs(ctx, role, topic, messages, size, mode) {
  const { opts, broker } = ctx
  return [
    role,
    broker.bootstrapServers,
    topic,
    String(messages),
    String(size),
    mode,
    ...keyValues(producerConfig(opts)),
  ]
}

/** What bench/trials/produce-turbokafka.js (and the kafkajs-direct trial) are told to send. */
function producerSpec(ctx, topic, messages, size, engine, form, observe = false) {
  const { opts, broker } = ctx
  return {
    observe,
    metricsPort: opts.metricsPort,
    bootstrapServers: broker.bootstrapServers,
    topic,
    messages,
    size,
    batch: opts.batch,
    inflight: opts.inflight,
    acks: opts.acks,
    engine,
    form,
    preset: opts.preset,
    compression: opts.compression,
    config: producerConfig(opts),
  }
}

async function runProduce(ctx) {
  const { opts, broker } = ctx
  const trials = []
  for (const { engine, size } of planTrials(opts, enginesOf(opts, 'produce'))) {
    const def = WORKLOADS.produce.engines[engine]
    const messages = scaled(opts, engine, size)
    const topic = ctx.topic('produce')
    await broker.createTopic(topic, opts.partitions)
    const result = def.c
      ? spawnTrial(`produce ${engine}`, ctx.c.file, cProducerArgs(ctx, def.c, topic, messages, size, def.mode))
      : nodeTrial(`produce ${engine}`, def.script, {
          ...producerSpec(ctx, topic, messages, size, def.engine, def.form, def.observe),
          lib: def.lib,
          ...(def.lib ? { inflight: 1000 } : {}), // one message per send(), 1,000 outstanding
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

/** Fills a consume trial's topic with exactly `messages` (C baseline if built, else the native engine). */
function fillTopic(ctx, topic, messages, size, partitions) {
  const fill = ctx.c.file
    ? spawnTrial('filling the consume topic', ctx.c.file, cProducerArgs(ctx, 'producer', topic, messages, size, 'fill'))
    : nodeTrial('filling the consume topic', 'produce-turbokafka.js', {
        ...producerSpec(ctx, topic, messages, size, 'native', 'fill'),
        partitions,
      })
  if (fill.delivered !== messages) throw new Error(`filling ${topic}: ${fill.delivered} of ${messages} delivered`)
}

/** One engine reads the whole filled topic in a group of its own; checks it read each message once. */
function readTopic(ctx, engine, topic, group, messages, size) {
  const { opts, broker } = ctx
  const def = WORKLOADS.consume.engines[engine]
  const result = def.c
    ? spawnTrial(`consume ${engine}`, ctx.c.file, [
        def.c,
        broker.bootstrapServers,
        topic,
        String(messages),
        group,
        def.mode,
        ...keyValues(consumerConfig(ctx.c.librdkafka, opts.consumerSet)),
      ])
    : nodeTrial(`consume ${engine}`, def.script, {
        mode: 'consume',
        lib: def.lib,
        handler: def.handler,
        observe: def.observe === true,
        metricsPort: opts.metricsPort,
        bootstrapServers: broker.bootstrapServers,
        topic,
        group,
        messages,
        batch: opts.batch,
        engine: def.engine,
        config:
          def.engine === 'kafkajs' ? kafkajsConsumerConfig() : consumerConfig(ctx.addon.librdkafka, opts.consumerSet),
      })
  // The topic holds exactly `messages`: fewer read is loss, more is a message read twice.
  if (result.received !== messages)
    throw new Error(`consume ${engine}: ${result.received} messages read from a topic of ${messages}`)
  if (result.bytes !== result.received * size)
    throw new Error(`consume ${engine}: ${result.bytes} bytes for ${result.received} messages of ${size} B`)
  if (result.received - result.first < messages / 2) {
    throw new Error(
      `consume ${engine}: ${result.first} of ${result.received} messages came in the first call; use more --messages`,
    )
  }
  return result
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
    fillTopic(ctx, topic, messages, size, partitions)
    const plan = []
    for (let r = 0; r < opts.repeat; r++) for (const engine of engines) plan.push(engine)
    for (const [i, engine] of plan.entries()) {
      const result = readTopic(ctx, engine, topic, `${topic}-g${i}`, messages, size)
      const msgPerSec = (result.received - result.first) / result.seconds
      trials.push({ workload: 'consume', engine, size, partitions, messages, ...result, msgPerSec })
      ctx.step(`consume ${engine} ${size} B: ${fmt(msgPerSec)} msg/s`)
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
          def.c,
          broker.bootstrapServers,
          topic,
          String(opts.partitions),
          String(size),
          scheduleArg(opts.schedule),
          String(warmup),
          ...keyValues(cConfigs.producer),
          '--',
          ...keyValues(cConfigs.consumer),
        ])
      : nodeTrial(`e2e ${engine}`, def.script, {
          metricsPort: opts.metricsPort,
          bootstrapServers: broker.bootstrapServers,
          topic,
          partitions: opts.partitions,
          size,
          schedule: opts.schedule,
          warmup,
          acks: opts.acks,
          preset: 'latency',
          engine: def.engine,
          producerConfig: configs.producer,
          consumerConfig: def.engine === 'kafkajs' ? configs.kafkajsConsumer : configs.consumer,
        })
    await broker.deleteTopic(topic)
    if (result.failed > 0 || result.received !== result.sent || result.duplicates !== 0) {
      throw new Error(
        `e2e ${engine}: sent ${result.sent}, failed ${result.failed}, received ${result.received}, duplicates ${result.duplicates}`,
      )
    }
    const t = { workload: 'e2e', engine, size, ...result, msgPerSec: result.received / result.seconds }
    trials.push(t)
    ctx.step(`e2e ${engine} ${size} B: p50 ${fmt(t.p50, 2)} ms, p99 ${fmt(t.p99, 2)} ms`)
  }
  return trials
}

/** The transactional settings both engines add to the producer's (a fresh transactional.id per trial). */
function txnConfig(ctx, topic) {
  const config = { ...producerConfig(ctx.opts), 'enable.idempotence': 'true', acks: 'all' }
  config['transactional.id'] = `bench-${topic}`
  return config
}

async function runTxn(ctx) {
  const { opts, broker } = ctx
  const size = opts.sizes[0]
  const trials = []
  for (let r = 0; r < opts.repeat; r++) {
    for (const every of opts.txnEvery) {
      for (const engine of enginesOf(opts, 'txn')) {
        const def = WORKLOADS.txn.engines[engine]
        const messages = Math.max(opts.messages, every)
        const topic = ctx.topic('txn')
        await broker.createTopic(topic, opts.partitions)
        const config = txnConfig(ctx, topic)
        const result = def.c
          ? spawnTrial(`txn ${engine}`, ctx.c.file, [
              ...cProducerArgs(ctx, def.c, topic, messages, size, `txn${every}`).slice(0, 6),
              ...keyValues(config),
            ])
          : nodeTrial(`txn ${engine}`, def.script, {
              ...producerSpec(ctx, topic, messages, size, def.engine, def.form),
              preset: 'durable',
              config,
              txnEvery: every,
            })
        await broker.deleteTopic(topic)
        if (result.failed > 0 || result.delivered !== messages)
          throw new Error(`txn ${engine}: ${result.delivered} of ${messages} delivered (${result.firstError})`)
        const t = { workload: 'txn', engine, size, txnEvery: every, messages, ...result }
        t.msgPerSec = result.delivered / result.seconds
        trials.push(t)
        ctx.step(`txn ${engine} every ${every}: ${fmt(t.msgPerSec)} msg/s committed`)
      }
    }
  }
  return trials
}

const RUNNERS = { produce: runProduce, consume: runConsume, e2e: runE2e, txn: runTxn }

module.exports = { WORKLOADS, RUNNERS, PEERS_DIR, peers, peerAvailable, enginesOf, kafkajsLacksCodec }
