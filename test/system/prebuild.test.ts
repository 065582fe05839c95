// The committed prebuild read with binutils (its dynamic section and symbol tables), and its GSSAPI
// path handing a real handshake to the system's Cyrus SASL library.
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import { gssapiAttempt } from '../helpers'

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
    const logs = gssapiAttempt(prebuild, { TURBOKAFKA_SASL_LIBRARY: '' }).logs.join('\n')
    // libsasl2's own error format: "SASL(<code>): ..." (this machine has no Kerberos to finish).
    expect(logs).toMatch(/SASL\(-?\d+\)/)
    expect(logs).not.toContain('did not load')
  })
})
