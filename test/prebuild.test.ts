// The committed prebuilt binary: made from these sources, self-contained, and loadable from worker
// threads and more than once per process.
import { execFileSync, spawnSync } from 'node:child_process'
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { gssapiAttempt, ldd, runtimeLibc } from './helpers'

const root = path.join(__dirname, '..')
const tuple = `${process.platform}-${process.arch}`
const prebuildDir = path.join(root, 'prebuilds', tuple)
// The binary for this process's C library (npm run test:musl runs this file on musl).
const prebuild = path.join(prebuildDir, `turbokafka.${runtimeLibc()}.node`)

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { fingerprint } = require('../scripts/fingerprint.js') as { fingerprint(): string }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ALLOWED_NEEDS } = require('../scripts/prebuild.js') as { ALLOWED_NEEDS: RegExp }

interface Loaded {
  buildInfo(): { fingerprint: string; linkage: string; librdkafka: string; features: string }
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadPrebuild = (): Loaded => require(prebuild) as Loaded

const temps: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'turbokafka-prebuild-'))
  temps.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
})

function node(script: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  })
}

describe('committed prebuild', () => {
  it('is one binary per C library for this platform: glibc, and musl beside it on x64', () => {
    const expected =
      process.arch === 'x64' ? ['turbokafka.glibc.node', 'turbokafka.musl.node'] : ['turbokafka.glibc.node']
    expect(readdirSync(prebuildDir).sort()).toEqual(expected)
  })

  it('was built from the native sources and build files beside it', () => {
    const built = loadPrebuild().buildInfo().fingerprint
    const sources = fingerprint()
    expect(
      built,
      `${path.relative(root, prebuild)} was built from other sources (${built}) than these (${sources}). ` +
        'Rebuild it with `npm run prebuild` and commit prebuilds/.',
    ).toBe(sources)
  })

  it('fingerprints every input: a one-byte change in a source or build file changes it', () => {
    const copy = tempDir()
    for (const dir of ['native', 'scripts']) cpSync(path.join(root, dir), path.join(copy, dir), { recursive: true })
    cpSync(path.join(root, 'binding.gyp'), path.join(copy, 'binding.gyp'))
    const run = () =>
      execFileSync(process.execPath, [path.join(copy, 'scripts/fingerprint.js')], { encoding: 'utf8' }).trim()
    const before = run()
    expect(before).toBe(fingerprint())
    const seen = new Set([before])
    for (const file of [
      'native/producer.cc',
      'native/batch.h',
      'native/exports.map',
      'binding.gyp',
      'scripts/find-librdkafka.js',
    ]) {
      appendFileSync(path.join(copy, file), ' ')
      const after = run()
      expect(seen.has(after), `${file} is not part of the fingerprint`).toBe(false)
      seen.add(after)
    }
  })

  it('links librdkafka and its libraries in, needing only the C library at run time', () => {
    // The C library's own loader lists the needs (ldd's way); symbol tables are read in the system tier.
    const listed = ldd(prebuild)
    const libs = [...listed.matchAll(/^\s*(\S+\.so[.\d]*)/gm)].map((m) => path.basename(m[1]!))
    expect(libs.length).toBeGreaterThan(0)
    expect(libs.filter((lib) => !ALLOWED_NEEDS.test(lib))).toEqual([])
    expect(listed).not.toMatch(/not found/)
    const build = loadPrebuild().buildInfo()
    expect(build.linkage).toBe('static')
    expect(build.features.split(',')).toEqual(
      expect.arrayContaining(['ssl', 'lz4', 'zstd', 'sasl_scram', 'sasl_gssapi']),
    )
  })
})

describe('SASL GSSAPI on the prebuild', () => {
  // The prebuild opens the system's Cyrus SASL library on the first GSSAPI connection (see
  // native/sasl_shim.cc).
  it('fails a GSSAPI connection with what to install when the library is missing', () => {
    const out = gssapiAttempt(prebuild, { TURBOKAFKA_SASL_LIBRARY: '/nonexistent/libsasl2.so.2' })
    expect(out.connect).toBe('_TRANSPORT')
    expect(out.logs.join('\n')).toContain("SASL GSSAPI needs the system's Cyrus SASL library, which did not load")
    expect(out.logs.join('\n')).toContain('apt-get install libsasl2-2 libsasl2-modules-gssapi-mit')
  })
})

