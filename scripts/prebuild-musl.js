#!/usr/bin/env node
// @ts-check
// Makes the musl binary prebuilds/linux-x64/turbokafka.musl.node on a glibc (Debian) x64 machine,
// with zig's clang as the C and C++ compiler for x86_64-linux-musl, linked statically against the
// pinned librdkafka (the same source and configure flags as scripts/librdkafka.js), OpenSSL, zstd
// and zlib built here from pinned sources, and LLVM's libc++ (which zig links statically). At run
// time it needs only musl's libc.so. Every input is pinned and checked before use:
//
//   zig          the Python wheel ziglang (pip download, sha256)
//   OpenSSL      the crates openssl-src, zstd-sys and libz-sys, which carry the C sources
//   zstd, zlib   (cargo fetch --locked with a private CARGO_HOME, sha256 of each .crate)
//   librdkafka   deps/librdkafka of scripts/librdkafka.js's npm tarball (npm pack, integrity)
//   SASL         only the headers of Debian's libsasl2-dev (native/sasl_shim.cc opens libsasl2)
//
// The libraries are built once into <cache>/musl/deps-<hash of the pins and flags>/ (a stamp file
// records them) and reused; later runs only compile the addon. Its checks run it in the musl Node
// of scripts/musl-node.js, and take musl's symbols from that same pinned musl 1.2.5 libc.so.
//
//   node scripts/prebuild-musl.js [--out FILE]   (default prebuilds/linux-x64/turbokafka.musl.node)
'use strict'
const { execFileSync, spawn } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const librdkafka = require('./librdkafka.js')
const { BuildError, run, tail } = librdkafka
const { FetchError, fetchPackage } = require('./npm-fetch.js')
const { fingerprint } = require('./fingerprint.js')
const musl = require('./musl-node.js')
const { inspect, problems } = require('./prebuild.js')
const { toolchain } = require('./toolchain.js')

const root = path.join(__dirname, '..')
const JOBS = 2

/** zig: a complete clang toolchain with musl's and LLVM's libraries, for any target. @type {import('./musl-node.js').WheelPin} */
const ZIG = {
  name: 'ziglang',
  version: '0.17.1',
  platform: 'manylinux_2_12_x86_64',
  file: 'ziglang-0.17.1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl',
  sha256: 'ea6cc5d87b033cf0aedfbc8f9549a908cae6c50ac31f1698188fa48a74524b54',
}
/** What every compile gets: the target, a baseline x86-64 CPU, and none of zig's default sanitizers. */
const TARGET_FLAGS = ['-target', 'x86_64-linux-musl', '-mcpu=baseline', '-fno-sanitize=all']
/**
 * The crates that carry the C sources, with the sha256 of each .crate (Cargo.lock's checksum),
 * and where in it the source is.
 */
const CRATES = {
  openssl: { name: 'openssl-src', version: '300.5.5+3.5.5', source: 'openssl' },
  zstd: { name: 'zstd-sys', version: '2.1.3+zstd.1.5.7', source: 'zstd/lib' },
  zlib: { name: 'libz-sys', version: '1.1.33', source: 'src/zlib' },
}
/** @type {Record<string, string>} */
const CRATE_SHA256 = {
  'openssl-src': '3f1787d533e03597a7934fd0a765f0d28e94ecc5fb7789f8053b1e699a56f709',
  'zstd-sys': 'f729a06d0257428fd9d997ac8db7e1407bd0262ab016b085b36bc52957c0052d',
  'libz-sys': 'fee3f59f4321dab0c78d828942e7aa09d0bd8ad6e78a501977e6bf3d02938045',
}
/** The libraries' compile flags (position-independent: they go into a shared object). */
const LIB_CFLAGS = ['-O2', '-g0', '-fPIC', '-ffunction-sections', '-fdata-sections']
const ZLIB_SOURCES =
  'adler32 compress crc32 deflate infback inffast inflate inftrees trees uncompr zutil gzclose gzlib gzread gzwrite'
