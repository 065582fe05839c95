// @ts-check
// The compilers and binutils that build for one Linux architecture from this machine: the
// machine's own tools for its own architecture, Debian's cross toolchain (aarch64-linux-gnu-gcc
// and friends, from g++-aarch64-linux-gnu) for another. The libraries of a foreign architecture
// come from Debian's multiarch packages (libssl-dev:arm64 ...), whose pkg-config files and static
// archives sit in /usr/lib/<triplet>; the cross compiler searches there by itself.
'use strict'
const fs = require('node:fs')

/** What differs between the architectures a prebuild is made for. */
const ARCHES = {
  x64: {
    triplet: 'x86_64-linux-gnu',
    mklove: 'x86_64',
    debian: 'amd64',
    loader: 'ld-linux-x86-64',
    qemu: 'qemu-x86_64',
  },
  arm64: {
    triplet: 'aarch64-linux-gnu',
    mklove: 'aarch64',
    debian: 'arm64',
    loader: 'ld-linux-aarch64',
    qemu: 'qemu-aarch64',
  },
}

/** @typedef {keyof typeof ARCHES} Arch */

/** @param {string} arch @returns {arch is Arch} */
function known(arch) {
  return Object.hasOwn(ARCHES, arch)
}

/**
 * The tools and environment that build for `arch`. `env` is what a build process needs (CC, CXX,
 * AR, ... and, across architectures, PKG_CONFIG_LIBDIR at the multiarch pkg-config files);
 * `run` is the command prefix that runs one of its executables here (qemu across architectures).
 * @param {Arch} arch
 */
function toolchain(arch) {
  const target = ARCHES[arch]
  const cross = arch !== process.arch
  const prefix = cross ? `${target.triplet}-` : ''
  const tools = {
    CC: cross ? `${prefix}gcc` : 'cc',
    CXX: cross ? `${prefix}g++` : 'c++',
    AR: `${prefix}ar`,
    LD: `${prefix}ld`,
    NM: `${prefix}nm`,
    OBJDUMP: `${prefix}objdump`,
    READELF: `${prefix}readelf`,
    STRIP: `${prefix}strip`,
    RANLIB: `${prefix}ranlib`,
  }
  /** @type {NodeJS.ProcessEnv} */
  const env = cross
    ? { ...tools, PKG_CONFIG_LIBDIR: [`/usr/lib/${target.triplet}/pkgconfig`, '/usr/share/pkgconfig'].join(':') }
    : {}
  const libdir = `/usr/lib/${target.triplet}`
  return { arch, cross, ...target, libdir, tools, env, run: cross ? [`${target.qemu}-static`] : [] }
}

/**
 * Whether the kernel runs this architecture's executables through qemu by itself (binfmt_misc),
 * which child processes (vitest's workers, npm) need: an explicit qemu prefix only covers the
 * first process.
 * @param {Arch} arch
 */
function binfmtRegistered(arch) {
  if (arch === process.arch) return true
  try {
    return fs.readFileSync(`/proc/sys/fs/binfmt_misc/${ARCHES[arch].qemu}`, 'utf8').startsWith('enabled')
  } catch {
    return false
  }
}

/** The Debian packages that cross-building for `arch` takes (beyond the native build's). @param {Arch} arch */
function crossPackages(arch) {
  const { triplet, debian } = ARCHES[arch]
  const dev = ['libssl-dev', 'libzstd-dev', 'zlib1g-dev'].map((p) => `${p}:${debian}`)
  // libsasl2-dev cannot be installed for two architectures at once: the native one gives the
  // headers (the same for both) and librdkafka's configure links its check against the foreign
  // runtime library (scripts/librdkafka.js).
  const runtime = [`libsasl2-2:${debian}`, `libc6:${debian}`, `libstdc++6:${debian}`]
  return [`g++-${triplet.replace(/_/g, '-')}`, ...dev, 'libsasl2-dev', ...runtime, 'qemu-user-static']
}

module.exports = { ARCHES, known, toolchain, binfmtRegistered, crossPackages }
