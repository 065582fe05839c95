#!/usr/bin/env node
// Tells binding.gyp how to compile and link against librdkafka:
//   --cflags   librdkafka's include directories
//   --libs     the link flags
//   --linkage  "static" or "dynamic"
// The linkage comes from TURBOKAFKA_LINK (default dynamic). A source build links the system's
// librdkafka.so. The prebuilt binary (npm run prebuild) sets TURBOKAFKA_LINK=static: librdkafka
// and its compression and TLS libraries go into the binary from their .a archives with their
// symbols hidden, so it needs nothing at run time beyond the C library (libsasl2 is opened on
// demand, see native/sasl_shim.cc). Fails with an install hint when something is missing.
'use strict'
const { execFileSync } = require('node:child_process')

const mode = process.argv[2]
if (mode !== '--cflags' && mode !== '--libs' && mode !== '--linkage') {
  console.error('usage: find-librdkafka.js --cflags|--libs|--linkage')
  process.exit(2)
}

const linkage = process.env.TURBOKAFKA_LINK || 'dynamic'
if (linkage !== 'static' && linkage !== 'dynamic') {
  console.error(`turbokafka: TURBOKAFKA_LINK must be "static" or "dynamic", not "${linkage}"`)
  process.exit(2)
}

// Where each archive of a static link comes from, to say what to install when it is missing.
const DEV_PACKAGES = {
  rdkafka: 'librdkafka-dev',
  lz4: 'liblz4-dev',
  zstd: 'libzstd-dev',
  ssl: 'libssl-dev',
  crypto: 'libssl-dev',
  z: 'zlib1g-dev',
}
// Part of the C library (or opened on demand): always linked dynamically.
const SYSTEM = new Set(['m', 'dl', 'pthread', 'rt', 'c', 'sasl2'])

function fail(lines) {
  console.error(['', ...lines, ''].join('\n'))
  process.exit(1)
}

function pkgConfig(args) {
  try {
    return execFileSync('pkg-config', [...args, 'rdkafka'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim()
  } catch (err) {
    const why = err.code === 'ENOENT' ? 'pkg-config is not installed' : 'pkg-config cannot find "rdkafka"'
    fail([
      `turbokafka: building from source needs librdkafka's development files, and ${why}.`,
      '  Debian/Ubuntu:  apt-get install librdkafka-dev pkg-config',
      '  Fedora/RHEL:    dnf install librdkafka-devel pkgconf-pkg-config',
      '  macOS:          brew install librdkafka pkg-config',
      '  A librdkafka installed elsewhere: set PKG_CONFIG_PATH to the folder holding rdkafka.pc.',
    ])
  }
}

/**
 * The full path of libNAME.a: the first of `dirs` that has it, then the compiler's search path
 * (where the system's archives are).
 */
function archive(name, dirs) {
  const fs = require('node:fs')
  const path = require('node:path')
  for (const dir of dirs) {
    const file = path.join(dir, `lib${name}.a`)
    if (fs.existsSync(file)) return file
  }
  const compiler = process.env.CC || 'cc'
  try {
    const found = execFileSync(compiler, [`-print-file-name=lib${name}.a`], { encoding: 'utf8' }).trim()
    if (path.isAbsolute(found) && fs.existsSync(found)) return found
  } catch {
    // no compiler to ask: reported below like any missing archive
  }
  const pkg = DEV_PACKAGES[name]
  return fail([
    `turbokafka: a static build needs lib${name}.a, which was not found.`,
    pkg ? `  Debian/Ubuntu: apt-get install ${pkg}` : `  Install the development package that provides lib${name}.a.`,
  ])
}

function staticLibs() {
  const words = pkgConfig(['--static', '--libs']).split(/\s+/).filter(Boolean)
  // The librdkafka that pkg-config found is in its libdir: looked in first, so that a pinned
  // build (PKG_CONFIG_PATH, see scripts/librdkafka.js) wins over another librdkafka.a that some
  // -L folder or the compiler's path also holds (Debian's librdkafka-dev). Then the -L folders.
  const dirs = [pkgConfig(['--variable=libdir']), ...words.filter((w) => w.startsWith('-L')).map((w) => w.slice(2))]
  const archives = []
  const system = []
  for (const word of words) {
    if (!word.startsWith('-l')) continue
    const name = word.slice(2)
    if (SYSTEM.has(name)) {
      if (name !== 'sasl2' && !system.includes(word)) system.push(word)
    } else {
      const file = archive(name, dirs)
      if (!archives.includes(file)) archives.push(file)
    }
  }
  return [
    // Everything taken from an archive stays private to the binary: no clash with the OpenSSL
    // that Node itself exports, or with another librdkafka in the process.
    '-Wl,--exclude-libs,ALL',
    '-Wl,--gc-sections',
    '-Wl,--start-group',
    ...archives,
    '-Wl,--end-group',
    '-static-libstdc++',
    ...system,
  ]
}

if (mode === '--linkage') {
  console.log(linkage)
} else if (mode === '--cflags') {
  // gyp wants bare include directories; pkg-config prints -I flags.
  const words = pkgConfig(['--cflags-only-I']).split(/\s+/).filter(Boolean)
  console.log(words.map((w) => w.replace(/^-I/, '')).join(' '))
} else {
  console.log((linkage === 'static' ? staticLibs() : pkgConfig(['--libs']).split(/\s+/)).join(' '))
}
