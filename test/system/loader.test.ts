// The loader's explanations for failures that only a real binary can show: shared objects built
// here with the C compiler.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { loadError } from '../helpers'

const work = mkdtempSync(path.join(tmpdir(), 'turbokafka-loader-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** Compiles C source into a shared object in the temp folder. */
function sharedObject(name: string, source: string, extra: string[] = []): string {
  const src = path.join(work, `${name}.c`)
  const out = path.join(work, name)
  writeFileSync(src, source)
  execFileSync('cc', ['-shared', '-fPIC', '-o', out, src, ...extra])
  return out
}

describe('loader explanations for built binaries (system tier: needs a C compiler)', () => {
  it('names a shared library the binary needs and the system lacks', () => {
    // A library the addon links against, removed after linking: what a source build meets when
    // the system librdkafka it was built against is uninstalled.
    const lib = sharedObject('libturbokafka_gone.so.1', 'int gone(void) { return 1; }', [
      '-Wl,-soname,libturbokafka_gone.so.1',
    ])
    const addon = sharedObject('needs-gone.node', 'int gone(void); int use(void) { return gone(); }', [lib])
    rmSync(lib)
    const err = loadError(addon)
    expect(err.message).toContain('needs libturbokafka_gone.so.1, which this system does not have')
    expect(err.message).toContain('npm rebuild turbokafka')
    expect(err.message).toContain('loader said:')
    expect((err.cause as Error).message).toContain('cannot open shared object file')
  })

  it('calls an unresolved symbol an ABI mismatch and says to rebuild', () => {
    const addon = sharedObject(
      'abi.node',
      'extern int rd_kafka_gone_in_this_version; int use(void) { return rd_kafka_gone_in_this_version; }',
    )
    const err = loadError(addon)
    expect(err.message).toContain('an ABI mismatch')
    expect(err.message).toContain('undefined symbol rd_kafka_gone_in_this_version')
    expect(err.message).toContain('`npm rebuild turbokafka --build-from-source`')
  })
})
