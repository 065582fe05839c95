// An install where no prebuild fits: npm runs node-gyp (which needs python3 and make), and the
// build stops at the missing librdkafka with what to install.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { installInto, pack } from '../packing'

const work = mkdtempSync(path.join(tmpdir(), 'turbokafka-install-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('install where no prebuild fits and nothing can be built (system tier: needs python3 and make for node-gyp)', () => {
  it('fails the install and says what to install', () => {
    const { tarball } = pack(work)
    // LIBC=uclibc: a C library the package has no binary for, so no prebuild fits and
    // node-gyp-build builds from source; pkg-config then finds no librdkafka.
    const r = installInto(path.join(work, 'uclibc'), tarball, {
      LIBC: 'uclibc',
      PKG_CONFIG_LIBDIR: '/nonexistent',
      PKG_CONFIG_PATH: '',
    })
    expect(r.status).not.toBe(0)
    const log = `${r.stdout}\n${r.stderr}`
    expect(log).toContain("building from source needs librdkafka's development files")
    expect(log).toContain('apt-get install librdkafka-dev pkg-config')
  }, 300_000)
})
