#!/usr/bin/env node
// @ts-check
// The tests on other Nodes than the one running, with Node builds from npm (scripts/node-dist.js):
//
//   node scripts/test-node.js [VERSION...] [-- VITEST_ARGS]   npm test on each version (default:
//                                                             every pinned matrix version whose
//                                                             major is not this Node's)
//   node scripts/test-node.js --arm64 [-- VITEST_ARGS]        the linux-arm64 prebuild's tests in
//                                                             an arm64 Node, under qemu
//   node scripts/test-node.js --musl [-- VITEST_ARGS]         the linux-x64 musl prebuild's tests
//                                                             in a musl Node (scripts/musl-node.js)
//
// One Node-API binary serves every Node version, which the matrix proves for the prebuild that
// ships. The arm64 run needs qemu-user-static registered with the kernel's binfmt_misc, since
// vitest and npm start further Node processes; it runs the test files that exercise the binary
// (the prebuild's checks, the loader, producer, consumer, lifetime, admin, transactions and the
// packed install), then a short benchmark run as a smoke test: figures under emulation say
// nothing about speed and are not kept.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const { cacheDir, fetchPackage, unpack } = require('./npm-fetch.js')
const { ARM64_NODE, MATRIX, ensureNode } = require('./node-dist.js')
const { ensureMuslNode } = require('./musl-node.js')
const { binfmtRegistered } = require('./toolchain.js')

const root = path.join(__dirname, '..')

/** How many times the usual time limits the emulated run allows. */
const PATIENCE = 5

/** The test files that exercise the native binary, run on arm64 and on musl. */
const BINARY_FILES = [
  'test/prebuild.test.ts',
  'test/loader.test.ts',
  'test/producer.test.ts',
  'test/consumer.test.ts',
  'test/lifetime.test.ts',
  'test/admin.test.ts',
  'test/transactions.test.ts',
  'test/install.test.ts',
]

/** @param {string} node @param {NodeJS.ProcessEnv} [extra] @returns {NodeJS.ProcessEnv} */
function envWith(node, extra = {}) {
  return { ...process.env, ...extra, PATH: [path.dirname(node), process.env.PATH].join(path.delimiter) }
}

/**
 * Runs a step, failing the whole run when it fails or, with `mustSay`, when its output lacks
 * that line.
 * @param {string} what @param {string} cmd @param {string[]} args @param {NodeJS.ProcessEnv} env
 * @param {string} [mustSay]
 */
