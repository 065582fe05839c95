'use strict'
// Send schedules for rate-limited workloads: a constant --rate, or a --traffic-pattern of
// "second:rate" steps ("0:1000,30:10000,60:5000" sends 1k msg/s from second 0, 10k/s from
// second 30, 5k/s from second 60 until --duration ends).

/** Parses a traffic pattern into steps sorted by start; throws an Error saying what is wrong. */
function parsePattern(text) {
  if (typeof text !== 'string' || text.trim() === '') throw new Error('traffic pattern is empty')
  const steps = text.split(',').map((part) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part)
    if (!m) throw new Error(`traffic pattern: "${part}" is not second:rate (e.g. 0:1000)`)
    return { start: Number(m[1]), rate: Number(m[2]) }
  })
  if (steps[0].start !== 0) throw new Error('traffic pattern: the first step must start at second 0')
  for (let i = 1; i < steps.length; i++) {
    if (steps[i].start <= steps[i - 1].start) {
      throw new Error(`traffic pattern: step starts must increase (${steps[i - 1].start} then ${steps[i].start})`)
    }
  }
  if (steps.every((s) => s.rate === 0)) throw new Error('traffic pattern: every rate is 0, nothing would be sent')
  return steps
}

/**
 * The steps of a run of `duration` seconds, ending with { start: duration, rate: 0 }. Steps that
 * start at or after the end are dropped.
 */
function withEnd(steps, duration) {
  if (!(duration > 0)) throw new Error(`duration must be positive (got ${duration})`)
  const kept = steps.filter((s) => s.start < duration)
  return [...kept, { start: duration, rate: 0 }]
}

/** Send times (seconds from the start) of every message of a schedule made by withEnd. */
function sendTimes(schedule) {
  let total = 0
  for (let k = 0; k + 1 < schedule.length; k++) total += count(schedule[k], schedule[k + 1])
  const out = new Float64Array(total)
  let i = 0
  for (let k = 0; k + 1 < schedule.length; k++) {
    const { start, rate } = schedule[k]
    const n = count(schedule[k], schedule[k + 1])
    for (let j = 0; j < n; j++) out[i++] = start + j / rate
  }
  return out
}

function count(step, next) {
  return Math.floor((next.start - step.start) * step.rate)
}

/** The form the C baseline takes: "start:rate,...,end:0". */
function scheduleArg(schedule) {
  return schedule.map((s) => `${s.start}:${s.rate}`).join(',')
}

module.exports = { parsePattern, withEnd, sendTimes, scheduleArg }
