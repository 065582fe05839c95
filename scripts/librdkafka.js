#!/usr/bin/env node
// @ts-check
// Builds the librdkafka that the prebuilt binary links (npm run prebuild), from a pinned source:
// the copy of librdkafka that the npm package PACKAGE_SPEC carries in deps/librdkafka. The
// tarball is fetched with `npm pack`, checked against PACKAGE_INTEGRITY before anything in it is
// used, and only deps/librdkafka is unpacked. librdkafka's own configure (mklove) then runs with
// CONFIGURE_FLAGS: nothing is downloaded, every library comes from the system's development
// packages, and only the static library is built. The result is installed into the cache:
//
//   <cache>/librdkafka/<version>-<first 12 hex digits of the integrity>-linux-<arch>/
//     lib/librdkafka.a, include/librdkafka/*.h, lib/pkgconfig/rdkafka.pc
//
// where <cache> is $TURBOKAFKA_CACHE, else ~/.cache/turbokafka, and <arch> the architecture it is
// built for: this machine's, or arm64 with Debian's cross toolchain (scripts/toolchain.js). An install that is already there
// is used as it is. rdkafka.pc lists the libraries that librdkafka.a needs as -l flags, so that
// `pkg-config --static --libs rdkafka` with PKG_CONFIG_PATH at lib/pkgconfig gives
// scripts/find-librdkafka.js the full link (TURBOKAFKA_LINK=static).
//
//   node scripts/librdkafka.js                    builds if needed, prints the install prefix
//   node scripts/librdkafka.js --pkg-config-path  the same, but prints the folder of rdkafka.pc
//   node scripts/librdkafka.js --arch arm64       for another architecture
//
// Progress goes to stderr; configure's and make's output go to a log file named on failure.
// Source builds at install time do not use this script: they link the system librdkafka.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const { FetchError, cacheDir, integrityHex, fileIntegrity, fetchPackage } = require('./npm-fetch.js')
const { toolchain, known, crossPackages } = require('./toolchain.js')

/** The npm package whose tarball carries the librdkafka source, and its npm integrity. */
const PACKAGE_SPEC = '@confluentinc/kafka-javascript@1.10.1'
const PACKAGE_INTEGRITY =
  'sha512-KVePUBn21EqCVP9mfxzEuM3SYJHHEF7X+iiC2e43QQgDSyEaksInmCGooT3w5q+cNAdkSCrK71j0ICfqoSqZLw=='
/** Where the source is inside that tarball. */
const SOURCE_IN_TARBALL = 'package/deps/librdkafka'
/** The librdkafka version the source must be: RD_KAFKA_VERSION in src/rdkafka.h. */
const VERSION = '2.15.1'
const VERSION_HEX = 0x020f01ff

/**
 * librdkafka's configure options. Each library is asked for with --enable-X, which makes
 * configure fail when it is missing rather than quietly leave the feature out.
 */
const CONFIGURE_FLAGS = [
  // Nothing from the network: no dependency installs (--install-deps is never passed) and no
  // download of a missing mklove module.
  '--no-download',
  '--no-cache',
  // Libraries are looked for as static archives; the shared library is never built (make only
  // builds librdkafka.a below).
  '--enable-static',
  // OpenSSL 3, zstd and zlib: the system's (libssl-dev, libzstd-dev, zlib1g-dev), linked in by
  // the addon from their archives.
  '--enable-ssl',
  '--enable-zstd',
  '--enable-zlib',
  // lz4: the copy librdkafka carries (src/lz4*.c, 1.9.4), so no liblz4-dev is needed.
  '--disable-lz4-ext',
  // Cyrus SASL for GSSAPI: only its headers (libsasl2-dev) are used; the addon supplies the
  // sasl_* functions itself and opens libsasl2 at run time (native/sasl_shim.cc).
  '--enable-gssapi',
  // libcurl (OIDC token fetching, https): Debian's libcurl.a brings nghttp2, libidn2, libssh2,
  // Kerberos, LDAP and more, none of them allowed at run time. Left out, as in Debian's 2.0.2.
  '--disable-curl',
  // Each function and object in its own section, so that the addon's link (--gc-sections) drops
  // what it never reaches: 0.9 MiB less binary.
  '--CFLAGS=-ffunction-sections -fdata-sections',
]

