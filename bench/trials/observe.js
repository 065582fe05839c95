'use strict'
// What a turbokafka trial adds when asked. spec.observe: the costs of a watched service, its
// clients' metrics scraped every second and a subscriber on every diagnostics channel (the
// native-observed engines). spec.metricsPort: /metrics on 127.0.0.1 while the trial runs, with
// the clients' metrics and the trial's own figures (turbokafka_bench_*).
const diagnostics = require('node:diagnostics_channel')
const http = require('node:http')

const { CHANNELS, metricsText } = require('../../dist/cjs/index.js')

/** Subscribes to every channel and scrapes every second; returns what undoes it. */
function watch(clients) {
  const seen = { events: 0, scraped: 0 }
  const handlers = Object.values(CHANNELS).map((name) => {
    const fn = (msg) => {
      seen.events += msg.messages?.length ?? 1
    }
    diagnostics.subscribe(name, fn)
    return () => diagnostics.unsubscribe(name, fn)
  })
  const timer = setInterval(() => {
    seen.scraped += metricsText(clients).length
  }, 1000)
  return () => {
    clearInterval(timer)
    for (const off of handlers) off()
  }
}

/** p50, p95 and p99 of `ms` latencies, in seconds, with their sum and count. */
function latencySummary(ms) {
  const sorted = Float64Array.from(ms).sort()
  const at = (q) => sorted[Math.floor((sorted.length - 1) * q)] / 1000
  const lines = []
  const name = 'turbokafka_bench_e2e_latency_seconds'
  lines.push(`# HELP ${name} End-to-end latency of the trial so far (due to send until consumed).`)
  lines.push(`# TYPE ${name} summary`)
  if (sorted.length > 0) for (const q of [0.5, 0.95, 0.99]) lines.push(`${name}{quantile="${q}"} ${at(q)}`)
  lines.push(`${name}_sum ${sorted.reduce((a, b) => a + b, 0) / 1000}`, `${name}_count ${sorted.length}`)
  return lines
}

/** The trial's own figures: messages delivered and read so far, their rate, e2e latencies. */
function benchText(k, startedMs) {
  const seconds = Math.max(1e-3, (Date.now() - startedMs) / 1000)
  const lines = []
  const family = (name, type, help, value) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`)
  family(
    'turbokafka_bench_delivered_messages_total',
    'counter',
    'Messages the trial got acknowledged.',
    k.delivered ?? 0,
  )
  family('turbokafka_bench_received_messages_total', 'counter', 'Messages the trial read.', k.received ?? 0)
  const done = Math.max(k.delivered ?? 0, k.received ?? 0)
  family(
    'turbokafka_bench_messages_per_second',
    'gauge',
    'Messages per second since the trial started.',
    done / seconds,
  )
  if (k.latencies) lines.push(...latencySummary(k.latencies))
  return `${lines.join('\n')}\n`
}

function serve(port, clients, kpis) {
  const started = Date.now()
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') return res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
    res.end(metricsText(clients) + benchText(kpis(), started))
  })
  server.on('error', (err) => console.error(`--metrics-port ${port}: ${err.message}`))
  server.listen(port, '127.0.0.1')
  return () => {
    server.closeAllConnections?.()
    server.close()
  }
}

/**
 * Starts what `spec` asks for around `clients`; `kpis()` gives the trial's figures so far
 * ({ delivered, received, latencies }). Returns the function that stops it all.
 */
function observe(spec, clients, kpis = () => ({})) {
  const stops = []
  if (spec.observe) stops.push(watch(clients))
  if (spec.metricsPort) stops.push(serve(spec.metricsPort, clients, kpis))
  return () => {
    for (const stop of stops) stop()
  }
}

module.exports = { observe }
