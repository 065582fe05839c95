// Prometheus's own checker on the metrics text (system tier: needs promtool, from Debian's
// prometheus package): every client's metricsText() after real traffic on the mock cluster, on
// both engines, and what the bench serves on --metrics-port while an e2e trial runs.
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Admin, metricsText, Producer, type MockCluster } from '../../lib/index'
import { freePort, MOCK_GROUP_TIMING, newConsumer, startMock, uniqueTopic } from '../helpers'

let cluster: MockCluster
beforeAll(async () => {
  cluster = await startMock()
})
afterAll(async () => {
  await cluster.close()
})

/** promtool's verdict on an exposition: its exit status and everything it printed. */
function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  if (r.error) throw new Error(`promtool: ${r.error.message} (install Debian's prometheus package)`)
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

describe('metricsText passes promtool check metrics (system tier: needs promtool)', () => {
  it.each(['native', 'kafkajs'] as const)('on every client after real traffic (%s engine)', async (engine) => {
    const topic = uniqueTopic(`promtool-${engine}`)
    await cluster.createTopic(topic, 2)
    // The mock cluster names no controller, which kafkajs's idempotent producer needs.
    const p = new Producer({
      'bootstrap.servers': cluster.bootstrapServers,
      engine,
      preset: 'throughput',
      ...(engine === 'native' ? { 'statistics.interval.ms': 100 } : {}),
    })
    const c = newConsumer(cluster.bootstrapServers, uniqueTopic('promtool-g'), {
      engine,
      ...MOCK_GROUP_TIMING,
      ...(engine === 'native' ? { 'statistics.interval.ms': 100 } : {}),
    })
    const admin = new Admin({ 'bootstrap.servers': cluster.bootstrapServers, engine })
    await p.produceBatch(
      topic,
      Array.from({ length: 500 }, (_, i) => `m${i}`),
    )
    await p.produceBatch(topic, [{ value: 'x', partition: 7 }]) // a failure, counted by code
    c.subscribe([topic])
    let read = 0
    for (let i = 0; i < 60 && read < 500; i++) read += (await c.consumeBatch(1000, 500)).length
    expect(read).toBe(500)
    await c.commit()
    await admin.listTopics()
    await new Promise((r) => setTimeout(r, 300))
    await c.consumeBatch(1, 100)
    for (const text of [
      p.metricsText(),
      c.metricsText(),
      c.metricsText({ partitions: true }),
      admin.metricsText(),
      metricsText([p, c, admin]),
    ]) {
      expect(text).toContain('turbokafka_')
      expect(promtool(text)).toEqual({ status: 0, output: '' })
    }
    await Promise.all([p.close(), c.close(), admin.close()])
  })

  it('sees what promtool refuses (the check can fail)', () => {
    const bad =
      '# HELP turbokafka_x_count a counter without _total\n# TYPE turbokafka_x_count counter\nturbokafka_x_count 1\n'
    expect(promtool(bad).output).toMatch(/counter metrics should have "_total" suffix/)
  })
})

describe('npm run bench -- --metrics-port (system tier: needs promtool)', () => {
  it('serves the running trial’s rate, latency quantiles and lag, and promtool accepts it', async () => {
    const port = await freePort()
    const args = ['bench/run.js', '--workloads', 'e2e', '--engines', 'native', '--sizes', '100', '--repeat', '1']
    const bench = spawn(
      process.execPath,
      [...args, '--duration', '6', '--rate', '2000', '--metrics-port', String(port)],
      {
        cwd: path.join(__dirname, '..', '..'),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    let stderr = ''
    bench.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => bench.on('exit', resolve))
    let text = ''
    const has = (s: string) => text.includes(s)
    try {
      // Scrapes until one shows latencies and lag (the consumer's statistics come every second).
      for (
        let i = 0;
        i < 150 && !(has('turbokafka_bench_e2e_latency_seconds{') && has('consumer_lag_messages{'));
        i++
      ) {
        await new Promise((r) => setTimeout(r, 200))
        text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (r) => r.text(),
          () => text,
        )
      }
    } finally {
      expect(await exited, stderr).toBe(0)
    }
    expect(text).toMatch(/^turbokafka_bench_messages_per_second \d/m)
    expect(text).toMatch(/^turbokafka_bench_e2e_latency_seconds\{quantile="0.95"\} \d/m)
    expect(text).toMatch(/^turbokafka_consumer_lag_messages\{[^}]*topic="[^"]+"\} \d+$/m)
    expect(text).toMatch(/^turbokafka_producer_delivered_messages_total\{/m)
    expect(promtool(text)).toEqual({ status: 0, output: '' })
  })
})