const ZLIB_DEFINES = ['-DSTDC', '-D_LARGEFILE64_SOURCE', '-DHAVE_UNISTD_H', '-DHAVE_STDARG_H']
/** Multithreaded like Debian's libzstd; ZSTD_NO_TRACE leaves out the weak tracing hooks. */
const ZSTD_DEFINES = ['-DXXH_NAMESPACE=ZSTD_', '-DZSTD_MULTITHREAD', '-DZSTD_NO_TRACE', '-pthread']
/**
 * OpenSSL's Configure options, as openssl-src uses them for musl (no-async: musl has no
 * makecontext); engines kept, like the glibc build's Debian OpenSSL. The paths baked in are the
 * usual ones of musl distributions (certificates in /etc/ssl).
 */
const OPENSSL_OPTIONS = [
  'linux-x86_64',
  '--prefix=/usr',
  '--libdir=lib',
  '--openssldir=/etc/ssl',
  ...['no-shared', 'no-module', 'no-tests', 'no-docs', 'no-apps', 'no-comp', 'no-zlib', 'no-async'],
]
/** librdkafka's configure flags: scripts/librdkafka.js's, without debug information, and zig's compilers. */
const RDKAFKA_FLAGS = [
  ...librdkafka.CONFIGURE_FLAGS.map((f) => (f.startsWith('--CFLAGS=') ? `${f} -g0` : f)),
  '--cc=zig-cc',
  '--cxx=zig-c++',
  '--arch=x86_64',
]
/** What node-gyp adds to an addon's compile on Linux (build.json has the rest). */
const NODE_GYP_FLAGS = ['-fPIC', '-pthread', '-g0', '-ffunction-sections', '-fdata-sections']
const NODE_GYP_DEFINES = [
  'NODE_GYP_MODULE_NAME=turbokafka',
  'BUILDING_NODE_EXTENSION',
  '_LARGEFILE_SOURCE',
  '_FILE_OFFSET_BITS=64',
]
const NODE_API_HEADERS = ['node_api.h', 'node_api_types.h', 'js_native_api.h', 'js_native_api_types.h']
const STAMP_FILE = 'turbokafka-build.json'
/** The tools each part takes, with the Debian package of each (zig brings the compilers). @type {Record<string, [string, string][]>} */
const TOOLS = {
  deps: [
    ['cargo', 'cargo'],
    ['perl', 'perl'],
    ['make', 'make'],
    ['tar', 'tar'],
    ['npm', 'npm'],
    ['pkg-config', 'pkg-config'],
    ['bash', 'bash'],
  ],
  checks: [
    ['strip', 'binutils'],
    ['readelf', 'binutils'],
    ['nm', 'binutils'],
    ['objdump', 'binutils'],
  ],
}

/** @param {string} line */
const log = (line) => process.stderr.write(`prebuild-musl: ${line}\n`)

/** What the libraries are built from and how: a difference means another build. */
function depsStamp() {
  return {
    zig: ZIG,
    target: TARGET_FLAGS,
    crates: Object.values(CRATES).map((c) => ({ ...c, sha256: CRATE_SHA256[c.name] })),
    librdkafka: {
      package: librdkafka.PACKAGE_SPEC,
      integrity: librdkafka.PACKAGE_INTEGRITY,
      version: librdkafka.VERSION,
    },
    cflags: LIB_CFLAGS,
    zlib: ZLIB_DEFINES,
    zstd: ZSTD_DEFINES,
    openssl: OPENSSL_OPTIONS,
    configure: RDKAFKA_FLAGS,
  }
}

/** Where the libraries for these pins are installed. @param {string} base <cache>/musl */
function depsPrefix(base) {
  const hash = crypto.createHash('sha256').update(JSON.stringify(depsStamp())).digest('hex').slice(0, 12)
  return path.join(base, `deps-${hash}`)
}

/** The archives of an install, in link order. @param {string} prefix */
function archives(prefix) {
  return ['rdkafka', 'ssl', 'crypto', 'zstd', 'z'].map((l) => path.join(prefix, 'lib', `lib${l}.a`))
}

/** @param {string} prefix */
function depsInstalled(prefix) {
  if (!archives(prefix).every((f) => fs.existsSync(f))) return false
  try {
    return fs.readFileSync(path.join(prefix, STAMP_FILE), 'utf8') === JSON.stringify(depsStamp(), null, 2)
  } catch {
    return false
  }
}

/**
 * zig, unpacked from its verified wheel into <cache>/musl/zig-<version>, with wrappers in bin/
 * (zig-cc, zig-c++, zig-ar, zig-ranlib) that configure scripts and make can take as CC and CXX.
 * Returns that bin folder. @param {string} base
 */
