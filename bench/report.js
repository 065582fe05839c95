'use strict'
// The bench's Markdown tables, made from a run's results: bench/run.js prints them after a run,
// and `npm run bench:report` writes them into the README from docs/results/*.json, between
//
//   <!-- table: docs/results/mock.json produce -->
//   ...
//   <!-- /table -->
//
// so that a table cannot drift from the run it shows (`--check` fails on one that did; npm test
// runs that check).
const fs = require('node:fs')
const path = require('node:path')

const { fmt } = require('./chart.js')

/** The ratio columns of each workload: the C baselines of the same run, by engine. */
const BASELINES = {
  produce: { c: 'vs C producev', 'c-batch': 'vs C produce_batch' },
  consume: { c: 'vs C consumer_poll', 'c-batch': 'vs C consume_batch_queue' },
  e2e: {},
  txn: { c: 'vs C in transactions' },
}

const PERCENTILES = ['p50', 'p95', 'p99', 'p999', 'max']

function markdown(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`]
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`)
  return lines.join('\n')
}

/** The table of one workload's summary rows (`results.summary[workload]`). */
function workloadTable(workload, summary) {
  if (workload === 'e2e') {
    return markdown(
      ['engine', 'value', 'p50', 'p95', 'p99', 'p99.9', 'max', 'CPU s / 1M msgs', 'peak RSS MB'],
      summary.map((s) => [
        s.label,
        `${s.size} B`,
        ...PERCENTILES.map((p) => fmt(s[p], 2)),
        fmt(s.cpuSecondsPerMillion, 2),
        String(s.peakRssMB),
      ]),
    )
  }
  const baselines = BASELINES[workload]
  const base = Object.keys(baselines).filter((b) => summary.some((s) => s.engine === b))
  return markdown(
    ['engine', 'value', 'msg/s', 'MB/s', ...base.map((b) => baselines[b]), 'CPU s / 1M msgs', 'peak RSS MB'],
    summary.map((s) => [
      s.label,
      s.txnEvery === undefined ? `${s.size} B` : `${s.size} B, ${fmt(s.txnEvery)} per txn`,
      fmt(s.msgPerSec),
      fmt(s.mbPerSec, 1),
      ...base.map((b) => fmt(s.ratios[b], 2)),
      fmt(s.cpuSecondsPerMillion, 2),
      String(s.peakRssMB),
    ]),
  )
}

const MARKER = /<!-- table: (\S+) (produce|consume|e2e|txn) -->\n([\s\S]*?)<!-- \/table -->/g

/**
 * `text` (a Markdown document in `root`) with every marked table made again from its results
 * file, and the tables that changed. A marker naming a missing file or workload throws.
 */
function refresh(text, root) {
  const stale = []
  const out = text.replace(MARKER, (_, file, workload, old) => {
    const results = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'))
    const summary = results.summary?.[workload]
    if (!summary) throw new Error(`${file} has no ${workload} results`)
    const table = `${workloadTable(workload, summary)}\n`
    if (table !== old) stale.push(`${file} ${workload}`)
    return `<!-- table: ${file} ${workload} -->\n${table}<!-- /table -->`
  })
  return { text: out, stale }
}

module.exports = { BASELINES, workloadTable, refresh }

if (require.main === module) {
  const root = path.join(__dirname, '..')
  const readme = path.join(root, 'README.md')
  const { text, stale } = refresh(fs.readFileSync(readme, 'utf8'), root)
  if (process.argv.includes('--check')) {
    if (stale.length > 0) {
      console.error(
        `README.md: tables differ from their results (npm run bench:report rewrites them): ${stale.join(', ')}`,
      )
      process.exit(1)
    }
  } else {
    fs.writeFileSync(readme, text)
    console.log(
      stale.length > 0 ? `README.md: rewrote ${stale.join(', ')}` : 'README.md: every table matches its results',
    )
  }
}
