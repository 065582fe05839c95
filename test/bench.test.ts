import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import { nativeBuild } from '../lib/index'
import { runBench, trialCounts } from './helpers'

// The bench is plain CommonJS (it runs without a build step of its own).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parsePattern, withEnd, sendTimes, scheduleArg } = require('../bench/schedule.js')
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseOptions, resolveBrokers } = require('../bench/run.js')
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadScenarios, evaluateTargets } = require('../bench/scenario.js')
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cBaseline = require('../bench/c/build.js')

const root = path.join(__dirname, '..')

describe('bench traffic patterns', () => {
  it('parses second:rate steps and ends them at the duration', () => {
    const steps = parsePattern('0:1000, 30:10000,60:5000')
    expect(steps).toEqual([
      { start: 0, rate: 1000 },
      { start: 30, rate: 10000 },
      { start: 60, rate: 5000 },
    ])
    expect(withEnd(steps, 45)).toEqual([
      { start: 0, rate: 1000 },
      { start: 30, rate: 10000 },
      { start: 45, rate: 0 },
    ])
    expect(scheduleArg(withEnd(steps, 45))).toBe('0:1000,30:10000,45:0')
  })

  it('spaces sends evenly within each step', () => {
    const times = sendTimes(withEnd(parsePattern('0:4,1:2'), 2))
    expect(Array.from(times)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.5])
  })

  it('refuses malformed patterns with the reason', () => {
    expect(() => parsePattern('')).toThrow(/empty/)
    expect(() => parsePattern('0:1000,abc')).toThrow(/"abc" is not second:rate/)
    expect(() => parsePattern('5:1000')).toThrow(/second 0/)
    expect(() => parsePattern('0:10,20:5,10:3')).toThrow(/must increase/)
    expect(() => parsePattern('0:-5')).toThrow(/not second:rate/)
    expect(() => parsePattern('0:0,10:0')).toThrow(/nothing would be sent/)
    expect(() => withEnd(parsePattern('0:1'), 0)).toThrow(/positive/)
  })
})

describe('bench options', () => {
  it('has defaults that run the produce, consume and end-to-end workloads (transactions on request)', () => {
    const o = parseOptions([])
    expect(o.workloads).toEqual(['produce', 'consume', 'e2e'])
    expect(o.txnEvery).toEqual([1000, 10000, 100000])
    expect(parseOptions(['--workloads', 'txn', '--txn-every', '500,2000']).txnEvery).toEqual([500, 2000])
    expect(o.sizes).toEqual([100, 1024])
    expect(parseOptions(['--size', '512']).sizes).toEqual([512])
    // kafkajs is turbokafka's kafkajs engine; kafkajs itself runs only when named.
    expect(o.engines).toContain('kafkajs')
    expect(o.engines).not.toContain('kafkajs-direct')
    expect(parseOptions(['--engines', 'kafkajs-direct']).engines).toEqual(['kafkajs-direct'])
    expect(o.consumerSet).toEqual({})
    expect(parseOptions(['--consumer-set', 'queued.min.messages=100000,client.id=a=b']).consumerSet).toEqual({
      'queued.min.messages': '100000',
      'client.id': 'a=b',
    })
    expect(o.schedule).toEqual([
      { start: 0, rate: 10000 },
      { start: 10, rate: 0 },
    ])
  })

  it('refuses unknown options and impossible values, naming them', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--nope'], /Unknown option '--nope'/],
      [['--sizes=-5'], /--sizes must be a positive integer/],
      [['--sizes', '100,abc'], /--sizes must be a positive integer/],
      [['--rate', '0'], /--rate must be a positive number/],
      [['--duration=-1'], /--duration must be a positive number/],
      [['--traffic-pattern', '0:1000,x'], /--traffic-pattern: traffic pattern: "x"/],
      [['--rate', '5', '--traffic-pattern', '0:5'], /exclude each other/],
      [['--acks', '2'], /--acks must be 1 or all/],
      [['--engines', 'c,rust'], /unknown engine "rust"/],
      [['--workloads', 'produce,replay'], /unknown workload "replay"/],
      [['--replication', '3'], /--replication needs --brokers/],
      [['--sizes', '8'], /at least 16 bytes/],
      [['--size', '100', '--sizes', '100'], /exclude each other/],
      [['--size=0'], /--size must be a positive integer/],
      [['--consumer-set', 'queued.min.messages'], /--consumer-set takes key=value pairs/],
      [['--metrics-port', '70000'], /--metrics-port must be a TCP port/],
      [['--metrics-port', 'x'], /--metrics-port must be a positive integer/],
      [['--brokers', 'no-such-cluster'], /neither host:port nor a running cluster/],
    ]
    for (const [args, message] of bad) {
      let thrown: unknown
      try {
        const o = parseOptions(args)
        // --brokers is resolved when the run starts; check it the same way.
        if (o.brokers !== undefined) resolveBrokers(o.brokers)
      } catch (err) {
        thrown = err
      }
      expect(thrown, args.join(' ')).toBeInstanceOf(Error)
      expect((thrown as Error).message, args.join(' ')).toMatch(message)
    }
  })

  it(
    'exits 2 with the message and the usage on bad input, 1 naming an unreachable broker, 0 with --help',
    { timeout: 90_000 },
    () => {
      const bad = spawnSync(process.execPath, ['bench/run.js', '--rate', '0'], { cwd: root, encoding: 'utf8' })
      expect(bad.status).toBe(2)
      expect(bad.stderr).toContain('--rate must be a positive number')
      expect(bad.stderr).toContain('usage: npm run bench')
      const unreachable = spawnSync(process.execPath, ['bench/run.js', '--brokers', '127.0.0.1:1'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      })
      expect(unreachable.status).toBe(1)
      expect(unreachable.stderr).toContain('cannot reach the cluster at 127.0.0.1:1')
      const help = spawnSync(process.execPath, ['bench/run.js', '--help'], { cwd: root, encoding: 'utf8' })
      expect(help.status).toBe(0)
      expect(help.stdout).toContain('--traffic-pattern')
    },
  )
})