function run(what, cmd, args, env, mustSay) {
  console.error(`\n== ${what}: ${[cmd, ...args].map((a) => path.relative(root, a) || a).join(' ')}`)
  const r = spawnSync(cmd, args, {
    cwd: root,
    env,
    stdio: ['ignore', mustSay ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (mustSay) process.stdout.write(r.stdout ?? '')
  if (r.status !== 0) {
    console.error(`test-node: ${what} failed (${r.error ?? `exit ${r.status ?? r.signal}`})`)
    process.exit(r.status || 1)
  }
  if (mustSay && !(r.stdout ?? '').includes(mustSay)) {
    console.error(`test-node: ${what} printed no "${mustSay}"`)
    process.exit(1)
  }
}

/** @param {string[]} versions @param {string[]} vitestArgs */
function matrix(versions, vitestArgs) {
  const here = process.versions.node.split('.')[0]
  const chosen = versions.length > 0 ? versions : MATRIX.filter((v) => v.split('.')[0] !== here)
  for (const version of chosen) {
    const node = ensureNode(version)
    const npmArgs = ['test', ...(vitestArgs.length > 0 ? ['--', ...vitestArgs] : [])]
    run(`npm test on Node ${version}`, 'npm', npmArgs, envWith(node))
  }
}

/**
 * rolldown's binding for another platform (vite's bundler, native code), at the version
 * package-lock.json pins, checked against the lock's integrity. @param {string} target e.g. linux-arm64-gnu
 */
function rolldownBinding(target) {
  const name = `@rolldown/binding-${target}`
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'))
  const entry = lock.packages?.[`node_modules/${name}`]
  if (!entry?.version || !entry.integrity) throw new Error(`package-lock.json pins no ${name}`)
  const dest = path.join(cacheDir(), 'unpacked', `rolldown-binding-${target}-${entry.version}`)
  const file = path.join(dest, 'package', `rolldown-binding.${target}.node`)
  if (!fs.existsSync(file)) unpack(fetchPackage(`${name}@${entry.version}`, entry.integrity), dest, ['package'])
  return file
}

/**
 * One prebuild's run in a Node of its own platform: the binary's test files, then a short bench
 * run whose output must show `mustSay`.
 * @param {{ what: string, node: string, env: NodeJS.ProcessEnv, vitestArgs: string[], bench: string[],
 *   mustSay: string }} how
 */
function binaryRun(how) {
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs')
  run(`${how.what} tests`, how.node, [vitest, 'run', ...BINARY_FILES, ...how.vitestArgs], how.env)
  const bench = ['bench/run.js', '--repeat', '1', '--sizes', '100', '--engines', 'c,native']
  run(`${how.what} benchmark smoke run (not a measurement)`, how.node, [...bench, ...how.bench], how.env, how.mustSay)
}

/** Exits naming how to make it when the prebuild a run tests is missing. @param {string} file @param {string} makeWith */
function requirePrebuild(file, makeWith) {
  if (fs.existsSync(path.join(root, file))) return
  console.error(`test-node: no ${file}; make it with \`${makeWith}\``)
  process.exit(1)
}

/** @param {string[]} vitestArgs */
function arm64(vitestArgs) {
  requirePrebuild('prebuilds/linux-arm64/turbokafka.glibc.node', 'npm run prebuild -- --arch arm64')
  if (!binfmtRegistered('arm64')) {
    console.error(
      [
        'test-node: the kernel does not run arm64 executables through qemu (binfmt_misc has no enabled qemu-aarch64).',
        '  Debian: apt-get install qemu-user-static, then as root:',
        '    cat /usr/lib/binfmt.d/qemu-aarch64.conf > /proc/sys/fs/binfmt_misc/register',
      ].join('\n'),
    )
    process.exit(1)
  }
  const node = ensureNode(ARM64_NODE, 'arm64')
  // vite looks for its bundler's binding here before its package; the rest of node_modules is
  // JavaScript and serves both architectures. Emulation runs the code many times slower: the
  // tests' time limits and bounded waits, there to stop a hang, get five times the room
  // (TURBOKAFKA_TEST_PATIENCE; timings are never asserted).
  const env = envWith(node, {
    NAPI_RS_NATIVE_LIBRARY_PATH: rolldownBinding('linux-arm64-gnu'),
    TURBOKAFKA_TEST_PATIENCE: String(PATIENCE),
  })
  const limits = [`--testTimeout=${PATIENCE * 60_000}`, `--hookTimeout=${PATIENCE * 30_000}`]
  binaryRun({
    what: `arm64 (Node ${ARM64_NODE}, qemu)`,
    node,
    env,
    vitestArgs: [...limits, ...vitestArgs],
    bench: ['--messages', '20000', '--duration', '2', '--rate', '1000'],
    mustSay: 'C librdkafka, producev per message',
  })
}

/** @param {string[]} vitestArgs */
function muslTests(vitestArgs) {
  requirePrebuild('prebuilds/linux-x64/turbokafka.musl.node', 'npm run prebuild:musl')
  const { node, env: muslEnv, version, musl } = ensureMuslNode()
  // No LIBC in the environment: the loader must find the musl binary by itself.
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...muslEnv, NAPI_RS_NATIVE_LIBRARY_PATH: rolldownBinding('linux-x64-musl') }
  delete env.LIBC
  // The C baseline stays the glibc one (this machine runs it beside the musl Node).
  binaryRun({
    what: `musl (Node ${version}, musl ${musl})`,
    node,
    env,
    vitestArgs,
    bench: ['--messages', '50000', '--workloads', 'produce,consume', '--duration', '2', '--rate', '1000'],
    mustSay: 'turbokafka produceBatch(Buffer[])',
  })
}

function main() {
  const args = process.argv.slice(2)
  const dash = args.indexOf('--')
  const own = dash >= 0 ? args.slice(0, dash) : args
  const vitestArgs = dash >= 0 ? args.slice(dash + 1) : []
  /** @type {Record<string, (vitestArgs: string[]) => void>} */
  const modes = { '--arm64': arm64, '--musl': muslTests }
  const mode = own.find((a) => Object.hasOwn(modes, a))
  if (!mode) return matrix(own, vitestArgs)
  if (own.length !== 1) {
    console.error(`usage: test-node.js ${mode} [-- vitest args]`)
    process.exit(2)
  }
  modes[mode](vitestArgs)
}

main()