function ensureZig(base) {
  const dir = path.join(base, `zig-${ZIG.version}`)
  const zig = path.join(dir, 'wheel', 'ziglang', 'zig')
  const stampFile = path.join(dir, 'wheel', 'sha256')
  if (!(fs.existsSync(zig) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === ZIG.sha256)) {
    musl.unpackWheel(musl.fetchWheel(ZIG, path.join(base, 'dl'), log), path.join(dir, 'wheel'))
    fs.chmodSync(zig, 0o755)
    fs.writeFileSync(stampFile, ZIG.sha256)
  }
  const bin = path.join(dir, 'bin')
  fs.mkdirSync(bin, { recursive: true })
  const zigCache = path.join(base, 'zig-cache')
  for (const tool of ['cc', 'c++']) {
    const script = [
      '#!/bin/sh',
      `# zig ${tool} for x86_64 Linux musl (scripts/prebuild-musl.js)`,
      `export ZIG_GLOBAL_CACHE_DIR='${zigCache}' ZIG_LOCAL_CACHE_DIR='${zigCache}'`,
      `exec '${zig}' ${tool} ${TARGET_FLAGS.join(' ')} "$@"`,
      '',
    ]
    fs.writeFileSync(path.join(bin, `zig-${tool}`), script.join('\n'), { mode: 0o755 })
  }
  for (const tool of ['ar', 'ranlib']) {
    fs.writeFileSync(path.join(bin, `zig-${tool}`), `#!/bin/sh\nexec '${zig}' ${tool} "$@"\n`, { mode: 0o755 })
  }
  return bin
}

/**
 * Runs commands at most JOBS at a time; rejects with the first failure's output.
 * @param {[string, string[]][]} commands @param {{ cwd?: string, env?: NodeJS.ProcessEnv }} opts
 */
function runParallel(commands, opts) {
  const queue = [...commands]
  /** @returns {Promise<void>} */
  const next = () => {
    const job = queue.shift()
    if (!job) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const child = spawn(job[0], job[1], { ...opts, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      child.on('error', reject)
      child.on('close', (code) => {
        if (code === 0) resolve(next())
        else reject(new BuildError(`${path.basename(job[0])} ${job[1].join(' ')}\nfailed:\n${stderr.trim()}`))
      })
    })
  }
  return Promise.all(Array.from({ length: JOBS }, next)).then(() => undefined)
}

/**
 * The three crates, fetched with cargo into <cache>/musl/cargo-home, checked and unpacked into
 * work/src. Returns the folder of each crate's C source.
 * @param {string} base @param {string} work
 */
function fetchCrates(base, work) {
  const project = path.join(work, 'crates')
  fs.mkdirSync(path.join(project, 'src'), { recursive: true })
  fs.writeFileSync(path.join(project, 'src', 'main.rs'), 'fn main() {}\n')
  const deps = Object.values(CRATES).map(
    (c) => `${c.name} = { version = "=${c.version.split('+')[0]}", default-features = false }`,
  )
  const manifest = [
    '[package]',
    'name = "turbokafka-musl-sources"',
    'version = "0.0.0"',
    'edition = "2021"',
    'publish = false',
  ]
  fs.writeFileSync(path.join(project, 'Cargo.toml'), [...manifest, '[dependencies]', ...deps, ''].join('\n'))
  const env = { ...process.env, CARGO_HOME: path.join(base, 'cargo-home') }
  const logFile = path.join(work, 'build.log')
  log(
    `fetching ${Object.values(CRATES)
      .map((c) => `${c.name} ${c.version}`)
      .join(', ')} (cargo fetch)`,
  )
  for (const args of [['generate-lockfile'], ['fetch', '--locked']]) {
    const r = run('cargo', args, { cwd: project, env, log: logFile })
    if (r.status !== 0) throw new BuildError(`cargo ${args.join(' ')} failed (log: ${logFile}):\n${tail(logFile)}`)
  }
  const lock = fs.readFileSync(path.join(project, 'Cargo.lock'), 'utf8')
  const cacheRoot = path.join(env.CARGO_HOME, 'registry', 'cache')
  /** @type {Record<string, string>} */
  const sources = {}
  for (const [key, crate] of Object.entries(CRATES)) {
    const sha256 = CRATE_SHA256[crate.name]
    const entry = new RegExp(
      `name = "${crate.name}"\\nversion = "${crate.version.replace(/[.+]/g, '\\$&')}"\\n[^\\n]*\\nchecksum = "${sha256}"`,
    )
    if (!entry.test(lock))
      throw new BuildError(`Cargo.lock does not pin ${crate.name} ${crate.version} with sha256 ${sha256}`)
    const file = fs
      .readdirSync(cacheRoot)
      .map((d) => path.join(cacheRoot, d, `${crate.name}-${crate.version}.crate`))
      .find((f) => fs.existsSync(f))
    if (!file || musl.sha256File(file) !== sha256)
      throw new BuildError(`${crate.name}-${crate.version}.crate is missing or not the pinned one`)
    fs.mkdirSync(path.join(work, 'src'), { recursive: true })
    const r = run('tar', ['-xzf', file, '-C', path.join(work, 'src'), '--no-same-owner'], { log: logFile })
    if (r.status !== 0) throw new BuildError(`unpacking ${path.basename(file)} failed (log: ${logFile})`)
    sources[key] = path.join(work, 'src', `${crate.name}-${crate.version}`, crate.source)
  }
  return sources
}

