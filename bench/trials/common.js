'use strict'
// What every Node producer trial shares: keeping a number of batches in flight until all
// messages are acknowledged, and the one JSON line a trial prints.

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
  const cpu = process.cpuUsage(cpu0)
  return {
    ...result,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }
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

module.exports = { produceAll, runTrial }
