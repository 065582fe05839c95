#!/usr/bin/env node
// Prints librdkafka's include directories (--cflags) or link flags (--libs) for binding.gyp, and
// fails with an install hint when librdkafka's development files are missing.
'use strict'
const { execFileSync } = require('node:child_process')

const mode = process.argv[2]
if (mode !== '--cflags' && mode !== '--libs') {
  console.error('usage: find-librdkafka.js --cflags|--libs')
  process.exit(2)
}
try {
  const out = execFileSync('pkg-config', [mode === '--cflags' ? '--cflags-only-I' : '--libs', 'rdkafka'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // gyp wants bare include directories; pkg-config prints -I flags.
  const words = out.trim().split(/\s+/).filter(Boolean)
  console.log((mode === '--cflags' ? words.map((w) => w.replace(/^-I/, '')) : words).join(' '))
} catch (err) {
  const why = err.code === 'ENOENT' ? 'pkg-config is not installed' : 'pkg-config cannot find "rdkafka"'
  console.error(
    [
      '',
      `turbokafka: building from source needs librdkafka's development files, and ${why}.`,
      '  Debian/Ubuntu:  apt-get install librdkafka-dev pkg-config',
      '  Fedora/RHEL:    dnf install librdkafka-devel pkgconf-pkg-config',
      '  macOS:          brew install librdkafka pkg-config',
      '  A librdkafka installed elsewhere: set PKG_CONFIG_PATH to the folder holding rdkafka.pc.',
      '',
    ].join('\n'),
  )
  process.exit(1)
}