/**
 * The libraries librdkafka.a needs, for rdkafka.pc's Libs.private, in link order. They follow
 * from CONFIGURE_FLAGS (checked against configure's result); given as -l flags rather than
 * pkg-config packages so that the link needs only the archives, not the other .pc files.
 */
const PRIVATE_LIBS = ['-lsasl2', '-lssl', '-lcrypto', '-lzstd', '-lz', '-lm', '-ldl', '-lpthread', '-lrt']
/** What configure must report in BUILT_WITH with these flags, and what it must not. */
const BUILT_WITH = {
  required: ['SSL', 'ZSTD', 'ZLIB', 'SASL_CYRUS', 'SASL_SCRAM', 'SASL_OAUTHBEARER', 'SNAPPY'],
  absent: ['CURL', 'LZ4_EXT'],
}
/** The headers installed beside the library. */
const HEADERS = ['rdkafka.h', 'rdkafka_mock.h']
const MAKE_JOBS = 2

/**
 * @typedef {{ prefix: string, pkgConfigPath: string, version: string, arch: string }} Librdkafka
 * @typedef {{ log?: (line: string) => void, cache?: string, arch?: string }} Options
 * @typedef {ReturnType<typeof toolchain>} Toolchain
 */

/** @param {string} line */
const stderrLog = (line) => process.stderr.write(`librdkafka: ${line}\n`)

class BuildError extends Error {}

/** Where the pinned build for an architecture is installed. @param {string} [cache] */
function installPrefix(cache = cacheDir(), arch = process.arch) {
  return path.join(cache, 'librdkafka', `${VERSION}-${integrityHex(PACKAGE_INTEGRITY).slice(0, 12)}-linux-${arch}`)
}

/** configure's flags for a toolchain: the pinned ones, and the compilers across architectures. @param {Toolchain} tc */
function configureFlags(tc) {
  return tc.cross
    ? [...CONFIGURE_FLAGS, `--cc=${tc.tools.CC}`, `--cxx=${tc.tools.CXX}`, `--arch=${tc.mklove}`]
    : CONFIGURE_FLAGS
}

/** What an install records about itself; a difference means it was made some other way. @param {Toolchain} tc */
function stamp(tc) {
  return {
    package: PACKAGE_SPEC,
    integrity: PACKAGE_INTEGRITY,
    version: VERSION,
    arch: tc.arch,
    configure: configureFlags(tc),
    libs: PRIVATE_LIBS,
  }
}
const STAMP_FILE = 'turbokafka-build.json'

/** @param {string} prefix @param {Toolchain} tc @returns {Librdkafka} */
function describe(prefix, tc) {
  return { prefix, pkgConfigPath: path.join(prefix, 'lib', 'pkgconfig'), version: VERSION, arch: tc.arch }
}

/** Whether a complete install made from this script's pins is at prefix. @param {string} prefix @param {Toolchain} tc */
function installed(prefix, tc) {
  const files = ['lib/librdkafka.a', 'lib/pkgconfig/rdkafka.pc', ...HEADERS.map((h) => `include/librdkafka/${h}`)]
  if (!files.every((f) => fs.existsSync(path.join(prefix, f)))) return false
  try {
    return fs.readFileSync(path.join(prefix, STAMP_FILE), 'utf8') === JSON.stringify(stamp(tc), null, 2)
  } catch {
    return false
  }
}

/**
 * Runs a command, its output going to the log file (or returned when log is omitted).
 * @param {string} cmd @param {string[]} args
 * @param {{ cwd?: string, log?: string, env?: NodeJS.ProcessEnv }} [opts]
 */