/** A pkg-config file for a library installed in stage, for librdkafka's configure only. */
function writePc(
  /** @type {string} */ dir,
  /** @type {string} */ stage,
  /** @type {string} */ name,
  /** @type {string} */ version,
  libs = '',
) {
  const lines = [`prefix=${stage}`, 'libdir=${prefix}/lib', 'includedir=${prefix}/include', `Name: ${name}`]
  lines.push(`Description: ${name}`, `Version: ${version}`, `Libs: -L\${libdir} ${libs}`, 'Cflags: -I${includedir}', '')
  fs.writeFileSync(path.join(dir, `${name}.pc`), lines.join('\n'))
}

/**
 * zlib and zstd: compiled file by file (their own build systems would add nothing here) into
 * stage/lib/libz.a and libzstd.a, with their headers.
 * @param {Record<string, string>} src @param {string} work @param {string} stage @param {NodeJS.ProcessEnv} env
 */
async function buildCompression(src, work, stage, env) {
  const obj = path.join(work, 'obj')
  const pc = path.join(work, 'pkgconfig')
  for (const d of [path.join(obj, 'zlib'), path.join(obj, 'zstd'), pc]) fs.mkdirSync(d, { recursive: true })
  log("building zlib and zstd (the first compile also builds zig's musl libc)")
  const z = src.zlib
  const zlib = ZLIB_SOURCES.split(' ').map(
    (f) =>
      /** @type {[string, string[]]} */ ([
        'zig-cc',
        [
          ...LIB_CFLAGS,
          ...ZLIB_DEFINES,
          `-I${z}`,
          '-c',
          path.join(z, `${f}.c`),
          '-o',
          path.join(obj, 'zlib', `${f}.o`),
        ],
      ]),
  )
  await runParallel(zlib, { env })
  const zs = src.zstd
  const zstdSources = ['common', 'compress', 'decompress', 'dictBuilder'].flatMap((d) =>
    fs
      .readdirSync(path.join(zs, d))
      .filter((f) => f.endsWith('.c') || f === 'huf_decompress_amd64.S')
      .map((f) => path.join(d, f)),
  )
  const zstd = zstdSources.map(
    (f) =>
      /** @type {[string, string[]]} */ ([
        'zig-cc',
        [
          ...LIB_CFLAGS,
          ...ZSTD_DEFINES,
          `-I${zs}`,
          `-I${path.join(zs, 'common')}`,
          '-c',
          path.join(zs, f),
          '-o',
          path.join(obj, 'zstd', f.replace('/', '_') + '.o'),
        ],
      ]),
  )
  await runParallel(zstd, { env })
  for (const [lib, dir] of [
    ['libz.a', 'zlib'],
    ['libzstd.a', 'zstd'],
  ]) {
    const objects = fs.readdirSync(path.join(obj, dir)).map((f) => path.join(obj, dir, f))
    execFileSync('zig-ar', ['rcs', path.join(stage, 'lib', lib), ...objects], { env })
  }
  for (const h of ['zlib.h', 'zconf.h']) fs.copyFileSync(path.join(z, h), path.join(stage, 'include', h))
  for (const h of ['zstd.h', 'zstd_errors.h', 'zdict.h'])
    fs.copyFileSync(path.join(zs, h), path.join(stage, 'include', h))
  const zlibVersion = /#define ZLIB_VERSION "([^"]+)"/.exec(fs.readFileSync(path.join(z, 'zlib.h'), 'utf8'))?.[1] ?? '?'
  writePc(pc, stage, 'zlib', zlibVersion, '-lz')
  writePc(pc, stage, 'libzstd', CRATES.zstd.version.split('zstd.')[1], '-lzstd -pthread')
}

