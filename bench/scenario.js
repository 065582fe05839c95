'use strict'
// Named scenarios for the bench: a JSON or YAML file of
//   scenarios:
//     <name>:
//       options: { <long option>: value, ... }      # as on the command line, lists as arrays
//       targets:                                   # optional, checked after the run
//         - { workload: produce, engine: native, size: 100, metric: msgPerSec, min: 2000000 }
// Metrics: msgPerSec, mbPerSec, vsC (ratio to the c engine), p50, p95, p99, p999, max (ms),
// cpuSecondsPerMillion, peakRssMB. A target has min, max, or both.
const fs = require('node:fs')
const path = require('node:path')

const METRICS = [
  'msgPerSec',
  'mbPerSec',
  'vsC',
  'p50',
  'p95',
  'p99',
  'p999',
  'max',
  'cpuSecondsPerMillion',
  'peakRssMB',
]
const NOT_IN_SCENARIO = new Set(['scenario', 'json', 'chart', 'help'])

/** "file.yaml" or "file.yaml:name" → [{ name, argv, targets }]; throws an Error saying what is wrong. */
function loadScenarios(spec) {
  const m = /^(.*?\.(?:json|ya?ml))(?::([\w-]+))?$/.exec(spec)
  if (!m) throw new Error(`--scenario ${spec}: expected a .json, .yaml or .yml file, optionally followed by :name`)
  const [, file, only] = m
  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new Error(`--scenario: cannot read ${file}: ${err.code ?? err.message}`)
  }
  let doc
  try {
    doc = path.extname(file) === '.json' ? JSON.parse(text) : requireYaml().parse(text)
  } catch (err) {
    throw new Error(`--scenario: ${file} does not parse: ${err.message.split('\n')[0]}`)
  }
  const all = doc?.scenarios
  if (all === null || typeof all !== 'object' || Array.isArray(all) || Object.keys(all).length === 0) {
    throw new Error(`--scenario: ${file} needs a "scenarios" map of named scenarios`)
  }
  const names = only ? [only] : Object.keys(all)
  return names.map((name) => {
    const sc = all[name]
    if (sc === undefined)
      throw new Error(`--scenario: no scenario "${name}" in ${file} (it has ${Object.keys(all).join(', ')})`)
    return { name, argv: toArgv(name, sc?.options ?? {}), targets: checkTargets(name, sc?.targets ?? []) }
  })
}

function requireYaml() {
  try {
    return require('yaml')
  } catch {
    throw new Error(
      'YAML scenarios need the "yaml" package (a development dependency: npm install), or use a .json file',
    )
  }
}

function toArgv(name, options) {
  if (typeof options !== 'object' || Array.isArray(options))
    throw new Error(`scenario ${name}: "options" must be a map`)
  const argv = []
  for (const [key, value] of Object.entries(options)) {
    if (NOT_IN_SCENARIO.has(key))
      throw new Error(`scenario ${name}: "${key}" is given on the command line, not in a scenario`)
    const text = Array.isArray(value) ? value.join(',') : String(value)
    argv.push(`--${key}=${text}`)
  }
  return argv
}

function checkTargets(name, targets) {
  if (!Array.isArray(targets)) throw new Error(`scenario ${name}: "targets" must be a list`)
  return targets.map((t, i) => {
    const where = `scenario ${name}, target ${i + 1}`
    if (!t || typeof t.workload !== 'string' || typeof t.engine !== 'string')
      throw new Error(`${where}: needs a workload and an engine`)
    if (!METRICS.includes(t.metric))
      throw new Error(`${where}: metric must be one of ${METRICS.join(', ')} (got ${t.metric})`)
    if (typeof t.min !== 'number' && typeof t.max !== 'number') throw new Error(`${where}: needs a numeric min or max`)
    return t
  })
}

/** Each target with the measured value and whether it was met (unmeasured targets are not met). */
function evaluateTargets(targets, summary) {
  return targets.map((t) => {
    const rows = (summary[t.workload] ?? []).filter(
      (s) => s.engine === t.engine && (t.size === undefined || s.size === t.size),
    )
    const values = rows
      .map((s) => (t.metric === 'vsC' ? s.ratios?.c : s[t.metric]))
      .filter((v) => typeof v === 'number')
    const met =
      values.length > 0 &&
      values.every((v) => (t.min === undefined || v >= t.min) && (t.max === undefined || v <= t.max))
    const bound = [t.min !== undefined ? `>= ${t.min}` : '', t.max !== undefined ? `<= ${t.max}` : '']
      .filter(Boolean)
      .join(' and ')
    const label = `${t.workload} ${t.engine}${t.size !== undefined ? ` ${t.size} B` : ''} ${t.metric} ${bound}`
    return { ...t, label, measured: values, met }
  })
}

module.exports = { loadScenarios, evaluateTargets, METRICS }
