#!/usr/bin/env node
// npm run test:asan: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer
// (cmake-js, against the system librdkafka, into build-asan/) and runs the tests that drive the
// native code under it: producer, consumer, lifetime, the consumer engine's contract. Every process
// the tests start inherits the sanitizers; a report from any of them fails the run, and so does a
// failing test. Leak checking is off: Node and V8 keep memory alive at exit by design.
//
// Needs what a source build needs (g++, cmake, librdkafka-dev, pkg-config), binutils (nm checks the
// build is instrumented) and the compiler's sanitizer runtimes (libasan and libubsan, with gcc).
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { inspect } = require('./prebuild.js')

const root = path.join(__dirname, '..')
const out = path.join(root, 'build-asan')
const TESTS = [
  'test/producer.test.ts',
  'test/consumer.test.ts',
  'test/lifetime.test.ts',
  'test/contract-native.test.ts',
  'test/admin.test.ts',
  'test/transactions.test.ts',
]
const SANITIZERS = 'address,undefined'

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  if (r.error) throw new Error(`${command}: ${r.error.message}`)
  return r.status
}

function runtime(name) {
  const r = spawnSync('g++', [`-print-file-name=${name}`], { encoding: 'utf8' })
  const file = r.stdout?.trim()
  if (r.status !== 0 || !file || !path.isAbsolute(file) || !fs.existsSync(file)) {
    throw new Error(`the compiler has no ${name} (Debian: apt-get install g++; the sanitizer runtimes come with gcc)`)
  }
  return file
}

function main() {
  const asan = runtime('libasan.so')
  console.error(`test:asan: building ${path.relative(root, out)} with -fsanitize=${SANITIZERS}`)
  const built = run('npx', ['cmake-js', 'compile', '-O', out, `--CDTURBOKAFKA_SANITIZE=${SANITIZERS}`])
  if (built !== 0) throw new Error('the sanitizer build failed (see above)')
  const addon = path.join(out, 'Release', 'turbokafka.node')
  // A build whose code is not instrumented would pass everything: make sure it calls the
  // sanitizers' hooks (unresolved in the addon, found in their runtimes).
  const { unresolved } = inspect(addon)
  for (const hook of ['__asan_report_load8', '__ubsan_handle_']) {
    if (!unresolved.some((s) => s.startsWith(hook)))
      throw new Error(`${path.relative(root, addon)} calls no ${hook}*: the code was not instrumented`)
  }
  const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'turbokafka-asan-'))
  const env = {
    ...process.env,
    TURBOKAFKA_NATIVE_PATH: addon,
    // Node is not built with the sanitizers: the runtime must be loaded before anything else.
    LD_PRELOAD: asan,
    ASAN_OPTIONS: `detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=${path.join(logs, 'asan')}`,
    UBSAN_OPTIONS: `print_stacktrace=1:halt_on_error=1:log_path=${path.join(logs, 'ubsan')}`,
  }
  console.error(`test:asan: ${TESTS.join(' ')} on ${path.relative(root, addon)}; reports go to ${logs}`)
  const tested = run('npx', ['vitest', 'run', ...TESTS], { env })
  const reports = fs.readdirSync(logs)
  for (const file of reports) {
    console.error(`\n== ${file}\n${fs.readFileSync(path.join(logs, file), 'utf8')}`)
  }
  if (reports.length > 0) throw new Error(`${reports.length} sanitizer report(s), printed above`)
  if (tested !== 0) throw new Error('tests failed under the sanitizers')
  console.error('test:asan: no sanitizer report')
}

try {
  main()
} catch (err) {
  console.error(`test:asan: ${err.message}`)
  process.exit(1)
}
