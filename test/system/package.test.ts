// How a build finds librdkafka: the system's development files through pkg-config (a source
// build), and the static archives the prebuilt binary links.
import { spawnSync } from 'node:child_process'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

const root = path.join(__dirname, '../..')

function node(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env, timeout: 30_000 })
}

describe('finding librdkafka (system tier: needs librdkafka-dev, pkg-config and the static archives)', () => {
  it('finds librdkafka through pkg-config when it is installed', () => {
    const r = node(['scripts/find-librdkafka.js', '--libs'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('-lrdkafka')
  })

  it('links the static build from archives with their symbols hidden, and libsasl2 not at all', () => {
    const r = node(['scripts/find-librdkafka.js', '--libs'], { ...process.env, TURBOKAFKA_LINK: 'static' })
    expect(r.stderr).toBe('')
    const words = r.stdout.trim().split(/\s+/)
    expect(words[0]).toBe('-Wl,--exclude-libs,ALL')
    const archives = words.filter((w) => w.endsWith('.a')).map((w) => path.basename(w))
    expect(archives).toEqual(
      expect.arrayContaining(['librdkafka.a', 'libssl.a', 'libcrypto.a', 'libz.a', 'liblz4.a', 'libzstd.a']),
    )
    expect(words.filter((w) => /^-l(rdkafka|ssl|crypto|z|lz4|zstd|sasl2)$/.test(w))).toEqual([])
    expect(
      node(['scripts/find-librdkafka.js', '--linkage'], { ...process.env, TURBOKAFKA_LINK: 'static' }).stdout.trim(),
    ).toBe('static')
    const bad = node(['scripts/find-librdkafka.js', '--libs'], { ...process.env, TURBOKAFKA_LINK: 'shared' })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('TURBOKAFKA_LINK must be "static" or "dynamic"')
  })
})
