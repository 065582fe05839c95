// The committed prebuild read with binutils (its dynamic section and symbol tables), and its GSSAPI
// path handing a real handshake to the system's Cyrus SASL library.
import { spawnSync } from 'node:child_process'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

const root = path.join(__dirname, '../..')
const prebuild = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'turbokafka.glibc.node')

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { inspect, problems } = require('../../scripts/prebuild.js') as {
  inspect(file: string): { needed: string[]; exported: string[]; glibc?: string; bytes: number }
  problems(info: unknown): string[]
}

describe('the prebuild read with binutils (system tier: needs binutils)', () => {
  it('needs only the C library and exports only the Node-API entry points', () => {
    const info = inspect(prebuild)
    expect(problems(info)).toEqual([])
    expect(info.needed.filter((lib) => /rdkafka|ssl|crypto|sasl|lz4|zstd|libz|stdc\+\+/.test(lib))).toEqual([])
    expect(info.exported.sort()).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1'])
  })

  it('needs no glibc newer than the README promises (2.34)', () => {
    const [major, minor] = inspect(prebuild).glibc!.split('.').map(Number)
    expect(major).toBe(2)
    expect(minor).toBeLessThanOrEqual(34)
  })
})

describe("SASL GSSAPI on the prebuild (system tier: needs the system's libsasl2)", () => {
  it("hands the handshake to the system's libsasl2", () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `
      const tk = require('./dist/cjs/index.js')
      ;(async () => {
        const cluster = await tk.MockCluster.start()
        const p = new tk.Producer({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native',
          'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'GSSAPI', 'sasl.kerberos.kinit.cmd': 'true' })
        const logs = []
        p.on('log', (e) => logs.push(e.message))
        await p.connect({ timeoutMs: 1500 }).catch(() => {})
        await p.close()
        await cluster.close()
        console.log(JSON.stringify(logs))
      })()`,
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, TURBOKAFKA_NATIVE_PATH: prebuild, TURBOKAFKA_SASL_LIBRARY: '' }, timeout: 60_000 },
    )
    expect(r.status, r.stderr).toBe(0)
    const logs = (JSON.parse(r.stdout) as string[]).join('\n')
    // libsasl2's own error format: "SASL(<code>): ..." (this machine has no Kerberos to finish).
    expect(logs).toMatch(/SASL\(-?\d+\)/)
    expect(logs).not.toContain('did not load')
  })
})
