#!/usr/bin/env node
// npm run prebuild: makes the committed binary prebuilds/<platform>-<arch>/turbokafka.napi.<libc>.node
// with prebuildify (one Node-API build serves every Node version the package supports), linked
// statically (TURBOKAFKA_LINK=static, see find-librdkafka.js) against the pinned librdkafka that
// scripts/librdkafka.js builds from source (PKG_CONFIG_PATH points at it), then checks the
// librdkafka version it reports, what it needs at run time, that nothing is left unresolved, what
// it exports, and prints its size.
//
//   npm run prebuild                     for this machine's architecture
//   npm run prebuild -- --arch arm64     for linux-arm64, with Debian's cross toolchain and
//                                        multiarch libraries (scripts/toolchain.js); its checks
//                                        run the binary in an arm64 Node under qemu
'use strict'
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const librdkafka = require('./librdkafka.js')
const { ARM64_NODE, ensureNode } = require('./node-dist.js')
const { known, toolchain } = require('./toolchain.js')

const root = path.join(__dirname, '..')

// What a prebuilt binary may need from the system: the C library's parts, and the compiler's
// unwinder, which every glibc system has. Anything else would make installs fail on machines
// without it.
const ALLOWED_NEEDS = /^(linux-vdso|libc|libm|libdl|libpthread|librt|libgcc_s|ld-linux-x86-64|ld-linux-aarch64)\.so/
// The two entry points Node looks up in a Node-API addon.
const ALLOWED_EXPORTS = new Set(['napi_register_module_v1', 'node_api_module_get_api_version_v1'])

// Symbols the binary may leave for the process to supply without a library version: Node-API's,
// which Node itself defines. Everything else it takes from outside must come versioned from the
// libraries above; an unversioned one (say a sasl_* function librdkafka calls that
// native/sasl_shim.cc does not define) would only fail when first called, or when loaded.
const ALLOWED_UNVERSIONED = /^(napi_|node_api_)/

/**
 * Runtime needs (DT_NEEDED, from readelf), exported symbols, strong undefined symbols with no
 * library version (other than Node-API's) and newest glibc symbol version. `tools` names the
 * binutils that read the binary's architecture.
 */
function inspect(file, tools = { READELF: 'readelf', NM: 'nm', OBJDUMP: 'objdump' }) {
  const dynamic = execFileSync(tools.READELF, ['-d', file], { encoding: 'utf8' })
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1])
  const symbols = execFileSync(tools.NM, ['-D', '--defined-only', file], { encoding: 'utf8' })
  const exported = symbols
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((w) => w.length === 3 && /[TDBRVW]/.test(w[1]))
    .map((w) => w[2])
  const undefinedSymbols = execFileSync(tools.NM, ['-D', '--undefined-only', file], { encoding: 'utf8' })
  const unresolved = undefinedSymbols
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((w) => w.length === 2 && w[0] === 'U' && !w[1].includes('@') && !ALLOWED_UNVERSIONED.test(w[1]))
    .map((w) => w[1])
  const versions = execFileSync(tools.OBJDUMP, ['-T', file], { encoding: 'utf8' })
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

/** The architecture asked for with --arch, else this machine's. */
function targetArch(args = process.argv.slice(2)) {
  const at = args.indexOf('--arch')
  const arch = at >= 0 ? args[at + 1] : process.arch
  if (args.length !== (at >= 0 ? 2 : 0) || !arch || !known(arch)) {
    console.error('usage: prebuild.js [--arch x64|arm64]')
    process.exit(2)
  }
  return arch
}

/**
 * Runs `code` in a Node of the toolchain's architecture with `file` as process.argv[1], and
 * parses what it prints: this machine's Node, or across architectures the pinned arm64 Node
 * under qemu.
 * @param {ReturnType<typeof toolchain>} tc @param {string} code @param {string} file
 */
function evaluateIn(tc, code, file) {
  const node = tc.cross ? ensureNode(ARM64_NODE, tc.arch) : process.execPath
  const [cmd, ...args] = [...tc.run, node, '-p', code, file]
  return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8' }))
}

function main() {
  const tc = toolchain(targetArch())
  /** The pinned librdkafka, built (or taken from the cache) first. */
  let pinned
  try {
    pinned = librdkafka.ensureLibrdkafka({ arch: tc.arch })
  } catch (err) {
    if (!(err instanceof librdkafka.BuildError)) throw err
    console.error(`\nprebuild: librdkafka: ${err.message}\n`)
    process.exit(1)
  }
  console.error(`prebuild: librdkafka ${pinned.version} for ${tc.arch} from ${pinned.prefix}`)

  const out = path.join(root, 'prebuilds', `linux-${tc.arch}`)
  fs.rmSync(out, { recursive: true, force: true })
  // pkg-config finds the pinned rdkafka.pc before any other (find-librdkafka.js also takes its
  // librdkafka.a before any other on the machine); across architectures, the other libraries'
  // .pc files and archives are the multiarch ones (toolchain's PKG_CONFIG_LIBDIR and CC).
  const pkgConfigPath = [pinned.pkgConfigPath, process.env.PKG_CONFIG_PATH].filter(Boolean).join(path.delimiter)
  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...process.env,
    ...tc.env,
    TURBOKAFKA_LINK: 'static',
    PKG_CONFIG_PATH: pkgConfigPath,
    PREBUILD_STRIP_BIN: tc.tools.STRIP,
  }
  const nodedir = localNodeDir()
  if (nodedir && !env.npm_config_nodedir) env.npm_config_nodedir = nodedir
  const bin = path.join(root, 'node_modules/.bin/prebuildify')
  const flags = ['--napi', '--strip', '--tag-libc', ...(tc.cross ? ['--arch', tc.arch] : [])]
  const run = spawnSync(bin, flags, { cwd: root, env, stdio: 'inherit' })
  // node-gyp's own output stays out of the way: the loader would take build/Release before the
  // prebuild, and after a cross build it is not even this machine's architecture.
  fs.rmSync(path.join(root, 'build', 'Release'), { recursive: true, force: true })
  if (run.status !== 0) process.exit(run.status ?? 1)

  const files = fs.readdirSync(out).filter((f) => f.endsWith('.node'))
  if (files.length !== 1) throw new Error(`expected one binary in ${out}, found ${files.join(', ') || 'none'}`)
  const file = path.join(out, files[0])
  const info = inspect(file, tc.tools)
  const build = evaluateIn(tc, 'JSON.stringify(require(process.argv[1]).buildInfo())', file)
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
  baseline(pinned, env, tc)
}

/**
 * The benchmark's C baseline, linked against the same librdkafka archive and libraries as the
 * addon (bench/c/build.js), so that a machine with nothing but Node has the yardstick of every
 * ratio, and it measures the very librdkafka the addon runs.
 * @param {ReturnType<typeof librdkafka.ensureLibrdkafka>} pinned @param {NodeJS.ProcessEnv} env
 * @param {ReturnType<typeof toolchain>} tc
 */
function baseline(pinned, env, tc) {
  const bench = require('../bench/c/build.js')
  const out = bench.prebuiltPath('linux', tc.arch)
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
    cc: tc.tools.CC,
    linker: tc.tools.CXX,
  })
  execFileSync(tc.tools.STRIP, [out])
  const info = inspect(out, tc.tools)
  const made = bench.describe(out, tc.run)
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
