// What a user gets: `npm pack`, installed into an empty project with install scripts running. The
// installed package must use its prebuilt binary (no build/, no system librdkafka) and work
// through both require and import.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ldd, runtimeLibc } from './helpers'
import { installInto, pack, root, succeeded } from './packing'

const work = mkdtempSync(path.join(tmpdir(), 'turbokafka-install-'))
const app = path.join(work, 'app')
const installed = path.join(app, 'node_modules/turbokafka')
// The prebuild this machine loads: linux-x64's glibc one here, linux-arm64's under npm run
// test:arm64, linux-x64's musl one under npm run test:musl.
const ownPrebuild = `prebuilds/${process.platform}-${process.arch}/turbokafka.${runtimeLibc()}.node`
let tarball = ''
let packed: string[] = []
let installLog = ''

beforeAll(() => {
  // dist/ is built by npm test before the tests run; packing does not rebuild it.
  ;({ tarball, files: packed } = pack(work))
  const log = succeeded(installInto(app, tarball), 'npm install')
  installLog = `${log.stdout}\n${log.stderr}`
}, 300_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

// Produces 2000 messages to a mock cluster and reads them back, through the installed package.
const body = `
  const cluster = await tk.MockCluster.start()
  await cluster.createTopic('t', 2)
  const producer = new tk.Producer({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native' })
  const values = Array.from({ length: 2000 }, (_, i) => 'm' + i)
  const report = await producer.produceBatch('t', values)
  await producer.close()
  const consumer = new tk.Consumer({ 'bootstrap.servers': cluster.bootstrapServers, 'group.id': 'g',
    'auto.offset.reset': 'earliest', engine: 'native' })
  consumer.subscribe(['t'])
  const seen = new Set()
  for (let i = 0; i < 200 && seen.size < values.length; i++) {
    for (const m of await consumer.consumeBatch(1000, 100)) seen.add(m.value.toString())
  }
  await consumer.close()
  await cluster.close()
  const mapped = require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n')
    .map((l) => l.split(/\\s+/)[5]).filter((f) => f && /\\.(so[.\\d]*|node)$/.test(f))
  console.log(JSON.stringify({ delivered: report.delivered, consumed: seen.size, build: tk.nativeBuild(),
    mapped: [...new Set(mapped)] }))
`

function runApp(file: string, source: string) {
  writeFileSync(path.join(app, file), source)
  const env = { ...process.env }
  delete env.TURBOKAFKA_NATIVE_PATH
  const r = spawnSync(process.execPath, [file], { cwd: app, encoding: 'utf8', env, timeout: 60_000 })
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as {
    delivered: number
    consumed: number
    build: { file: string; linkage: string; fingerprint: string }
    mapped: string[]
  }
}

describe('npm pack and install', () => {
  it('packs exactly the built code, the prebuild, the native sources and build files, README and license', () => {
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^LICENSE$/,
      /^dist\/(cjs|esm)\/[\w/.-]+\.(js|mjs|d\.ts|d\.mts)$/,
      /^prebuilds\/linux-(x64|arm64)\/turbokafka\.(glibc|musl)\.node$/,
      /^native\/[\w]+\.(cc|h|map)$/,
      /^native\/build\.json$/,
      /^binding\.gyp$/,
      /^scripts\/(find-librdkafka|fingerprint|install)\.js$/,
    ]
    expect(packed.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([])
    for (const must of [
      'prebuilds/linux-x64/turbokafka.glibc.node',
      'prebuilds/linux-arm64/turbokafka.glibc.node',
      'prebuilds/linux-x64/turbokafka.musl.node',
      'dist/cjs/index.js',
      'dist/esm/index.mjs',
      'dist/cjs/index.d.ts',
      'native/addon.cc',
      'native/build.json',
      'binding.gyp',
      'LICENSE',
      'README.md',
    ]) {
      expect(packed).toContain(must)
    }
    expect(statSync(tarball).size).toBeGreaterThan(0)
  })

  it('runs the install script, which takes the prebuild and builds nothing', () => {
    expect(installLog).toMatch(/turbokafka@[\d.]+ install[\s\S]*node scripts\/install\.js/)
    expect(existsSync(path.join(installed, ownPrebuild))).toBe(true)
    expect(existsSync(path.join(installed, 'build'))).toBe(false)
  })

  it('produces and consumes through require, on the prebuild, without the system librdkafka', () => {
    const out = runApp('app.cjs', `const tk = require('turbokafka');\n(async () => {${body}})()`)
    expect(out.delivered).toBe(2000)
    expect(out.consumed).toBe(2000)
    expect(out.build.file).toBe(path.join(installed, ownPrebuild))
    expect(out.build.linkage).toBe('static')
    expect(out.mapped).toContain(out.build.file)
    expect(out.mapped.filter((f) => /librdkafka/.test(f))).toEqual([])
    expect(ldd(out.build.file)).not.toMatch(/librdkafka/)
  })

  it('produces and consumes through import, on the same prebuild', () => {
    const out = runApp(
      'app.mjs',
      `import * as tk from 'turbokafka'\nimport { createRequire } from 'node:module'\nconst require = createRequire(import.meta.url)\n${body}`,
    )
    expect(out.delivered).toBe(2000)
    expect(out.consumed).toBe(2000)
    expect(out.build.file).toBe(path.join(installed, ownPrebuild))
    expect(out.mapped.filter((f) => /librdkafka/.test(f))).toEqual([])
  })

  it('installs the same binary that is committed', () => {
    const a = readFileSync(path.join(installed, ownPrebuild))
    const b = readFileSync(path.join(root, ownPrebuild))
    expect(a.equals(b)).toBe(true)
  })
})
