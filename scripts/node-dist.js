#!/usr/bin/env node
// @ts-check
// Node itself, for the version matrix and the arm64 tests: the npm packages node-linux-<arch>
// hold a Node build's bin/node. Each one used here is pinned with its npm integrity, fetched once
// with `npm pack` (scripts/npm-fetch.js) and unpacked into <cache>/node/<version>-linux-<arch>/.
//
//   node scripts/node-dist.js 22.23.5 [--arch arm64]   prints the path of that bin/node
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const { cacheDir, fetchPackage, unpack } = require('./npm-fetch.js')

/** The Node builds the tests use, by "version-arch", with their npm integrity. */
const PINNED = {
  '20.20.2-x64': 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
  '22.23.5-x64': 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
  '24.22.3-x64': 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  '22.23.5-arm64': 'sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==',
}

/** The versions `npm test` runs on (package.json engines starts at the oldest). */
const MATRIX = ['20.20.2', '22.23.5', '24.22.3']
/** The Node that runs the arm64 binary's tests under emulation. */
const ARM64_NODE = '22.23.5'

/**
 * The bin/node of a pinned Node build, fetched and unpacked if it is not in the cache yet.
 * @param {string} version @param {string} [arch]
 * @param {{ cache?: string, log?: (line: string) => void }} [options]
 */
function ensureNode(version, arch = process.arch, options = {}) {
  const key = `${version}-${arch}`
  const integrity = /** @type {Record<string, string>} */ (PINNED)[key]
  if (!integrity) throw new Error(`no pinned Node ${version} for ${arch} (pinned: ${Object.keys(PINNED).join(', ')})`)
  const cache = options.cache ?? cacheDir()
  const dest = path.join(cache, 'node', `${version}-linux-${arch}`)
  const node = path.join(dest, 'package', 'bin', 'node')
  const stampFile = path.join(dest, 'integrity')
  if (fs.existsSync(node) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === integrity) return node
  const tarball = fetchPackage(`node-linux-${arch}@${version}`, integrity, options)
  unpack(tarball, dest, ['package/bin/node', 'package/package.json'])
  fs.writeFileSync(stampFile, integrity)
  return node
}

module.exports = { PINNED, MATRIX, ARM64_NODE, ensureNode }

if (require.main === module) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--arch')
  const arch = at >= 0 ? args[at + 1] : process.arch
  const version = args.find((a, i) => !a.startsWith('--') && (at < 0 || i !== at + 1))
  if (!version || (at >= 0 && !arch)) {
    console.error('usage: node-dist.js <version> [--arch x64|arm64]')
    process.exit(2)
  }
  console.log(ensureNode(version, arch))
}