/**
 * OpenSSL: Configure, make build_libs, make install_dev into a staging folder; the archives and
 * headers go to stage.
 * @param {Record<string, string>} src @param {string} work @param {string} stage @param {NodeJS.ProcessEnv} env
 */
function buildOpenssl(src, work, stage, env) {
  const dir = path.join(work, 'openssl')
  const dest = path.join(work, 'openssl-install')
  const logFile = path.join(work, 'build.log')
  fs.mkdirSync(dir, { recursive: true })
  log(`building OpenSSL ${CRATES.openssl.version.split('+')[1]} (make -j${JOBS}, a few minutes)`)
  const vars = ['CC=zig-cc', 'AR=zig-ar', 'RANLIB=zig-ranlib', `CFLAGS=${LIB_CFLAGS.join(' ')}`]
  const steps = [
    ['perl', [path.join(src.openssl, 'Configure'), ...OPENSSL_OPTIONS, ...vars]],
    ['make', [`-j${JOBS}`, 'build_libs']],
    ['make', ['install_dev', `DESTDIR=${dest}`]],
  ]
  for (const [cmd, args] of /** @type {[string, string[]][]} */ (steps)) {
    const r = run(cmd, args, { cwd: dir, env, log: logFile })
    if (r.status !== 0) throw new BuildError(`OpenSSL: ${cmd} ${args[0]} failed (log: ${logFile}):\n${tail(logFile)}`)
  }
  fs.cpSync(path.join(dest, 'usr', 'include', 'openssl'), path.join(stage, 'include', 'openssl'), { recursive: true })
  for (const lib of ['libssl.a', 'libcrypto.a'])
    fs.copyFileSync(path.join(dest, 'usr', 'lib', lib), path.join(stage, 'lib', lib))
  const version = CRATES.openssl.version.split('+')[1]
  writePc(path.join(work, 'pkgconfig'), stage, 'libcrypto', version, '-lcrypto')
  writePc(path.join(work, 'pkgconfig'), stage, 'libssl', version, '-lssl -lcrypto')
  writePc(path.join(work, 'pkgconfig'), stage, 'openssl', version, '-lssl -lcrypto')
}

/**
 * Cyrus SASL: Debian's headers into stage, and empty stand-ins in work/sasl so that configure's
 * link checks pass (the addon defines the sasl_* functions itself, native/sasl_shim.cc).
 * @param {string} work @param {string} stage @param {NodeJS.ProcessEnv} env
 */
function saslStandIns(work, stage, env) {
  if (!fs.existsSync('/usr/include/sasl/sasl.h')) {
    throw new BuildError(
      'the SASL headers (/usr/include/sasl/sasl.h) are missing.\n  Debian/Ubuntu: apt-get install libsasl2-dev',
    )
  }
  fs.cpSync('/usr/include/sasl', path.join(stage, 'include', 'sasl'), { recursive: true })
  const dir = path.join(work, 'sasl')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'empty.c'), '')
  execFileSync('zig-ar', ['rcs', path.join(dir, 'libsasl2.a')], { env })
  execFileSync('zig-cc', ['-shared', '-o', path.join(dir, 'libsasl2.so'), path.join(dir, 'empty.c')], { env })
  return dir
}

/**
 * librdkafka.a from the pinned tarball, configured with RDKAFKA_FLAGS against the libraries in
 * stage (through the pkg-config files in work/pkgconfig).
 * @param {string} work @param {string} stage @param {string} prefix @param {NodeJS.ProcessEnv} env
 */
