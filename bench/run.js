#!/usr/bin/env node
// npm run bench: throughput and latency of each engine, measured in one run against the same
// broker, each trial in a fresh process, engines alternating, medians over --repeat.
//   produce  delivered (broker-acknowledged) messages per second
//   consume  messages per second read from a pre-filled topic, first message to last
//   e2e      latency from when a message is due to be sent to when the consumer has it, at a rate
// Ratios are against the C librdkafka baselines of the same run.
'use strict'
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { connectReal, startMock } = require('./broker.js')
const cBaseline = require('./c/build.js')
const { fmt, renderChart } = require('./chart.js')
const { HELP, parseOptions, resolveBrokers, UsageError } = require('./options.js')
const { report, summarize } = require('./summary.js')
const { enginesOf, kafkajsLacksCodec, peerAvailable, peers, PEERS_DIR, RUNNERS, WORKLOADS } = require('./workloads.js')

const root = path.join(__dirname, '..')

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
      bar = new SingleBar(
        { stream: process.stderr, format: 'bench {bar} {value}/{total} trials | {last}', hideCursor: true },
        Presets.shades_classic,
      )
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

const log = (line) => console.error(`bench: ${line}`)

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

/** One run of the options' workloads against one broker; prints the tables, returns the results. */
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
  const wantedPeers = Object.values(WORKLOADS).flatMap((w) =>
    opts.engines.map((e) => w.engines[e]?.peer).filter(Boolean),
  )
  for (const name of new Set(wantedPeers)) {
    if (peerAvailable(name)) log(`${name} (peer, librdkafka ${peers[name]}) is installed and runs`)
    else
      log(
        `${name}: not installed in ${path.relative(process.cwd(), PEERS_DIR) || '.'}, skipped (a peer: npm install --prefix bench ${name} to compare)`,
      )
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
    for (const w of opts.workloads) {
      const trials = await RUNNERS[w](ctx)
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
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err) => {
      if (err instanceof UsageError) {
        console.error(`bench: ${err.message}\n\n${HELP}`)
        process.exit(2)
      }
      console.error(`bench: ${err.message}`)
      process.exit(1)
    },
  )
}
