#!/usr/bin/env node
// @ts-check
// The package's install script: node-gyp-build, which keeps the prebuilt binary when it loads and
// otherwise builds from source. It picks a binary by C library, but recognises musl only on
// Alpine (by /etc/alpine-release); Node's own report tells any musl system (it names a glibc
// runtime only on glibc), so LIBC=musl is set for it there, unless LIBC is already set.
'use strict'

const report = /** @type {{ header?: { glibcVersionRuntime?: string } } | undefined} */ (process.report?.getReport())
if (process.platform === 'linux' && process.env.LIBC === undefined && report && !report.header?.glibcVersionRuntime) {
  process.env.LIBC = 'musl'
}
require('node-gyp-build/bin.js')
