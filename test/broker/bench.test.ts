import { spawnSync } from 'node:child_process'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

const root = path.join(__dirname, '..', '..')

describe('bench/rebalance-pause.js against Apache Kafka', () => {
  it('measures a pause for each protocol and the noise floor beside it', { timeout: 180_000 }, () => {
    const r = spawnSync(
      process.execPath,
      ['bench/rebalance-pause.js', '--brokers', 'single', '--rounds', '1', '--protocols', 'classic,consumer'],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 170_000,
      },
    )
    expect(r.status, r.stderr).toBe(0)
    const rows = r.stdout.split('\n').filter((l) => /^\| (classic|consumer)/.test(l))
    expect(rows.map((l) => l.split(' | ')[0])).toEqual(['| classic, range (eager)', '| consumer (KIP-848)'])
    for (const row of rows) {
      const [, median, rounds, quiet] = row.split(' | ')
      expect(Number(median!.replace(/,/g, ''))).toBeGreaterThan(0)
      expect(rounds).toBe(median)
      expect(Number(quiet!.replace(/[ |,]/g, ''))).toBeGreaterThan(0)
    }
    // A member that kept partitions is reported for every round.
    expect(r.stderr).toMatch(/classic round 1: [\d,]+ ms, alone before: [\d,]+ ms \(A kept [1-5] of 6\)/)
  })
})
