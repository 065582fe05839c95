#!/usr/bin/env node
// Prints the fingerprint of everything that decides what the native addon is: the sources in
// native/ and the files that build them (binding.gyp, the scripts it runs, the prebuild script and
// scripts/librdkafka.js, which pins the librdkafka source the prebuild links and how it is built).
// The build compiles it into the binary (buildInfo().fingerprint), so a test can tell whether the
// committed prebuild was made from the sources beside it. CMakeLists.txt is left out: it only
// makes development builds, never the binary that ships.
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const BUILD_FILES = [
  'binding.gyp',
  'scripts/find-librdkafka.js',
  'scripts/fingerprint.js',
  'scripts/librdkafka.js',
  'scripts/npm-fetch.js',
  'scripts/prebuild-musl.js',
  'scripts/prebuild.js',
  'scripts/toolchain.js',
]

function inputs() {
  const native = fs
    .readdirSync(path.join(root, 'native'))
    .filter((f) => /\.(cc|h|map|json)$/.test(f))
    .map((f) => `native/${f}`)
  // A copy without some build file (the packed package carries neither the prebuild script nor
  // scripts/librdkafka.js) hashes what it has: its fingerprint only concerns source builds made there.
  const build = BUILD_FILES.filter((f) => fs.existsSync(path.join(root, f)))
  return [...native, ...build].sort()
}

/** sha256 over each input's path and content, in a fixed order; 'fp_' keeps it a C identifier. */
function fingerprint() {
  const hash = crypto.createHash('sha256')
  for (const file of inputs()) {
    hash.update(`${file}\0`)
    hash.update(fs.readFileSync(path.join(root, file)))
    hash.update('\0')
  }
  return `fp_${hash.digest('hex').slice(0, 32)}`
}

module.exports = { fingerprint, inputs }

if (require.main === module) {
  if (process.argv[2] === '--list') console.log(inputs().join('\n'))
  else console.log(fingerprint())
}