// Produces 1000 messages on a mock cluster and reads them back; `tk` is the package's entry.
const roundTrip = `
  async function roundTrip(tk, topic) {
    const cluster = await tk.MockCluster.start()
    const producer = new tk.Producer({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native', preset: 'latency' })
    const report = await producer.produceBatch(topic, Array.from({ length: 1000 }, (_, i) => topic + i))
    await producer.close()
    const consumer = new tk.Consumer({ 'bootstrap.servers': cluster.bootstrapServers, 'group.id': topic,
      'auto.offset.reset': 'earliest', engine: 'native' })
    consumer.subscribe([topic])
    let read = 0
    for (let i = 0; i < 100 && read < 1000; i++) read += (await consumer.consumeBatch(1000, 100)).length
    await consumer.close()
    await cluster.close()
    return { delivered: report.delivered, read }
  }`

describe('loading the prebuild', () => {
  const env = { TURBOKAFKA_NATIVE_PATH: prebuild }

  it('works in worker threads beside the main thread, and survives a worker ending with messages in flight', () => {
    const r = node(
      `
      const { Worker } = require('node:worker_threads')
      const tk = require('./dist/cjs/index.js')
      ${roundTrip}
      const inWorker = (code) => new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true })
        w.once('message', resolve); w.once('error', reject)
        w.once('exit', (c) => resolve({ exit: c }))
      })
      const workerCode = (topic) => \`
        const { parentPort } = require('node:worker_threads')
        const tk = require(\${JSON.stringify(require.resolve('./dist/cjs/index.js'))})
        ${roundTrip.replace(/`/g, '\\`')}
        roundTrip(tk, '\${topic}').then((r) => parentPort.postMessage({ ...r, file: tk.nativeBuild().file }))\`
      ;(async () => {
        const results = await Promise.all([roundTrip(tk, 'main'), inWorker(workerCode('w1')), inWorker(workerCode('w2'))])
        // A worker that ends while its producer still holds undelivered messages.
        const abandoned = await inWorker(\`
          const tk = require(\${JSON.stringify(require.resolve('./dist/cjs/index.js'))})
          const p = new tk.Producer({ 'bootstrap.servers': '127.0.0.1:1', engine: 'native' })
          p.produceBatch('lost', ['a', 'b']).catch(() => {})
          setTimeout(() => process.exit(0), 100)\`)
        results.push(abandoned, await roundTrip(tk, 'after'))
        console.log(JSON.stringify({ results, file: tk.nativeBuild().file }))
      })()`,
      env,
    )
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.file).toBe(prebuild)
    const [main, w1, w2, abandoned, after] = out.results
    for (const x of [main, w1, w2, after]) expect(x).toMatchObject({ delivered: 1000, read: 1000 })
    expect(w1.file).toBe(prebuild)
    expect(abandoned).toEqual({ exit: 0 })
  })

  it('loads twice in one process, from two paths and twice from one, and the copies work together', () => {
    const copy = path.join(tempDir(), 'second.node')
    cpSync(prebuild, copy)
    const r = node(`
      const path = ${JSON.stringify(prebuild)}
      const first = require(path)
      const second = require(${JSON.stringify(copy)})
      const again = { exports: {} }
      process.dlopen(again, path)
      const addons = [first, second, again.exports]
      // A mock cluster from one copy, a producer from the other: each copy has its own librdkafka.
      const cluster = new second.MockCluster(1)
      const settled = []
      const producers = addons.map((a) => new a.Producer({ 'bootstrap.servers': cluster.bootstraps(), 'linger.ms': '1' },
        (rows) => { for (const r of rows) settled.push(r[1]) }, 0))
      // The raw native call (lib/batch.ts builds these): one value, as (buffer 0, offset 0, length).
      producers.forEach((p, i) => {
        const value = new TextEncoder().encode('x' + i).buffer
        p.produceBatch('twice', i, [value], undefined, undefined, undefined, undefined, new Uint32Array([0, 0, value.byteLength]))
      })
      Promise.all(producers.map((p) => p.flush(10000))).then(async () => {
        for (const p of producers) await p.close(5000)
        cluster.close()
        console.log(JSON.stringify({ distinct: first !== second && second !== again.exports, settled,
          versions: addons.map((a) => a.librdkafkaVersion()) }))
      })`)
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.distinct).toBe(true)
    expect(out.settled.sort()).toEqual([1, 1, 1])
    expect(new Set(out.versions).size).toBe(1)
  })
})
