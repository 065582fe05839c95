// The C baseline compiled here against the system's librdkafka: what the bench uses with a source
// build of the addon, or on a platform without a prebuilt baseline.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import { runBench, trialCounts } from '../helpers'

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

    const { r, results } = runBench(
      '--workloads produce,consume --engines c,c-batch --messages 20000 --repeat 1 --sizes 100 --batch 1000',
      {
        env: { ...process.env, TURBOKAFKA_BENCH_C: found.file },
        timeoutMs: 170_000,
      },
    )
    expect(r.status, r.stderr).toBe(0)
    expect(trialCounts(results)).toEqual([
      ['produce', 'c', 20000],
      ['produce', 'c-batch', 20000],
      ['consume', 'c', 20000],
      ['consume', 'c-batch', 20000],
    ])
  })
})

/**
 * A peer client installed from npm into a cache folder of its own (once: node-rdkafka compiles
 * its librdkafka, about two minutes here), for the bench to find through TURBOKAFKA_BENCH_PEERS.
 */
function installedPeer(spec: string): string {
  const cache = process.env.TURBOKAFKA_CACHE ?? path.join(os.homedir(), '.cache', 'turbokafka')
  const dir = path.join(cache, 'bench-peers', spec.replace(/[@/]/g, '_'))
  const name = spec.slice(0, spec.lastIndexOf('@'))
  if (!fs.existsSync(path.join(dir, 'node_modules', name, 'package.json'))) {
    fs.mkdirSync(dir, { recursive: true })
    const r = spawnSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', spec], {
      encoding: 'utf8',
      timeout: 600_000,
    })
    if (r.status !== 0) throw new Error(`npm install ${spec} failed:\n${r.stderr}`)
  }
  return dir
}

describe('a peer client in the bench (system tier: node-rdkafka compiles from source)', () => {
  it(
    'finds node-rdkafka where TURBOKAFKA_BENCH_PEERS says and runs it beside the C baseline',
    { timeout: 720_000 },
    () => {
      const peers = installedPeer('node-rdkafka@3.6.1')
      const { r, results } = runBench(
        '--workloads produce,consume --engines c,node-rdkafka --messages 30000 --repeat 1 --sizes 100 --batch 1000',
        {
          env: { ...process.env, TURBOKAFKA_BENCH_PEERS: peers },
        },
      )
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr).toContain('node-rdkafka (peer, librdkafka 2.12.0) is installed and runs')
      expect(trialCounts(results).filter(([, engine]) => engine === 'node-rdkafka')).toEqual([
        ['produce', 'node-rdkafka', 30000],
        ['consume', 'node-rdkafka', 30000],
      ])
    },
  )
})
