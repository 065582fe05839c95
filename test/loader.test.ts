// The loader's explanations: each failure to load the addon says its cause and the fix.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { explainLoadError, nativeConfig } from '../lib/binding'
import { loadError, runtimeLibc } from './helpers'

const root = path.join(__dirname, '..')
const work = mkdtempSync(path.join(tmpdir(), 'turbokafka-loader-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('loader explanations', () => {
  it('says a file that is not a binary for this platform is one, and how to get the real one', () => {
    const file = path.join(work, 'pointer.node')
    // What a checkout without the real binary has: a text file in the binary's place.
    writeFileSync(file, 'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 7\n')
    const err = loadError(file)
    expect(err.message).toContain(`is not a binary for ${process.platform}-${process.arch}`)
  })

  it('says the C library is too old, with both versions', () => {
    const file = '/app/node_modules/turbokafka/prebuilds/linux-x64/turbokafka.glibc.node'
    const said = new Error(
      `${file}: /lib/x86_64-linux-gnu/libc.so.6: version \`GLIBC_2.99' not found (required by ${file})`,
    )
    const err = explainLoadError(said, '/app/node_modules/turbokafka', undefined, file)
    // On musl (npm run test:musl) there is no glibc version to name.
    expect(err.message).toMatch(
      runtimeLibc() === 'glibc'
        ? /prebuilds\/linux-x64\/turbokafka\.glibc\.node needs GLIBC 2\.99 or newer, and this system has glibc \d+\.\d+/
        : /prebuilds\/linux-x64\/turbokafka\.glibc\.node needs GLIBC 2\.99 or newer, and this system has an older C library/,
    )
    expect(err.message).toContain('npm rebuild turbokafka')
    expect(err.cause).toBe(said)
  })

  it('says there is no prebuild for this platform and libc, lists those the package has, and falls back to kafkajs', () => {
    // node-gyp-build picks by libc; LIBC=uclibc names a C library the package has no binary
    // for, and PREBUILDS_ONLY ignores a local build/.
    const script = `
      const { Producer } = require('./dist/cjs/index.js')
      const out = {}
      try { new Producer({ 'bootstrap.servers': '127.0.0.1:9', engine: 'native' }) } catch (e) { out.code = e.code; out.message = e.message }
      process.on('warning', (w) => { out.warning = w.message })
      const p = new Producer({ 'bootstrap.servers': '127.0.0.1:9' })
      out.engine = p.engine
      p.close().then(() => setImmediate(() => console.log(JSON.stringify(out))))`
    const r = spawnSync(process.execPath, ['-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, LIBC: 'uclibc', PREBUILDS_ONLY: '1', TURBOKAFKA_NATIVE_PATH: '' },
      timeout: 30_000,
    })
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.message).toContain(`there is no prebuilt binary for ${process.platform}-${process.arch} (uclibc)`)
    expect(out.message).toContain('(the package has linux-arm64 (glibc), linux-x64 (glibc), linux-x64 (musl))')
    expect(out.message).toContain('apk add build-base python3 pkgconf librdkafka-dev')
    expect(out.engine).toBe('kafkajs')
    expect(out.warning).toContain('no prebuilt binary')
  })
})

describe('native configuration for the prebuilt binary', () => {
  it('probes the standard CA locations for TLS without a configured CA, on the static binary only', () => {
    const tls = { 'bootstrap.servers': '127.0.0.1:9093', 'security.protocol': 'SASL_SSL' }
    expect(nativeConfig(tls, 'static')['ssl.ca.location']).toBe('probe')
    expect(nativeConfig({ ...tls, 'security.protocol': 'ssl' }, 'static')['ssl.ca.location']).toBe('probe')
    expect(nativeConfig(tls, 'dynamic')).toBe(tls)
    expect(nativeConfig({ ...tls, 'ssl.ca.location': '/etc/my-ca.pem' }, 'static')['ssl.ca.location']).toBe(
      '/etc/my-ca.pem',
    )
    expect(nativeConfig({ ...tls, 'ssl.ca.pem': '-----BEGIN' }, 'static')['ssl.ca.location']).toBeUndefined()
    expect(nativeConfig({ 'security.protocol': 'sasl_plaintext' }, 'static')['ssl.ca.location']).toBeUndefined()
  })
})
