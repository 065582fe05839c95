import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

const root = path.join(__dirname, '..', '..')

function kafkaScript(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [path.join(root, 'scripts', 'kafka.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 180_000,
  })
}

describe('scripts/kafka.js errors', () => {
  it('says Java is missing, and how to install it', () => {
    const r = kafkaScript(['start', '--name', 'nojava'], { PATH: '/nonexistent' })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/java is not installed.*Java 17/s)
  })

  it("prints Maven's own error when the jars cannot be resolved", () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'tk-cache-'))
    try {
      const r = kafkaScript(['start', '--name', 'nomaven', '--version', '0.0.0-none'], { TURBOKAFKA_CACHE: cache })
      expect(r.status).toBe(1)
      expect(r.stderr).toContain('Maven could not resolve Kafka 0.0.0-none')
      expect(r.stderr).toMatch(/kafka_2\.13.*0\.0\.0-none/)
    } finally {
      rmSync(cache, { recursive: true, force: true })
    }
  })

  it('rejects bad options and reports a cluster that is not running', () => {
    expect(kafkaScript(['start', '--brokers', '0']).stderr).toContain('--brokers must be an integer')
    expect(kafkaScript(['dance']).stderr).toContain('usage')
    const r = kafkaScript(['status', '--name', 'never-started'])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('not started')
  })
})
