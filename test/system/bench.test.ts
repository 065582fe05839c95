// The C baseline compiled here against the system's librdkafka: what the bench uses with a source
// build of the addon, or on a platform without a prebuilt baseline.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

const root = path.join(__dirname, '../..')
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cBaseline = require('../../bench/c/build.js')

describe('C baseline from source (system tier: needs a C compiler, librdkafka-dev and pkg-config)', () => {
  it('compiles against the system librdkafka and runs the produce and consume baselines', { timeout: 180_000 }, () => {
    const version = spawnSync('pkg-config', ['--modversion', 'rdkafka'], { encoding: 'utf8' }).stdout.trim()
    expect(version).toMatch(/^\d+\.\d+\.\d+/)
    // A source build of the addon links the system library: the bench compiles its baseline for it.
    const found = cBaseline.locate({ linkage: 'dynamic', librdkafka: version })
    expect(found).toMatchObject({ librdkafka: version, how: "compiled here against the system's librdkafka" })
    expect(cBaseline.describe(found.file).fingerprint).toBe(cBaseline.fingerprint())

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-bench-sys-'))
    const json = path.join(dir, 'out.json')
    const r = spawnSync(
      process.execPath,
      ['bench/run.js', '--workloads', 'produce,consume', '--engines', 'c,c-batch', '--messages', '20000', '--repeat', '1', '--sizes', '100', '--batch', '1000', '--json', json],
      { cwd: root, encoding: 'utf8', timeout: 170_000, env: { ...process.env, TURBOKAFKA_BENCH_C: found.file } },
    )
    expect(r.status, r.stderr).toBe(0)
    const trials = JSON.parse(fs.readFileSync(json, 'utf8')).trials
    expect(trials.map((t: { workload: string; engine: string; delivered?: number; received?: number }) => [t.workload, t.engine, t.delivered ?? t.received])).toEqual([
      ['produce', 'c', 20000],
      ['produce', 'c-batch', 20000],
      ['consume', 'c', 20000],
      ['consume', 'c-batch', 20000],
    ])
  })
})