describe('bench scenarios', () => {
  const file = (name: string, text: string) => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tk-scenario-')), name)
    fs.writeFileSync(f, text)
    return f
  }

  it('reads the shipped YAML scenarios into command-line options that parse', () => {
    const scenarios = loadScenarios(path.join(root, 'bench/scenarios.yaml'))
    expect(scenarios.map((s: { name: string }) => s.name)).toEqual(['high_throughput', 'low_latency', 'mixed_load'])
    for (const s of scenarios) expect(() => parseOptions(s.argv)).not.toThrow()
    const mixed = parseOptions(scenarios[2].argv)
    expect(mixed.schedule).toEqual([
      { start: 0, rate: 1000 },
      { start: 4, rate: 20000 },
      { start: 8, rate: 5000 },
      { start: 12, rate: 0 },
    ])
    expect(loadScenarios(`${path.join(root, 'bench/scenarios.yaml')}:low_latency`)).toHaveLength(1)
  })

  it('explains a bad scenario file', () => {
    expect(() => loadScenarios('x.txt')).toThrow(/\.json, \.yaml or \.yml/)
    expect(() => loadScenarios('/nonexistent/x.json')).toThrow(/cannot read/)
    expect(() => loadScenarios(file('a.json', '{'))).toThrow(/does not parse/)
    expect(() => loadScenarios(file('b.yaml', 'other: 1'))).toThrow(/"scenarios" map/)
    expect(() => loadScenarios(file('c.json', '{"scenarios":{"a":{}}}') + ':b')).toThrow(/no scenario "b".*it has a/)
    expect(() => loadScenarios(file('d.json', '{"scenarios":{"a":{"options":{"json":"x"}}}}'))).toThrow(/command line/)
    expect(() =>
      loadScenarios(
        file('e.json', '{"scenarios":{"a":{"targets":[{"workload":"e2e","engine":"native","metric":"p42","max":1}]}}}'),
      ),
    ).toThrow(/metric must be one of/)
    expect(() =>
      loadScenarios(
        file('f.json', '{"scenarios":{"a":{"targets":[{"workload":"e2e","engine":"native","metric":"p99"}]}}}'),
      ),
    ).toThrow(/min or max/)
  })

  it('checks targets against a summary: met, not met, not measured', () => {
    const summary = {
      produce: [{ engine: 'native', size: 100, msgPerSec: 2e6, ratios: { c: 0.8 } }],
      e2e: [{ engine: 'native', size: 100, p99: 3 }],
    }
    const r = evaluateTargets(
      [
        { workload: 'produce', engine: 'native', metric: 'msgPerSec', min: 1e6 },
        { workload: 'produce', engine: 'native', metric: 'vsC', min: 0.9 },
        { workload: 'e2e', engine: 'native', metric: 'p99', max: 5 },
        { workload: 'consume', engine: 'native', metric: 'msgPerSec', min: 1 },
      ],
      summary,
    )
    expect(r.map((t: { met: boolean }) => t.met)).toEqual([true, false, true, false])
    expect(r[1].measured).toEqual([0.8])
    expect(r[3].measured).toEqual([])
  })
})

