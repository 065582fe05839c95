'use strict'
// A run's results made into medians and ratios per engine and size, and printed as the tables
// bench/report.js draws.
const { fmt } = require('./chart.js')
const { workloadTable } = require('./report.js')
const { scheduleArg } = require('./schedule.js')
const { WORKLOADS, enginesOf } = require('./workloads.js')

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

function summarize(opts, workload, trials) {
  const out = []
  const { engines, baselines } = WORKLOADS[workload]
  // The transactional workload compares transaction sizes (at the first message size); the others, message sizes.
  const groups =
    workload === 'txn'
      ? opts.txnEvery.map((every) => ({ size: opts.sizes[0], every }))
      : opts.sizes.map((size) => ({ size }))
  for (const { size, every } of groups) {
    const med = {}
    for (const engine of enginesOf(opts, workload)) {
      const ts = trials.filter((t) => t.engine === engine && t.size === size && t.txnEvery === every)
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
      if (every !== undefined) med[engine].txnEvery = every
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
    const rate =
      opts.schedule.length === 2 ? `${fmt(opts.schedule[0].rate)} msg/s` : `pattern ${scheduleArg(opts.schedule)}`
    console.log(
      `End-to-end latency in ms (due-to-send time to consumed), ${rate} for ${opts.duration} s, acks=${opts.acks}, median of ${opts.repeat}`,
    )
  } else {
    const what =
      {
        produce: `Producer, acks=${opts.acks}, delivered (acknowledged) messages per second`,
        txn: 'Transactional producer (idempotent, acks=all), committed messages per second (first begin to last commit)',
      }[workload] ?? 'Consumer, messages per second read from a pre-filled topic (first message to last)'
    console.log(`${what}, median of ${opts.repeat}`)
    const set = Object.entries(opts.consumerSet ?? {})
    if (workload !== 'produce' && set.length > 0)
      console.log(`Consumer settings (--consumer-set): ${set.map(([k, v]) => `${k}=${v}`).join(', ')}`)
  }
  console.log(`Broker: ${brokerLabel}\n`)
  console.log(workloadTable(workload, summary))
}

module.exports = { summarize, report }