function buildLibrdkafka(work, stage, prefix, env) {
  let tarball
  try {
    tarball = fetchPackage(librdkafka.PACKAGE_SPEC, librdkafka.PACKAGE_INTEGRITY, { log })
  } catch (err) {
    throw err instanceof FetchError ? new BuildError(err.message) : err
  }
  const logFile = path.join(work, 'build.log')
  /** @param {string} what @param {ReturnType<typeof run>} r */
  const check = (what, r) => {
    if (r.status !== 0) throw new BuildError(`librdkafka: ${what} failed (log: ${logFile}):\n${tail(logFile)}`)
  }
  const tarArgs = [
    '-xzf',
    tarball,
    '-C',
    work,
    '--no-same-owner',
    '--no-same-permissions',
    librdkafka.SOURCE_IN_TARBALL,
  ]
  check('tar', run('tar', tarArgs, { log: logFile }))
  const source = path.join(work, librdkafka.SOURCE_IN_TARBALL)
  const version = librdkafka.checkVersion(source)
  const sasl = saslStandIns(work, stage, env)
  const buildEnv = {
    ...librdkafka.buildEnv(),
    ...env,
    ...{ PKG_CONFIG_LIBDIR: path.join(work, 'pkgconfig'), PKG_CONFIG_PATH: '', AR: 'zig-ar', RANLIB: 'zig-ranlib' },
    ...{ CPPFLAGS: `-I${path.join(stage, 'include')}`, LDFLAGS: `-L${path.join(stage, 'lib')} -L${sasl}` },
  }
  log(`configuring librdkafka ${version} for x86_64-linux-musl: ${RDKAFKA_FLAGS.join(' ')}`)
  check(
    'configure',
    run('./configure', [`--prefix=${prefix}`, ...RDKAFKA_FLAGS], { cwd: source, log: logFile, env: buildEnv }),
  )
  librdkafka.checkConfigured(source, toolchain('x64'))
  log(`building librdkafka.a (make -j${librdkafka.MAKE_JOBS}, a few minutes)`)
  const make = ['-C', 'src', `-j${librdkafka.MAKE_JOBS}`, 'librdkafka.a']
  check('make', run('make', make, { cwd: source, log: logFile, env: buildEnv }))
  fs.mkdirSync(path.join(stage, 'include', 'librdkafka'), { recursive: true })
  fs.copyFileSync(path.join(source, 'src', 'librdkafka.a'), path.join(stage, 'lib', 'librdkafka.a'))
  for (const h of librdkafka.HEADERS)
    fs.copyFileSync(path.join(source, 'src', h), path.join(stage, 'include', 'librdkafka', h))
  fs.mkdirSync(path.join(stage, 'share', 'doc', 'librdkafka'), { recursive: true })
  fs.copyFileSync(path.join(source, 'LICENSES.txt'), path.join(stage, 'share', 'doc', 'librdkafka', 'LICENSES.txt'))
}

/**
 * The libraries for x86_64-linux-musl, built unless the pins' install is there; returns its prefix.
 * @param {string} base @param {string} zigBin
 */
async function ensureDeps(base, zigBin) {
  const prefix = depsPrefix(base)
  if (depsInstalled(prefix)) return prefix
  musl.requireTools('building OpenSSL, zstd, zlib and librdkafka for musl', TOOLS.deps)
  const started = Date.now()
  const work = `${prefix}.build-${process.pid}`
  fs.rmSync(work, { recursive: true, force: true })
  const stage = path.join(work, 'install')
  for (const d of ['lib', 'include']) fs.mkdirSync(path.join(stage, d), { recursive: true })
  const env = { ...process.env, PATH: [zigBin, process.env.PATH].join(path.delimiter) }
  const src = fetchCrates(base, work)
  await buildCompression(src, work, stage, env)
  buildOpenssl(src, work, stage, env)
  buildLibrdkafka(work, stage, prefix, env)
  fs.writeFileSync(path.join(stage, STAMP_FILE), JSON.stringify(depsStamp(), null, 2))
  // Another build may have finished meanwhile: its install is as good as this one.
  if (!depsInstalled(prefix)) {
    fs.rmSync(prefix, { recursive: true, force: true })
    fs.renameSync(stage, prefix)
  }
  fs.rmSync(work, { recursive: true, force: true })
  log(`libraries built in ${Math.round((Date.now() - started) / 1000)} s, installed in ${prefix}`)
  return prefix
}

/** The running Node's folder of Node-API headers (or Debian's). */
function nodeIncludeDir() {
  const own = path.join(path.dirname(path.dirname(fs.realpathSync(process.execPath))), 'include', 'node')
  for (const dir of [own, '/usr/include/node']) if (fs.existsSync(path.join(dir, 'node_api.h'))) return dir
  throw new BuildError(`no Node-API headers (node_api.h) in ${own} or /usr/include/node`)
}