describe('the C baseline', () => {
  it('is prebuilt for this platform from these sources, on the librdkafka the prebuilt addon links', () => {
    const file = cBaseline.prebuiltPath()
    const info = cBaseline.describe(file)
    expect(
      info.fingerprint,
      `${path.relative(root, file)} was built from other sources than bench/c/ holds. Rebuild it with \`npm run prebuild\` and commit it.`,
    ).toBe(cBaseline.fingerprint())
    const addon = nativeBuild()
    expect(addon.linkage).toBe('static')
    expect(info.librdkafka).toBe(addon.librdkafka)
    expect(cBaseline.locate(addon)).toMatchObject({ file, librdkafka: addon.librdkafka })
  })

  it('says in one line what is missing when there is no baseline for the loaded librdkafka and none can be compiled', () => {
    const saved = { ...process.env }
    try {
      Object.assign(process.env, { PKG_CONFIG_LIBDIR: '/nonexistent', PKG_CONFIG_PATH: '' })
      delete process.env.TURBOKAFKA_BENCH_C
      const found = cBaseline.locate({ linkage: 'static', librdkafka: '9.9.9' })
      expect(found.file).toBeUndefined()
      expect(found.missing).toBe(
        `C baselines skipped: no prebuilt baseline for ${process.platform}-${process.arch} with librdkafka 9.9.9, ` +
          'and no librdkafka development files to compile one (apt-get install gcc librdkafka-dev pkg-config); ratios to C are left out',
      )
    } finally {
      process.env = saved
    }
  })
})

