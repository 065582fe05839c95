import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { Worker } from 'node:worker_threads'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { binding } from '../lib/binding'
import { MockCluster, Producer } from '../lib/index'
import { readBack, startMock, uniqueTopic } from './helpers'

const gc = (globalThis as { gc?: () => void }).gc
const fixture = (name: string) => path.join(__dirname, 'fixtures', name)

let cluster: MockCluster
beforeAll(async () => {
  cluster = await startMock()
})
afterAll(async () => {
  await cluster.close()
})

function runFixture(args: string[]) {
  return spawnSync(process.execPath, ['--expose-gc', fixture('exit-in-flight.js'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  })
}

describe('lifetime', () => {
  it('runs with gc exposed', () => {
    expect(typeof gc).toBe('function')
  })

  it('settles a second close of the native consumer handle itself (the class closes once; the handle may not hang either)', async () => {
    const native = new (binding().Consumer)(
      { 'bootstrap.servers': cluster.bootstrapServers, 'group.id': uniqueTopic('g') },
      () => {},
    )
    const first = native.close(1000)
    const outcome = await Promise.race([
      native.close(1000).then(() => 'settled'),
      new Promise((r) => setTimeout(() => r('pending after 5 s'), 5000)),
    ])
    expect(outcome).toBe('settled')
    await first
  })

  it('keeps payloads alive while in flight even when nothing else references them', async () => {
    const topic = uniqueTopic('gc')
    await cluster.createTopic(topic, 4)
    const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, preset: 'throughput', 'linger.ms': 300 })
    // 2 MB in all: the mock cluster retains about 5 MB per partition, and sticky partitioning
    // may put most of it on one.
    const batches = 10
    const perBatch = 200
    const reports: Promise<{ delivered: number }>[] = []
    for (let b = 0; b < batches; b++) {
      // Each payload has its own ArrayBuffer (larger than the Buffer pool), so a payload that
      // was not held natively would be freed by the collections below.
      const messages = Array.from({ length: perBatch }, (_, i) => {
        const buf = Buffer.allocUnsafeSlow(1000)
        buf.fill(`b${b}m${i};`)
        return buf
      })
      reports.push(p.produceBatch(topic, messages).then((r) => ({ delivered: r.delivered })))
    }
    // Churn and collect while the batches linger in librdkafka's queue.
    for (let i = 0; i < 10; i++) {
      gc!()
      Array.from({ length: 200 }, () => Buffer.allocUnsafeSlow(1000).fill(0xee))
      await new Promise((r) => setTimeout(r, 20))
    }
    const delivered = (await Promise.all(reports)).reduce((n, r) => n + r.delivered, 0)
    expect(delivered).toBe(batches * perBatch)
    await p.close()

    const got = await readBack(cluster.bootstrapServers, topic, batches * perBatch)
    const seen = new Set<string>()
    for (const m of got) {
      const v = m.value!
      expect(v.length).toBe(1000)
      const tag = v.toString('latin1', 0, v.indexOf(';'))
      const want = Buffer.alloc(1000)
      want.fill(`${tag};`)
      expect(v.equals(want)).toBe(true)
      seen.add(tag)
    }
    expect(seen.size).toBe(batches * perBatch)
  })

  it('lets an idle, unreferenced producer be collected (no leak through the native callback)', async () => {
    let collected = 0
    const registry = new FinalizationRegistry(() => collected++)
    await (async () => {
      for (let i = 0; i < 3; i++) {
        const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, preset: 'throughput' })
        await p.produceBatch(uniqueTopic('collect'), ['x'])
        registry.register(p, i)
      }
    })()
    for (let i = 0; i < 50 && collected < 3; i++) {
      gc!()
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(collected).toBe(3)
  })

  it('delivers a batch whose producer was dropped while in flight', async () => {
    const topic = uniqueTopic('dropped')
    await cluster.createTopic(topic, 1)
    const report = (() => {
      const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, preset: 'throughput', 'linger.ms': 200 })
      return p.produceBatch(
        topic,
        Array.from({ length: 100 }, (_, i) => `m${i}`),
      )
    })()
    gc!()
    expect((await report).delivered).toBe(100)
    gc!()
  })

  it('survives process.exit() with messages in flight, delivering them within exitFlushTimeoutMs', async () => {
    const topic = uniqueTopic('exit')
    await cluster.createTopic(topic, 1)
    const r = runFixture(['process.exit', cluster.bootstrapServers, topic])
    expect(r.signal).toBeNull()
    expect(r.status).toBe(7)
    // The lingering batch was flushed at exit: all 5000 messages are on the broker.
    const got = await readBack(cluster.bootstrapServers, topic, 5000)
    expect(new Set(got.map((m) => m.value!.toString())).size).toBe(5000)
  })

  it('flushes at exit the batches of a producer the app dropped and GC collected', async () => {
    const topic = uniqueTopic('dropped-exit')
    await cluster.createTopic(topic, 1)
    const r = runFixture(['dropped-exit', cluster.bootstrapServers, topic])
    expect(r.signal).toBeNull()
    expect(r.status).toBe(3)
    const got = await readBack(cluster.bootstrapServers, topic, 500)
    expect(new Set(got.map((m) => m.value!.toString())).size).toBe(500)
  })

  it('a pending flush does not hold up process exit for its whole timeout', () => {
    // flush(60000) against a broker that never answers, exit after 200 ms: the process must end
    // (killed by spawnSync's 30 s limit otherwise, which sets a signal).
    const r = runFixture(['flush-pending'])
    expect(r.signal).toBeNull()
    expect(r.status).toBe(4)
  })

  it('survives an uncaught exception with messages in flight, delivering them within exitFlushTimeoutMs', async () => {
    const topic = uniqueTopic('throw')
    await cluster.createTopic(topic, 1)
    const r = runFixture(['throw', cluster.bootstrapServers, topic])
    expect(r.signal).toBeNull()
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('boom')
    const got = await readBack(cluster.bootstrapServers, topic, 5000)
    expect(new Set(got.map((m) => m.value!.toString())).size).toBe(5000)
  })

  it('an open idle producer does not keep the process alive', () => {
    const r = runFixture(['idle'])
    expect(r.signal).toBeNull()
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('delivered 5000')
  })

  it('a pending batch keeps the process alive until it settles', () => {
    const r = runFixture(['pending'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('late batch delivered 1')
  })

  it('survives a worker thread ending while a flush is running on the pool', async () => {
    for (let round = 0; round < 2; round++) {
      const w = new Worker(fixture('worker-producer.js'), { workerData: { mode: 'flush' } })
      const exited = new Promise<number>((resolve) => w.once('exit', resolve))
      await new Promise<void>((resolve, reject) => {
        w.once('message', () => resolve())
        w.once('error', reject)
      })
      await w.terminate()
      expect(await exited).toBe(1)
    }
  })

  for (const close of [true, false]) {
    it(`survives a worker thread that loaded the addon ending with a consumer ${close ? 'closed' : 'open'}`, async () => {
      for (let round = 0; round < 3; round++) {
        const r = spawnSync(
          process.execPath,
          [
            '-e',
            `const { Worker } = require('node:worker_threads')
             const w = new Worker(${JSON.stringify(fixture('worker-consumer.js'))}, { workerData: { close: ${close} } })
             w.once('message', () => w.terminate().then((code) => console.log('terminated', code)))`,
          ],
          { encoding: 'utf8', timeout: 30_000 },
        )
        expect(r.signal).toBeNull()
        expect(r.status).toBe(0)
        expect(r.stdout).toMatch(/terminated \d/)
      }
    })
  }

  for (const mode of ['terminate', 'exit']) {
    it(`survives a worker thread ending (${mode}) with a producer in flight, delivering its batch, and loads again after`, async () => {
      for (let round = 0; round < 2; round++) {
        const topic = uniqueTopic(`worker-${mode}`)
        await cluster.createTopic(topic, 1)
        const w = new Worker(fixture('worker-producer.js'), {
          workerData: { mode, servers: cluster.bootstrapServers, topic },
        })
        const exited = new Promise<number>((resolve) => w.once('exit', resolve))
        await new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve())
          w.once('error', reject)
        })
        if (mode === 'terminate') await w.terminate()
        // terminate() ends the worker with code 1; process.exit(0) inside it with 0.
        expect(await exited).toBe(mode === 'terminate' ? 1 : 0)
        // The environment cleanup hook flushed the lingering batch as the worker ended.
        const got = await readBack(cluster.bootstrapServers, topic, 1000)
        expect(new Set(got.map((m) => m.value!.toString())).size).toBe(1000)
      }
      // The main thread's own producer still works afterwards.
      const p = new Producer({ 'bootstrap.servers': cluster.bootstrapServers, preset: 'throughput' })
      expect((await p.produceBatch(uniqueTopic('after-worker'), ['ok'])).delivered).toBe(1)
      await p.close()
    })
  }
})