/**
 * The compile of each source: build.json's sources, staticSources, defines and cxxflags, with
 * node-gyp's additions, TURBOKAFKA_STATIC and the fingerprint.
 * @param {string} prefix @param {string} work @param {string} fp
 */
function compileCommands(prefix, work, fp) {
  const build = JSON.parse(fs.readFileSync(path.join(root, 'native', 'build.json'), 'utf8'))
  const nodeApi = path.join(work, 'node-api')
  fs.mkdirSync(nodeApi, { recursive: true })
  const from = nodeIncludeDir()
  for (const h of NODE_API_HEADERS) fs.copyFileSync(path.join(from, h), path.join(nodeApi, h))
  const defines = [...NODE_GYP_DEFINES, ...build.defines, 'TURBOKAFKA_STATIC', `TURBOKAFKA_FINGERPRINT=${fp}`]
  const includes = [require('node-addon-api').include_dir, nodeApi, path.join(prefix, 'include')]
  const flags = [
    ...build.cxxflags,
    ...NODE_GYP_FLAGS,
    ...defines.map((d) => `-D${d}`),
    ...includes.map((i) => `-I${i}`),
  ]
  /** @type {string[]} */
  const sources = [...build.sources, ...build.staticSources]
  const objects = sources.map((s) => path.join(work, 'obj', `${path.basename(s, '.cc')}.o`))
  fs.mkdirSync(path.join(work, 'obj'), { recursive: true })
  const commands = sources.map(
    (s, i) => /** @type {[string, string[]]} */ (['zig-c++', [...flags, '-c', s, '-o', objects[i]]]),
  )
  return { commands, objects, ldflags: /** @type {string[]} */ (build.ldflags) }
}

/**
 * The link: build.json's ldflags (version script resolved from the tree), --gc-sections, the
 * archives in a group and the system libraries of PRIVATE_LIBS (libsasl2 is not linked: the addon
 * opens it). zig's linker refuses --exclude-libs; the version script (local: *) hides everything.
 * @param {string} prefix @param {string[]} objects @param {string[]} ldflags @param {string} out
 */
function linkArgs(prefix, objects, ldflags, out) {
  const libs = librdkafka.PRIVATE_LIBS.filter((l) => {
    const archive = path.join(prefix, 'lib', `lib${l.slice(2)}.a`)
    return l !== '-lsasl2' && !fs.existsSync(archive)
  })
  const flags = ldflags.map((f) => f.replace('=native/', `=${path.join(root, 'native')}/`))
  const group = ['-Wl,--start-group', ...archives(prefix), '-Wl,--end-group']
  return ['-shared', '-fPIC', '-pthread', '-o', out, ...objects, ...flags, '-Wl,--gc-sections', ...group, ...libs]
}

/**
 * Compiles and links the addon in a temporary folder, strips it (binutils strip) and puts it at
 * `out`. Returns the fingerprint compiled in.
 * @param {string} prefix @param {string} zigBin @param {string} out
 */
