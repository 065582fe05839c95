'use strict'
// What the Node trials share: keeping a number of batches in flight until all messages are
// acknowledged, counting consumed messages, latency percentiles, and the one JSON line a trial
// prints.

/** CPU seconds (user + system) since `cpu0` and this process's peak RSS in MB. */
function resources(cpu0) {
  const cpu = process.cpuUsage(cpu0)
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }
}

/**
 * Sends `total` messages in batches of `batch`, keeping `inflight` batches outstanding.
 * `send(n)` sends the next n messages and resolves to { delivered, failed, firstError }.
 */
async function produceAll({ total, batch, inflight, send }) {
  const result = { delivered: 0, failed: 0, firstError: undefined }
  let sent = 0
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  await new Promise((resolve, reject) => {
    let outstanding = 0
    const next = () => {
      while (outstanding < inflight && sent < total) {
        const n = Math.min(batch, total - sent)
        sent += n
        outstanding++
        send(n).then((r) => {
          result.delivered += r.delivered
          result.failed += r.failed
          result.firstError ??= r.firstError
          outstanding--
          if (sent === total && outstanding === 0) resolve()
          else next()
        }, reject)
      }
    }
    next()
  })
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  return { ...result, seconds, ...resources(cpu0) }
}

/**
 * Counts consumed messages and bytes; the clock starts when the first batch has been handed over
 * and that batch is reported as `first` (the rate is (received - first) / seconds, as in the C
 * baseline). `done` resolves once `total` have arrived; nothing for `idleMs` fails the trial.
 */
function consumeCounter(total, idleMs = 60_000) {
  let received = 0
  let first = 0
  let bytes = 0
  let t0
  let cpu0
  let finish
  let last = Date.now()
  const done = new Promise((resolve, reject) => {
    const idle = setInterval(() => {
      if (Date.now() - last > idleMs) reject(new Error(`no message for ${idleMs / 1000} s (${received} of ${total})`))
    }, 1000)
    finish = () => {
      clearInterval(idle)
      resolve()
    }
  })
  const started = process.hrtime.bigint()
  return {
    done,
    get received() {
      return received
    },
    /** Records one batch of value lengths' sum `b` over `n` messages. */
    add(n, b) {
      if (n === 0) return
      if (t0 === undefined) {
        t0 = process.hrtime.bigint()
        cpu0 = process.cpuUsage()
        first = n
      }
      last = Date.now()
      received += n
      bytes += b
      if (received >= total) finish()
    },
    result() {
      const end = process.hrtime.bigint()
      return {
        received,
        first,
        bytes,
        seconds: Number(end - t0) / 1e9,
        startSeconds: Number(t0 - started) / 1e9,
        ...resources(cpu0),
      }
    },
  }
}

/**
 * The loop of a pull-based consume trial: calls `next()` for a batch of messages until `total`
 * have arrived, touching every value as an application would, and returns the counter's result.
 */
async function consumeUntil(total, next) {
  const counter = consumeCounter(total)
  let failed
  counter.done.catch((err) => (failed = err))
  while (counter.received < total && !failed) {
    const batch = await next()
    let bytes = 0
    for (const m of batch) bytes += m.value.length
    counter.add(batch.length, bytes)
  }
  if (failed) throw failed
  return counter.result()
}

/** p50, p95, p99, p99.9 and max of latencies in ms. */
function percentiles(values) {
  const latencies = Float64Array.from(values).sort()
  const at = (q) => (latencies.length ? latencies[Math.floor((latencies.length - 1) * q)] : 0)
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), p999: at(0.999), max: at(1) }
}

/**
 * Sends on a schedule: `times` are seconds from the start; every timer tick (1 ms or more apart)
 * sends what is due as one call of `send(from, to, startMs)`, where message i was due at
 * startMs + times[i] * 1000 (performance.now() clock). Resolves when every send has settled.
 */
async function sendOnSchedule(times, send) {
  const { performance } = require('node:perf_hooks')
  const startMs = performance.now() + 200
  const pending = []
  let i = 0
  while (i < times.length) {
    const elapsed = (performance.now() - startMs) / 1000
    let j = i
    while (j < times.length && times[j] <= elapsed) j++
    if (j > i) {
      pending.push(send(i, j, startMs))
      i = j
    }
    if (i < times.length) {
      // Timers, not a spin: a busy loop would take a core from the broker and the clients.
      const wait = startMs + times[i] * 1000 - performance.now()
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(wait, 1000))))
    }
  }
  return Promise.all(pending)
}

/**
 * What both e2e trials share. Each value carries the time it was due (performance.now() ms, a
 * double at byte 0) and its sequence number (uint32 at byte 8). `stamp` writes them, `receive`
 * records one consumed value at `now`, `result` builds the trial's JSON line.
 */
function e2eTracker(spec, times) {
  const { performance } = require('node:perf_hooks')
  const seen = new Uint8Array(times.length)
  const latencies = []
  const cpu0 = process.cpuUsage()
  const t = {
    received: 0,
    duplicates: 0,
    delivered: 0,
    failed: 0,
    startMs: 0,
    lastAt: 0,
    stamp(i, startMs) {
      t.startMs = startMs
      const value = Buffer.alloc(spec.size, 'x')
      value.writeDoubleLE(startMs + times[i] * 1000, 0)
      value.writeUInt32LE(i, 8)
      return value
    },
    receive(value, now) {
      const seq = value.readUInt32LE(8)
      if (seq >= times.length || seen[seq]) {
        t.duplicates++
        return
      }
      seen[seq] = 1
      t.received++
      t.lastAt = now
      if (times[seq] >= spec.warmup) latencies.push(now - value.readDoubleLE(0))
    },
    get complete() {
      return t.received >= times.length
    },
    /** The latencies counted so far, in ms (what --metrics-port serves). */
    get latencies() {
      return latencies
    },
    now: () => performance.now(),
    result() {
      return {
        sent: times.length,
        delivered: t.delivered,
        failed: t.failed,
        received: t.received,
        duplicates: t.duplicates,
        counted: latencies.length,
        seconds: (t.lastAt - t.startMs) / 1000,
        ...percentiles(latencies),
        ...resources(cpu0),
      }
    },
  }
  return t
}

/** Runs a trial's main function and prints its result, or fails the process. */
function runTrial(main) {
  main().then(
    (r) => console.log(JSON.stringify(r)),
    (err) => {
      console.error(err)
      process.exit(1)
    },
  )
}

module.exports = {
  resources,
  produceAll,
  consumeCounter,
  consumeUntil,
  e2eTracker,
  percentiles,
  sendOnSchedule,
  runTrial,
}