describe('bench smoke run (mock cluster, tiny counts)', () => {
  it('runs every workload and engine and reports what was delivered and read', { timeout: 240_000 }, () => {
    const chart = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tk-chart-')), 'out.svg')
    const { r, results: out } = runBench(
      [
        '--engines',
        'c,c-batch,native,native-packed,native-observed,kafkajs,kafkajs-direct,compat-send,compat-each',
        '--messages',
        '30000',
        '--repeat',
        '1',
        '--sizes',
        '100',
        '--batch',
        '1000',
        '--kafkajs-share',
        '1',
        '--duration',
        '2',
        '--rate',
        '1000',
        '--chart',
        chart,
      ],
      { timeoutMs: 230_000 },
    )
    expect(r.stderr).toContain('mock cluster in a separate process')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain(`C baseline: bench/c/prebuilt/${process.platform}-${process.arch}/baseline`)
    const engines = (w: string) =>
      out.trials.filter((t: { workload: string }) => t.workload === w).map((t: { engine: string }) => t.engine)
    expect(engines('produce')).toEqual([
      'c',
      'c-batch',
      'native',
      'native-packed',
      'native-observed',
      'kafkajs',
      'kafkajs-direct',
      'compat-send',
    ])
    expect(engines('consume')).toEqual([
      'c',
      'c-batch',
      'native',
      'native-observed',
      'kafkajs',
      'kafkajs-direct',
      'compat-each',
    ])
    expect(engines('e2e')).toEqual(['c', 'native', 'kafkajs', 'kafkajs-direct'])
    for (const t of out.trials) {
      if (t.workload === 'produce') expect([t.engine, t.delivered, t.failed]).toEqual([t.engine, 30000, 0])
      if (t.workload === 'consume') {
        expect([t.engine, t.received, t.bytes]).toEqual([t.engine, 30000, 3_000_000])
      }
      if (t.workload === 'e2e') {
        expect([t.engine, t.sent, t.delivered, t.received, t.duplicates]).toEqual([t.engine, 2000, 2000, 2000, 0])
        expect(t.p50).toBeGreaterThan(0)
        expect(t.p99).toBeGreaterThanOrEqual(t.p50)
      }
      expect(t.msgPerSec).toBeGreaterThan(0)
    }
    for (const w of ['produce', 'consume', 'e2e']) expect(out.summary[w].length).toBe(engines(w).length)
    // Ratios, recomputed from the trials (one per engine here, so each median is that trial).
    type Row = { engine: string; label: string; msgPerSec: number; ratios: Record<string, number> }
    const rate = (w: string, engine: string) =>
      out.trials.find((t: { workload: string; engine: string }) => t.workload === w && t.engine === engine)
        .msgPerSec as number
    for (const [w, bases] of [
      ['produce', ['c', 'c-batch']],
      ['consume', ['c', 'c-batch']],
    ] as const) {
      for (const row of out.summary[w] as Row[]) {
        expect(row.msgPerSec).toBe(rate(w, row.engine))
        for (const b of bases)
          expect(row.ratios[b], `${w} ${row.engine} vs ${b}`).toBeCloseTo(rate(w, row.engine) / rate(w, b), 12)
      }
    }
    // The chart: a bar per engine and workload, and one per engine and percentile for e2e; in
    // each block the bars are as long as their values relative to the block's largest.
    const svg = fs.readFileSync(chart, 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/<rect x=/g)?.length).toBe(8 + 7 + 4 * 3)
    const bars = [
      ...svg.matchAll(
        /<text[^>]*>([^<]*)<\/text>\s*<rect x="\d+" y="[\d.]+" width="([\d.]+)"[^>]*\/>\s*<text[^>]*>([^<]*)<\/text>/g,
      ),
    ].map(([, label, width, value]) => ({ label, width: Number(width), value }))
    const produceRows = out.summary.produce as Row[]
    const produceBars = bars.slice(0, produceRows.length)
    const top = Math.max(...produceRows.map((r) => r.msgPerSec))
    produceRows.forEach((row, i) => {
      expect(produceBars[i]!.label).toBe(row.label)
      expect(produceBars[i]!.width).toBeCloseTo((row.msgPerSec / top) * 420, 0)
      expect(produceBars[i]!.value).toBe(`${Math.round(row.msgPerSec).toLocaleString('en-US')} msg/s`)
    })
    // The table on stdout names every workload.
    expect(r.stdout).toContain('delivered (acknowledged) messages per second')
    expect(r.stdout).toContain('read from a pre-filled topic')
    expect(r.stdout).toContain('End-to-end latency')
  })

  it('runs the transactional workload beside the C baseline, per transaction size', { timeout: 120_000 }, () => {
    const { r, results: out } = runBench(
      '--workloads txn --txn-every 1000,5000 --messages 10000 --repeat 1 --sizes 100',
    )
    expect(r.status, r.stderr).toBe(0)
    expect(trialCounts(out)).toEqual([
      ['txn', 'c', 10000],
      ['txn', 'native', 10000],
      ['txn', 'c', 10000],
      ['txn', 'native', 10000],
    ])
    expect(out.trials.map((t: { txnEvery: number }) => t.txnEvery)).toEqual([1000, 1000, 5000, 5000])
    const rows = out.summary.txn.map((s: { engine: string; txnEvery: number; ratios: { c?: number } }) => [
      s.engine,
      s.txnEvery,
      typeof s.ratios.c,
    ])
    expect(rows).toEqual([
      ['c', 1000, 'number'],
      ['native', 1000, 'number'],
      ['c', 5000, 'number'],
      ['native', 5000, 'number'],
    ])
    expect(r.stdout).toContain('Transactional producer (idempotent, acks=all), committed messages per second')
    expect(r.stdout).toContain('100 B, 1,000 per txn')
  })

  it(
    'runs without a C baseline, saying so, and fills the consume topic with turbokafka instead',
    { timeout: 120_000 },
    () => {
      const { r, results: out } = runBench(
        '--workloads produce,consume --messages 20000 --repeat 1 --sizes 100 --batch 1000 --engines c,native',
        {
          env: { ...process.env, TURBOKAFKA_BENCH_C: 'none' },
        },
      )
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr).toContain('C baselines skipped: TURBOKAFKA_BENCH_C=none; ratios to C are left out')
      expect(out.options.engines).toEqual(['native'])
      expect(trialCounts(out)).toEqual([
        ['produce', 'native', 20000],
        ['consume', 'native', 20000],
      ])
      expect(r.stdout).not.toContain('vs C')
    },
  )

  it(
    'says a peer client is skipped when it is not installed where the bench looks, and runs the rest',
    { timeout: 120_000 },
    () => {
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-no-peers-'))
      const { r, results } = runBench(
        '--workloads produce --engines c,node-rdkafka --messages 20000 --repeat 1 --sizes 100 --batch 1000',
        {
          env: { ...process.env, TURBOKAFKA_BENCH_PEERS: empty },
        },
      )
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr).toContain(`node-rdkafka: not installed in ${path.relative(root, empty)}, skipped`)
      const trials = results.trials
      expect(trials.map((t: { engine: string }) => t.engine)).toEqual(['c'])
    },
  )
})