async function buildAddon(prefix, zigBin, out) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'turbokafka-musl-'))
  try {
    const env = { ...process.env, PATH: [zigBin, process.env.PATH].join(path.delimiter) }
    const fp = fingerprint()
    const { commands, objects, ldflags } = compileCommands(prefix, work, fp)
    const started = Date.now()
    log(`compiling the addon (${commands.length} files, ${JOBS} at a time)`)
    await runParallel(commands, { cwd: root, env })
    const linked = path.join(work, 'turbokafka.node')
    execFileSync('zig-c++', linkArgs(prefix, objects, ldflags, linked), { cwd: root, env, stdio: 'inherit' })
    fs.mkdirSync(path.dirname(out), { recursive: true })
    const tmp = `${out}.tmp-${process.pid}`
    execFileSync('strip', ['-o', tmp, linked])
    fs.renameSync(tmp, out)
    log(`addon built in ${Math.round((Date.now() - started) / 1000)} s`)
    return fp
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

/**
 * What makes the binary unfit to ship: prebuild.js's checks, with musl's idea of unresolved (an
 * import neither Node-API's nor defined by musl 1.2.5's libc.so), and no DT_RELR (musl < 1.2.4
 * cannot load it).
 * @param {string} file @param {string} libc
 */
function check(file, libc) {
  const info = inspect(file)
  const symbols = execFileSync('nm', ['-D', '--defined-only', libc], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const defined = new Set(symbols.split('\n').map((l) => l.trim().split(/\s+/).pop()))
  const imports = info.unresolved
  const bad = problems({ ...info, unresolved: imports.filter((s) => !defined.has(s)) })
  if (info.needed.join(' ') !== 'libc.so') bad.push(`needs ${info.needed.join(' ')}, not only libc.so`)
  if (info.glibc) bad.push(`uses glibc symbol versions (up to GLIBC_${info.glibc})`)
  if (/\(RELR\)/.test(execFileSync('readelf', ['-d', file], { encoding: 'utf8' }))) bad.push('uses DT_RELR relocations')
  return { info, imports, bad }
}

/** The OpenSSL version string compiled into the binary. @param {string} file */
function opensslVersion(file) {
  return /OpenSSL \d+\.\d+\.\d+[ -~]*/.exec(fs.readFileSync(file).toString('latin1'))?.[0] ?? '(not found)'
}

/**
 * The checks, and the summary prebuild.js prints; exits non-zero when the binary is unfit.
 * @param {string} file @param {string} fp
 */
function report(file, fp) {
  const node = musl.ensureMuslNode({ log })
  const { info, imports, bad } = check(file, node.libc)
  const code = 'JSON.stringify(require(process.argv[1]).buildInfo())'
  const build = JSON.parse(execFileSync(node.node, ['-p', code, file], { env: node.env, encoding: 'utf8' }))
  console.log(
    [
      '',
      `prebuild-musl: ${file.startsWith(root + path.sep) ? path.relative(root, file) : file}`,
      `  size        ${(info.bytes / 1048576).toFixed(2)} MiB (${info.bytes} bytes)`,
      `  librdkafka  ${build.librdkafka} (${build.linkage}), features ${build.features}`,
      `  openssl     ${opensslVersion(file)}`,
      `  needs       ${info.needed.join(' ')} (musl: ${imports.length} libc imports, all checked against musl ${node.musl})`,
      `  exports     ${info.exported.join(' ')}`,
      `  fingerprint ${build.fingerprint}`,
      `  checked in  Node ${node.version} on musl ${node.musl} (${node.node})`,
    ].join('\n'),
  )
  if (build.linkage !== 'static') bad.push(`is linked ${build.linkage}ally against librdkafka`)
  if (build.librdkafka !== librdkafka.VERSION)
    bad.push(`runs librdkafka ${build.librdkafka}, not the pinned ${librdkafka.VERSION}`)
  if (build.fingerprint !== fp) bad.push(`reports fingerprint ${build.fingerprint}, not the tree's ${fp}`)
  if (bad.length > 0) {
    console.error(`\nprebuild-musl: the binary is not fit to ship:\n  ${bad.join('\n  ')}`)
    process.exit(1)
  }
}

/** The output file: --out FILE, else prebuilds/linux-x64/turbokafka.musl.node. */
function outputFile(args = process.argv.slice(2)) {
  const at = args.indexOf('--out')
  if (args.length !== (at >= 0 ? 2 : 0) || (at >= 0 && !args[at + 1]) || process.arch !== 'x64') {
    console.error('usage: prebuild-musl.js [--out FILE]   (on an x64 machine)')
    process.exit(2)
  }
  return path.resolve(at >= 0 ? args[at + 1] : path.join(root, 'prebuilds', 'linux-x64', 'turbokafka.musl.node'))
}

async function main() {
  const out = outputFile()
  const started = Date.now()
  musl.requireTools('the musl prebuild', TOOLS.checks)
  const base = musl.muslCache()
  const zigBin = ensureZig(base)
  const prefix = await ensureDeps(base, zigBin)
  log(`libraries from ${prefix}`)
  const fp = await buildAddon(prefix, zigBin, out)
  report(out, fp)
  log(`done in ${Math.round((Date.now() - started) / 1000)} s`)
}

module.exports = { ZIG, CRATES, CRATE_SHA256, depsPrefix, ensureZig, ensureDeps, buildAddon, check }

if (require.main === module) {
  main().catch((err) => {
    if (!(err instanceof BuildError)) throw err
    console.error(`\nprebuild-musl: ${err.message}\n`)
    process.exit(1)
  })
}
