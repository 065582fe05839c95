// The cmake-js development build compiles what binding.gyp compiles (native/build.json) and
// exports the same symbols as the prebuild. System tier: needs cmake, a compiler, binutils and the
// system's librdkafka-dev.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

const root = path.join(__dirname, '../..')
const prebuild = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'turbokafka.glibc.node')
const out = mkdtempSync(path.join(tmpdir(), 'turbokafka-cmake-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { inspect } = require('../../scripts/prebuild.js') as { inspect(file: string): { exported: string[] } }

describe('the cmake-js build', () => {
  it('builds from native/build.json and exports what the prebuild exports', { timeout: 600_000 }, () => {
    const r = spawnSync('npx', ['cmake-js', 'compile', '-O', out], { cwd: root, encoding: 'utf8', timeout: 590_000 })
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0)
    const built = path.join(out, 'Release', 'turbokafka.node')
    expect(inspect(built).exported.sort()).toEqual(inspect(prebuild).exported.sort())
    // It loads, and carries the fingerprint of these sources (the same as the prebuild's).
    const probe = spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(built)}).buildInfo())`], {
      encoding: 'utf8',
    })
    expect(probe.status, probe.stderr).toBe(0)
    const info = JSON.parse(probe.stdout) as { linkage: string; fingerprint: string }
    expect(info.linkage).toBe('dynamic')
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(info.fingerprint).toBe((require('../../scripts/fingerprint.js') as { fingerprint(): string }).fingerprint())
  })
})
