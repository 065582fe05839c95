#!/usr/bin/env node
// npm run prebuild: makes the committed binary prebuilds/<platform>-<arch>/turbokafka.napi.<libc>.node
// with prebuildify (one Node-API build serves every Node version the package supports), linked
// statically against librdkafka (TURBOKAFKA_LINK=static, see find-librdkafka.js), then checks
// what it needs at run time and what it exports, and prints its size.
'use strict'
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')

// What a prebuilt binary may need from the system: the C library's parts, and the compiler's
// unwinder, which every glibc system has. Anything else would make installs fail on machines
// without it.
const ALLOWED_NEEDS = /^(linux-vdso|libc|libm|libdl|libpthread|librt|libgcc_s|ld-linux-x86-64)\.so/
// The two entry points Node looks up in a Node-API addon.
const ALLOWED_EXPORTS = new Set(['napi_register_module_v1', 'node_api_module_get_api_version_v1'])

/** Runtime needs (DT_NEEDED, from readelf), exported symbols and newest glibc symbol version. */
function inspect(file) {
  const dynamic = execFileSync('readelf', ['-d', file], { encoding: 'utf8' })
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1])
  const symbols = execFileSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8' })
  const exported = symbols
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((w) => w.length === 3 && /[TDBRVW]/.test(w[1]))
    .map((w) => w[2])
  const versions = execFileSync('objdump', ['-T', file], { encoding: 'utf8' })
  const glibc = [...versions.matchAll(/GLIBC_(\d+)\.(\d+)/g)]
    .map((m) => [Number(m[1]), Number(m[2])])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .pop()
  return { needed, exported, glibc: glibc ? glibc.join('.') : undefined, bytes: fs.statSync(file).size }
}

/** Problems that make a binary unfit to ship (empty when it is fine). */
function problems(info) {
  const out = []
  for (const lib of info.needed) if (!ALLOWED_NEEDS.test(lib)) out.push(`needs ${lib} at run time`)
  for (const sym of info.exported) if (!ALLOWED_EXPORTS.has(sym)) out.push(`exports ${sym}`)
  return out
}

/** The node headers installed with Node, so node-gyp needs no download. */
function localNodeDir() {
  const prefix = path.dirname(path.dirname(fs.realpathSync(process.execPath)))
  return fs.existsSync(path.join(prefix, 'include/node/node_api.h')) ? prefix : undefined
}

function main() {
  const out = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)
  fs.rmSync(out, { recursive: true, force: true })
  const env = { ...process.env, TURBOKAFKA_LINK: 'static' }
  const nodedir = localNodeDir()
  if (nodedir && !env.npm_config_nodedir) env.npm_config_nodedir = nodedir
  const bin = path.join(root, 'node_modules/.bin/prebuildify')
  const run = spawnSync(bin, ['--napi', '--strip', '--tag-libc'], { cwd: root, env, stdio: 'inherit' })
  if (run.status !== 0) process.exit(run.status ?? 1)

  const files = fs.readdirSync(out).filter((f) => f.endsWith('.node'))
  if (files.length !== 1) throw new Error(`expected one binary in ${out}, found ${files.join(', ') || 'none'}`)
  const file = path.join(out, files[0])
  const info = inspect(file)
  const addon = require(file)
  const build = addon.buildInfo()
  console.log(
    [
      '',
      `prebuild: ${path.relative(root, file)}`,
      `  size        ${(info.bytes / 1048576).toFixed(2)} MiB (${info.bytes} bytes)`,
      `  librdkafka  ${build.librdkafka} (${build.linkage}), features ${build.features}`,
      `  needs       ${info.needed.join(' ')} (glibc >= ${info.glibc})`,
      `  exports     ${info.exported.join(' ')}`,
      `  fingerprint ${build.fingerprint}`,
    ].join('\n'),
  )
  const bad = problems(info)
  if (build.linkage !== 'static') bad.push(`is linked ${build.linkage}ally against librdkafka`)
  if (bad.length > 0) {
    console.error(`\nprebuild: the binary is not fit to ship:\n  ${bad.join('\n  ')}`)
    process.exit(1)
  }
}

module.exports = { inspect, problems, ALLOWED_NEEDS, ALLOWED_EXPORTS }

if (require.main === module) main()
