// kcat, a C client built on the system's librdkafka, on both sides of turbokafka.
import { execFileSync, spawnSync } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Consumer, MockCluster, Producer, type ConsumedMessage } from '../../lib/index'
import { uniqueTopic } from '../helpers'

let cluster: MockCluster
beforeAll(async () => {
  cluster = await MockCluster.start({ brokers: 1 })
})
afterAll(async () => {
  await cluster.close()
})

describe('kcat interop (system tier: needs kcat)', () => {
  it('reads what kcat produced, and kcat reads what turbokafka produced', async () => {
    const servers = cluster.bootstrapServers
    const topic = uniqueTopic('sys-kcat')
    await cluster.createTopic(topic, 1)
    execFileSync('kcat', ['-P', '-b', servers, '-t', topic, '-K', ':'], { input: 'kc:from-kcat\n' })
    const p = new Producer({ 'bootstrap.servers': servers, preset: 'throughput' })
    expect((await p.produceBatch(topic, [{ key: 'tk', value: 'from-turbokafka' }])).delivered).toBe(1)
    await p.close()

    const c = new Consumer({ 'bootstrap.servers': servers, 'group.id': uniqueTopic('g'), 'enable.auto.commit': false })
    c.assign([{ topic, partition: 0, offset: 0 }])
    const got: ConsumedMessage[] = []
    for (let i = 0; i < 100 && got.length < 2; i++) got.push(...(await c.consumeBatch(10, 200)))
    await c.close()
    expect(got.map((m) => [m.key!.toString(), m.value!.toString()])).toEqual([
      ['kc', 'from-kcat'],
      ['tk', 'from-turbokafka'],
    ])

    const out = spawnSync('kcat', ['-C', '-b', servers, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n'], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(out.status, out.stderr).toBe(0)
    expect(out.stdout.trim().split('\n')).toEqual(['kc=from-kcat', 'tk=from-turbokafka'])
  })
})
