// @ts-check
// The C baselines (producer.c, consumer.c, e2e.c behind baseline.c) as one executable, and which
// copy of it a benchmark run uses:
//   1. the prebuilt one in bench/c/prebuilt/<platform>-<arch>/, made by `npm run prebuild` from the
//      same librdkafka archive as the addon's prebuilt binary: used when that binary is loaded, so
//      that every ratio compares one librdkafka with itself, on a machine with nothing but Node;
//   2. otherwise one compiled here against the system's librdkafka (pkg-config), the library a
//      source build of the addon links;
//   3. otherwise none, with one line saying what is missing.
// TURBOKAFKA_BENCH_C overrides the choice (see locate).
'use strict'
const { execFileSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const here = __dirname
const root = path.join(here, '../..')
const PROGRAMS = ['producer', 'consumer', 'e2e']

/** Where the prebuilt baseline of a platform lives. */
function prebuiltPath(platform = process.platform, arch = process.arch) {
  return path.join(here, 'prebuilt', `${platform}-${arch}`, 'baseline')
}

/** sha256 of the baseline's sources and this file: compiled in, so a stale prebuilt copy shows. */
function fingerprint() {
  const hash = crypto.createHash('sha256')
  const files = fs
    .readdirSync(here)
    .filter((f) => /\.(c|h)$/.test(f) || f === 'build.js')
    .sort()
  for (const f of files) {
    hash.update(`${f}\0`)
    hash.update(fs.readFileSync(path.join(here, f)))
    hash.update('\0')
  }
  return `bfp_${hash.digest('hex').slice(0, 32)}`
}

/**
 * Compiles the baseline into `out`. `cflags` find librdkafka's headers, `libs` link it; `cxx`
 * links with the C++ driver (the static build takes native/sasl_shim.cc, as the addon does).
 * `cc` and `linker` name the compilers (a cross toolchain's), else CC, CXX or the system's.
 * @param {{ out: string, cflags: string[], libs: string[], extraSources?: string[], cxx?: boolean, cc?: string, linker?: string }} how
 */
function compile({ out, cflags, libs, extraSources = [], cxx = false, cc: compiler, linker: cxxLinker }) {
  const objects = path.join(path.dirname(out), 'obj')
  fs.mkdirSync(objects, { recursive: true })
  const cc = compiler || process.env.CC || 'cc'
  /** Compiles bench/c/NAME.c into an object with these extra flags. */
  const object = (name, flags) => {
    const obj = path.join(objects, `${name}.o`)
    execFileSync(cc, ['-O2', '-Wall', '-pthread', ...cflags, ...flags, '-c', path.join(here, `${name}.c`), '-o', obj], {
      stdio: 'inherit',
    })
    return obj
  }
  const built = [
    ...PROGRAMS.map((name) => object(name, [`-Dmain=${name}_main`])),
    object('baseline', [`-DBASELINE_FINGERPRINT="${fingerprint()}"`]),
  ]
  const linker = cxx ? cxxLinker || process.env.CXX || 'c++' : cc
  execFileSync(linker, ['-O2', '-pthread', '-o', out, ...built, ...extraSources, ...libs], { stdio: 'inherit' })
  fs.rmSync(objects, { recursive: true, force: true })
  return out
}

/**
 * A baseline's own account of itself: { librdkafka, fingerprint }. `run` prefixes the command
 * (qemu, for one built for another architecture).
 * @param {string} file @param {string[]} [run]
 */
function describe(file, run = []) {
  const [cmd, ...args] = [...run, file, 'version']
  return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8' }))
}

function systemLibrdkafka() {
  try {
    const version = execFileSync('pkg-config', ['--modversion', 'rdkafka'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'rdkafka'], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .filter(Boolean)
    return { version, flags }
  } catch {
    return undefined
  }
}

/** The baseline compiled against the system's librdkafka, cached in build/bench until a source changes. */
function fromSystem(sys) {
  const out = path.join(root, 'build', 'bench', 'baseline')
  const made = fs.existsSync(out) ? describe(out) : undefined
  if (made?.fingerprint !== fingerprint() || made.librdkafka !== sys.version) {
    fs.mkdirSync(path.dirname(out), { recursive: true })
    compile({ out, cflags: [], libs: sys.flags })
  }
  return out
}

/**
 * The baseline a run uses for an addon built as `addon` (nativeBuild()):
 * { file, librdkafka, how } or { missing } with the one line to print.
 * @param {{ linkage: string, librdkafka: string }} addon
 */
function locate(addon) {
  // TURBOKAFKA_BENCH_C: a baseline executable to use instead (e.g. one linked against a custom
  // librdkafka), or "none" to run without one.
  const chosen = process.env.TURBOKAFKA_BENCH_C
  if (chosen === 'none') return { missing: 'C baselines skipped: TURBOKAFKA_BENCH_C=none; ratios to C are left out' }
  if (chosen)
    return { file: path.resolve(chosen), librdkafka: describe(chosen).librdkafka, how: 'chosen by TURBOKAFKA_BENCH_C' }
  const prebuilt = prebuiltPath()
  if (addon.linkage === 'static' && fs.existsSync(prebuilt)) {
    const info = describe(prebuilt)
    if (info.librdkafka === addon.librdkafka)
      return { file: prebuilt, librdkafka: info.librdkafka, how: 'prebuilt, librdkafka linked in as in the addon' }
  }
  const sys = systemLibrdkafka()
  if (sys) {
    try {
      return { file: fromSystem(sys), librdkafka: sys.version, how: "compiled here against the system's librdkafka" }
    } catch (err) {
      return {
        missing: `C baselines skipped: compiling them failed (${String(err instanceof Error ? err.message : err).split('\n')[0]})`,
      }
    }
  }
  return {
    missing:
      `C baselines skipped: no prebuilt baseline for ${process.platform}-${process.arch} with librdkafka ${addon.librdkafka}, ` +
      'and no librdkafka development files to compile one (apt-get install gcc librdkafka-dev pkg-config); ratios to C are left out',
  }
}

module.exports = { compile, describe, fingerprint, locate, prebuiltPath, PROGRAMS }