function run(cmd, args, opts = {}) {
  const fd = opts.log ? fs.openSync(opts.log, 'a') : undefined
  try {
    if (fd !== undefined) fs.writeSync(fd, `\n$ ${[cmd, ...args].join(' ')}\n`)
    const r = spawnSync(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      encoding: 'utf8',
      stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    })
    return { status: r.error ? -1 : r.status, error: r.error, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/** The last lines of a log, to show with a failure. @param {string} log */
function tail(log, lines = 30) {
  try {
    return fs
      .readFileSync(log, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .map((l) => `  | ${l}`)
      .join('\n')
  } catch {
    return ''
  }
}

/**
 * The Debian packages missing for the build: tools, and the headers and static archives of the
 * libraries (the archives are what the addon's static link takes later), for the toolchain's
 * architecture.
 * @param {Toolchain} tc
 */
function missingPackages(tc) {
  /** @type {Set<string>} */
  const missing = new Set()
  const compilerPackage = tc.cross ? crossPackages(tc.arch)[0] : 'g++'
  const tools = [
    ['npm', ['--version'], 'npm'],
    ['tar', ['--version'], 'tar'],
    ['gzip', ['--version'], 'gzip'],
    ['bash', ['--version'], 'bash'],
    ['make', ['--version'], 'make'],
    [tc.tools.CC, ['--version'], tc.cross ? compilerPackage : 'gcc'],
    [tc.tools.CXX, ['--version'], compilerPackage],
    [tc.tools.AR, ['--version'], tc.cross ? compilerPackage : 'binutils'],
    ['pkg-config', ['--version'], 'pkg-config'],
  ]
  for (const [tool, args, pkg] of /** @type {[string, string[], string][]} */ (tools)) {
    if (run(tool, args).status !== 0) missing.add(pkg)
  }
  if (missing.has('gcc') || missing.has(compilerPackage)) return [...missing]
  const suffix = tc.cross ? `:${tc.debian}` : ''
  const libraries = [
    ['openssl/ssl.h', ['libssl.a', 'libcrypto.a'], 'libssl-dev'],
    ['zstd.h', ['libzstd.a'], 'libzstd-dev'],
    ['zlib.h', ['libz.a'], 'zlib1g-dev'],
    ['sasl/sasl.h', [], 'libsasl2-dev'],
  ]
  // Across architectures the SASL headers are the native package's (see crossPackages).
  if (tc.cross && !fs.existsSync(path.join(tc.libdir, 'libsasl2.so.2'))) missing.add(`libsasl2-2:${tc.debian}`)
  for (const [header, archives, pkg] of /** @type {[string, string[], string][]} */ (libraries)) {
    const probe = spawnSync(tc.tools.CC, ['-E', '-x', 'c', '-o', '/dev/null', '-'], {
      input: `#include <${header}>\n`,
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    if (probe.status !== 0) missing.add(pkg === 'libsasl2-dev' ? pkg : pkg + suffix)
    for (const archive of archives) {
      const found = run(tc.tools.CC, [`-print-file-name=${archive}`]).stdout.trim()
      if (!path.isAbsolute(found) || !fs.existsSync(found)) missing.add(pkg + suffix)
    }
  }
  return [...missing]
}

/** The install hint for missing packages. @param {Toolchain} tc @param {string[]} missing */
function installHint(tc, missing) {
  const apt = `apt-get install ${missing.join(' ')}`
  return tc.cross ? `dpkg --add-architecture ${tc.debian} && apt-get update && ${apt}` : apt
}

/** The version that src/rdkafka.h declares, checked against the pin. @param {string} source */
function checkVersion(source) {
  const header = fs.readFileSync(path.join(source, 'src', 'rdkafka.h'), 'utf8')
  const m = /^#define\s+RD_KAFKA_VERSION\s+(0x[0-9a-fA-F]+)\s*$/m.exec(header)
  if (!m) throw new BuildError(`no RD_KAFKA_VERSION in ${path.join(source, 'src', 'rdkafka.h')}`)
  const hex = Number.parseInt(m[1], 16)
  const found = `${(hex >>> 24) & 0xff}.${(hex >>> 16) & 0xff}.${(hex >>> 8) & 0xff}`
  if (hex !== VERSION_HEX || found !== VERSION) {
    throw new BuildError(
      `the source is librdkafka ${found} (${m[1]}), not the pinned ${VERSION} (0x${VERSION_HEX.toString(16).padStart(8, '0')})`,
    )
  }
  return found
}

/** What configure decided, from the Makefile.config it wrote. @param {string} source @param {Toolchain} tc */
function checkConfigured(source, tc) {
  const config = fs.readFileSync(path.join(source, 'Makefile.config'), 'utf8')
  const arch = (/^ARCH=\s*(.*)$/m.exec(config)?.[1] ?? '').trim()
  if (arch !== tc.mklove) throw new BuildError(`configure chose architecture ${arch || '(none)'}, not ${tc.mklove}`)
  const builtWith = (/^BUILT_WITH=\s*(.*)$/m.exec(config)?.[1] ?? '').trim().split(/\s+/)
  const lacking = BUILT_WITH.required.filter((w) => !builtWith.includes(w))
  const extra = BUILT_WITH.absent.filter(
    (w) => builtWith.includes(w) || new RegExp(`^WITH_${w}=\\s*y`, 'm').test(config),
  )
  if (lacking.length > 0 || extra.length > 0) {
    throw new BuildError(
      `configure's result does not match the flags: missing ${lacking.join(' ') || '-'}, unexpected ${extra.join(' ') || '-'} (BUILT_WITH ${builtWith.join(' ')})`,
    )
  }
}

/** rdkafka.pc for the install at prefix. @param {string} prefix */
function pkgConfigFile(prefix) {
  return [
    `prefix=${prefix}`,
    'libdir=${prefix}/lib',
    'includedir=${prefix}/include',
    '',
    'Name: librdkafka',
    `Description: The Apache Kafka C/C++ library (static, from ${PACKAGE_SPEC}, built by turbokafka's scripts/librdkafka.js)`,
    `Version: ${VERSION}`,
    'Cflags: -I${includedir}',
    'Libs: -L${libdir} -lrdkafka',
    `Libs.private: ${PRIVATE_LIBS.join(' ')}`,
    '',
  ].join('\n')
}

/** An environment without what would change mklove's choices behind the flags' back. */
function buildEnv() {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, LC_ALL: 'C' }
  for (const key of Object.keys(env)) if (key.startsWith('STATIC_LIB_')) delete env[key]
  return env
}

/**
 * Builds and installs the pinned librdkafka unless it is already installed; returns where.
 * options.arch builds for another architecture (scripts/toolchain.js).
 * @param {Options} [options]
 * @returns {Librdkafka}
 */
function ensureLibrdkafka(options = {}) {
  const log = options.log ?? stderrLog
  const cache = path.resolve(options.cache ?? cacheDir())
  const arch = options.arch ?? process.arch
  if (!known(arch)) throw new BuildError(`librdkafka: no toolchain for architecture ${arch}`)
  const tc = toolchain(arch)
  const prefix = installPrefix(cache, arch)
  if (installed(prefix, tc)) return describe(prefix, tc)

  const missing = missingPackages(tc)
  if (missing.length > 0) {
    throw new BuildError(
      [
        `building librdkafka ${VERSION} for ${arch} needs tools and development files that are missing.`,
        `  Debian/Ubuntu: ${installHint(tc, missing)}`,
      ].join('\n'),
    )
  }

  let tarball
  try {
    tarball = fetchPackage(PACKAGE_SPEC, PACKAGE_INTEGRITY, { cache, log })
  } catch (err) {
    if (err instanceof FetchError) throw new BuildError(err.message)
    throw err
  }
  const work = `${prefix}.build-${process.pid}`
  fs.rmSync(work, { recursive: true, force: true })
  fs.mkdirSync(work, { recursive: true })
  const stage = build(tarball, work, prefix, tc, log)
  // Another build may have finished meanwhile: its install is as good as this one.
  if (!installed(prefix, tc)) {
    fs.rmSync(prefix, { recursive: true, force: true })
    fs.renameSync(stage, prefix)
  }
  fs.rmSync(work, { recursive: true, force: true })
  log(`installed in ${prefix}`)
  return describe(prefix, tc)
}

/**
 * Across architectures, configure's libsasl2 check links -lsasl2, and the foreign libsasl2.so
 * link is in libsasl2-dev, which cannot sit beside the native one: a folder in `work` holding
 * that link to the foreign runtime library stands in. librdkafka.a itself links nothing; the
 * addon opens libsasl2 at run time (native/sasl_shim.cc).
 * @param {Toolchain} tc @param {string} work
 */
function saslLinkFlags(tc, work) {
  if (!tc.cross) return []
  const dir = path.join(work, 'sasl-link')
  fs.mkdirSync(dir, { recursive: true })
  fs.symlinkSync(path.join(tc.libdir, 'libsasl2.so.2'), path.join(dir, 'libsasl2.so'))
  return [`--LDFLAGS=-L${dir}`]
}

/**
 * Unpacks, configures and builds in `work`, and stages the install in work/install (renamed into
 * place by the caller: an interrupted build never leaves a half install that looks complete).
 * @param {string} tarball @param {string} work @param {string} prefix @param {Toolchain} tc
 * @param {(line: string) => void} log
 */
function build(tarball, work, prefix, tc, log) {
  const logFile = path.join(work, 'build.log')
  /** @param {string} what @param {ReturnType<typeof run>} r */
  const check = (what, r) => {
    if (r.status !== 0) throw new BuildError(`${what} failed (log: ${logFile}):\n${tail(logFile)}`)
  }
  log(`unpacking ${SOURCE_IN_TARBALL} from ${path.basename(tarball)} (integrity verified)`)
  check(
    'tar',
    run('tar', ['-xzf', tarball, '-C', work, '--no-same-owner', '--no-same-permissions', SOURCE_IN_TARBALL], {
      log: logFile,
    }),
  )
  const source = path.join(work, SOURCE_IN_TARBALL)
  const version = checkVersion(source)

  const env = { ...buildEnv(), ...tc.env }
  const flags = configureFlags(tc)
  log(`configuring librdkafka ${version} for ${tc.arch}: ${flags.join(' ')}`)
  check(
    'configure',
    run('./configure', [`--prefix=${prefix}`, ...flags, ...saslLinkFlags(tc, work)], {
      cwd: source,
      log: logFile,
      env,
    }),
  )
  checkConfigured(source, tc)

  log(`building librdkafka.a (make -j${MAKE_JOBS}, a few minutes)`)
  const started = Date.now()
  check('make', run('make', ['-C', 'src', `-j${MAKE_JOBS}`, 'librdkafka.a'], { cwd: source, log: logFile, env }))
  log(`built in ${Math.round((Date.now() - started) / 1000)} s`)

  const stage = path.join(work, 'install')
  fs.mkdirSync(path.join(stage, 'lib', 'pkgconfig'), { recursive: true })
  fs.mkdirSync(path.join(stage, 'include', 'librdkafka'), { recursive: true })
  fs.mkdirSync(path.join(stage, 'share', 'doc', 'librdkafka'), { recursive: true })
  fs.copyFileSync(path.join(source, 'src', 'librdkafka.a'), path.join(stage, 'lib', 'librdkafka.a'))
  for (const h of HEADERS) fs.copyFileSync(path.join(source, 'src', h), path.join(stage, 'include', 'librdkafka', h))
  fs.copyFileSync(path.join(source, 'LICENSES.txt'), path.join(stage, 'share', 'doc', 'librdkafka', 'LICENSES.txt'))
  fs.writeFileSync(path.join(stage, 'lib', 'pkgconfig', 'rdkafka.pc'), pkgConfigFile(prefix))
  fs.writeFileSync(path.join(stage, STAMP_FILE), JSON.stringify(stamp(tc), null, 2))
  return stage
}

module.exports = {
  PACKAGE_SPEC,
  PACKAGE_INTEGRITY,
  SOURCE_IN_TARBALL,
  VERSION,
  CONFIGURE_FLAGS,
  PRIVATE_LIBS,
  HEADERS,
  MAKE_JOBS,
  BuildError,
  cacheDir,
  installPrefix,
  fileIntegrity,
  ensureLibrdkafka,
  // For scripts/prebuild-musl.js, which builds the same source with other compilers.
  run,
  tail,
  buildEnv,
  checkVersion,
  checkConfigured,
}

if (require.main === module) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--arch')
  const arch = at >= 0 ? args[at + 1] : undefined
  const rest = args.filter((_, i) => at < 0 || (i !== at && i !== at + 1))
  if (rest.some((a) => a !== '--pkg-config-path') || (at >= 0 && !arch)) {
    console.error('usage: librdkafka.js [--pkg-config-path] [--arch x64|arm64]')
    process.exit(2)
  }
  try {
    const built = ensureLibrdkafka({ arch })
    console.log(args.includes('--pkg-config-path') ? built.pkgConfigPath : built.prefix)
  } catch (err) {
    if (!(err instanceof BuildError)) throw err
    console.error(`\nlibrdkafka: ${err.message}\n`)
    process.exit(1)
  }
}
