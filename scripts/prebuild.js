#!/usr/bin/env node
// npm run prebuild: makes the committed binary prebuilds/<platform>-<arch>/turbokafka.napi.<libc>.node
// with prebuildify (one Node-API build serves every Node version the package supports), linked
// statically (TURBOKAFKA_LINK=static, see find-librdkafka.js) against the pinned librdkafka that
// scripts/librdkafka.js builds from source (PKG_CONFIG_PATH points at it), then checks the
// librdkafka version it reports, what it needs at run time, that nothing is left unresolved, what
// it exports, and prints its size.
'use strict'
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const librdkafka = require('./librdkafka.js')

const root = path.join(__dirname, '..')

// What a prebuilt binary may need from the system: the C library's parts, and the compiler's
// unwinder, which every glibc system has. Anything else would make installs fail on machines
// without it.
const ALLOWED_NEEDS = /^(linux-vdso|libc|libm|libdl|libpthread|librt|libgcc_s|ld-linux-x86-64)\.so/
// The two entry points Node looks up in a Node-API addon.
const ALLOWED_EXPORTS = new Set(['napi_register_module_v1', 'node_api_module_get_api_version_v1'])

// Symbols the binary may leave for the process to supply without a library version: Node-API's,
// which Node itself defines. Everything else it takes from outside must come versioned from the
// libraries above; an unversioned one (say a sasl_* function librdkafka calls that
// native/sasl_shim.cc does not define) would only fail when first called, or when loaded.
const ALLOWED_UNVERSIONED = /^(napi_|node_api_)/

/**
 * Runtime needs (DT_NEEDED, from readelf), exported symbols, strong undefined symbols with no
 * library version (other than Node-API's) and newest glibc symbol version.
 */
function inspect(file) {
  const dynamic = execFileSync('readelf', ['-d', file], { encoding: 'utf8' })
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1])
  const symbols = execFileSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8' })
  const exported = symbols
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((w) => w.length === 3 && /[TDBRVW]/.test(w[1]))
    .map((w) => w[2])
  const undefinedSymbols = execFileSync('nm', ['-D', '--undefined-only', file], { encoding: 'utf8' })
  const unresolved = undefinedSymbols
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((w) => w.length === 2 && w[0] === 'U' && !w[1].includes('@') && !ALLOWED_UNVERSIONED.test(w[1]))
    .map((w) => w[1])
  const versions = execFileSync('objdump', ['-T', file], { encoding: 'utf8' })
  const glibc = [...versions.matchAll(/GLIBC_(\d+)\.(\d+)/g)]
    .map((m) => [Number(m[1]), Number(m[2])])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .pop()
  return { needed, exported, unresolved, glibc: glibc ? glibc.join('.') : undefined, bytes: fs.statSync(file).size }
}

/** Problems that make a binary unfit to ship (empty when it is fine). */
function problems(info) {
  const out = []
  for (const lib of info.needed) if (!ALLOWED_NEEDS.test(lib)) out.push(`needs ${lib} at run time`)
  for (const sym of info.exported) if (!ALLOWED_EXPORTS.has(sym)) out.push(`exports ${sym}`)
  for (const sym of info.unresolved ?? []) out.push(`leaves ${sym} unresolved`)
  return out
}

/** The node headers installed with Node, so node-gyp needs no download. */
function localNodeDir() {
  const prefix = path.dirname(path.dirname(fs.realpathSync(process.execPath)))
  return fs.existsSync(path.join(prefix, 'include/node/node_api.h')) ? prefix : undefined
}

function main() {
  /** The pinned librdkafka, built (or taken from the cache) first. */
  let pinned
  try {
    pinned = librdkafka.ensureLibrdkafka()
  } catch (err) {
    if (!(err instanceof librdkafka.BuildError)) throw err
    console.error(`\nprebuild: librdkafka: ${err.message}\n`)
    process.exit(1)
  }
  console.error(`prebuild: librdkafka ${pinned.version} from ${pinned.prefix}`)

  const out = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)
  fs.rmSync(out, { recursive: true, force: true })
  // pkg-config finds the pinned rdkafka.pc before any other (find-librdkafka.js also takes its
  // librdkafka.a before any other on the machine).
  const pkgConfigPath = [pinned.pkgConfigPath, process.env.PKG_CONFIG_PATH].filter(Boolean).join(path.delimiter)
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, TURBOKAFKA_LINK: 'static', PKG_CONFIG_PATH: pkgConfigPath }
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
  if (build.librdkafka !== pinned.version)
    bad.push(`runs librdkafka ${build.librdkafka}, not the pinned ${pinned.version}`)
  if (bad.length > 0) {
    console.error(`\nprebuild: the binary is not fit to ship:\n  ${bad.join('\n  ')}`)
    process.exit(1)
  }
  baseline(pinned, env)
}

/**
 * The benchmark's C baseline, linked against the same librdkafka archive and libraries as the
 * addon (bench/c/build.js), so that a machine with nothing but Node has the yardstick of every
 * ratio, and it measures the very librdkafka the addon runs.
 */
function baseline(pinned, env) {
  const bench = require('../bench/c/build.js')
  const out = bench.prebuiltPath()
  fs.rmSync(path.dirname(out), { recursive: true, force: true })
  fs.mkdirSync(path.dirname(out), { recursive: true })
  const libs = execFileSync(process.execPath, [path.join(__dirname, 'find-librdkafka.js'), '--libs'], {
    env,
    encoding: 'utf8',
  })
    .trim()
    .split(/\s+/)
  bench.compile({
    out,
    cflags: [`-I${path.join(pinned.prefix, 'include')}`, '-ffunction-sections', '-fdata-sections'],
    // librdkafka's Cyrus SASL references, satisfied the way the addon satisfies them.
    extraSources: [path.join(root, 'native', 'sasl_shim.cc')],
    libs: [...libs, '-ldl'],
    cxx: true,
  })
  execFileSync('strip', [out])
  const info = inspect(out)
  const made = bench.describe(out)
  console.log(
    [
      '',
      `prebuild: ${path.relative(root, out)} (the C baseline of npm run bench)`,
      `  size        ${(info.bytes / 1048576).toFixed(2)} MiB (${info.bytes} bytes)`,
      `  librdkafka  ${made.librdkafka}`,
      `  needs       ${info.needed.join(' ')} (glibc >= ${info.glibc})`,
      `  fingerprint ${made.fingerprint}`,
    ].join('\n'),
  )
  const bad = info.needed.filter((lib) => !ALLOWED_NEEDS.test(lib)).map((lib) => `needs ${lib} at run time`)
  if (made.librdkafka !== pinned.version)
    bad.push(`runs librdkafka ${made.librdkafka}, not the pinned ${pinned.version}`)
  if (bad.length > 0) {
    console.error(`\nprebuild: the C baseline is not fit to commit:\n  ${bad.join('\n  ')}`)
    process.exit(1)
  }
}

module.exports = { inspect, problems, ALLOWED_NEEDS, ALLOWED_EXPORTS, ALLOWED_UNVERSIONED }

if (require.main === module) main()
