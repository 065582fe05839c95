'use strict'
// SVG charts of a bench run, written by hand (no dependency): horizontal bars of throughput per
// engine for each workload and size, and latency percentiles per engine for e2e.

const COLORS = { c: '#6b7280', 'c-batch': '#9ca3af', native: '#2563eb', 'native-packed': '#60a5fa', kafkajs: '#f59e0b' }
const ROW = 22
const LABEL_W = 330
const BAR_W = 420

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
/** A number with thousands separators and `d` decimals, as every table and chart shows it. */
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })

/** One block: a title, then one bar per row scaled to the block's largest value. */
function block(y, title, rows, unit, digits) {
  const max = Math.max(...rows.map((r) => r.value), 1e-9)
  const out = [`<text x="8" y="${y + 16}" font-weight="bold">${esc(title)}</text>`]
  y += 26
  for (const r of rows) {
    const w = Math.max(1, (r.value / max) * BAR_W)
    out.push(
      `<text x="${LABEL_W - 8}" y="${y + 15}" text-anchor="end">${esc(r.label)}</text>`,
      `<rect x="${LABEL_W}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 6}" fill="${COLORS[r.engine] ?? '#10b981'}"/>`,
      `<text x="${LABEL_W + w + 6}" y="${y + 15}">${fmt(r.value, digits)} ${unit}</text>`,
    )
    y += ROW
  }
  return { y: y + 10, svg: out.join('\n') }
}

/** Renders the summary of a run (the object --json writes) as one SVG document. */
function renderChart(results) {
  const parts = []
  let y = 8
  const add = (title, rows, unit, digits = 0) => {
    if (rows.length === 0) return
    const b = block(y, title, rows, unit, digits)
    parts.push(b.svg)
    y = b.y
  }
  const sizes = [
    ...new Set(
      Object.values(results.summary)
        .flat()
        .map((s) => s.size),
    ),
  ]
  for (const workload of ['produce', 'consume']) {
    const summary = results.summary[workload] ?? []
    for (const size of sizes) {
      const rows = summary
        .filter((s) => s.size === size)
        .map((s) => ({ engine: s.engine, label: s.label, value: s.msgPerSec }))
      const what = workload === 'produce' ? 'delivered' : 'consumed'
      add(`${workload}, ${size} B values: ${what} msg/s (median)`, rows, 'msg/s')
    }
  }
  const e2e = results.summary.e2e ?? []
  for (const size of sizes) {
    const rows = e2e
      .filter((s) => s.size === size)
      .flatMap((s) => ['p50', 'p95', 'p99'].map((p) => ({ engine: s.engine, label: `${s.label}  ${p}`, value: s[p] })))
    add(`end-to-end latency, ${size} B values: ms (lower is better)`, rows, 'ms', 2)
  }
  const o = results.options ?? {}
  const footer = `${results.broker}; acks=${o.acks}, median of ${o.repeat}; ${results.machine}`
  parts.push(`<text x="8" y="${y + 12}" fill="#6b7280" font-size="11">${esc(footer)}</text>`)
  const height = y + 24
  const width = LABEL_W + BAR_W + 150
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}

module.exports = { fmt, renderChart }
