import { spawnSync } from 'node:child_process'
import path from 'node:path'

import { describe, expect, expectTypeOf, it } from 'vitest'

import type {
  BatchReport,
  KafkaError,
  Message,
  PackedMessages,
  ProduceInput,
  Producer,
  ProducerStats,
} from '../lib/index'

const root = path.join(__dirname, '..')

function node(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env, timeout: 30_000 })
}

describe('package', () => {
  it('loads through require and import as the same classes (exports map, dist build)', () => {
    const script = `
      const cjs = require('turbokafka')
      import('turbokafka').then(async (esm) => {
        const same = esm.Producer === cjs.Producer && esm.KafkaError === cjs.KafkaError && esm.MockCluster === cjs.MockCluster
        const cluster = await esm.MockCluster.start()
        const p = new esm.Producer({ 'bootstrap.servers': cluster.bootstrapServers, preset: 'latency' })
        const r = await p.produceBatch('pkg', ['x'])
        await p.close(); await cluster.close()
        console.log(JSON.stringify({ same, delivered: r.delivered, version: cjs.librdkafkaVersion() }))
      })`
    const r = node(['-e', script])
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout)
    expect(out.same).toBe(true)
    expect(out.delivered).toBe(1)
    expect(out.version).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('serves turbokafka/kafkajs through require and import, with kafkajs’s error classes', () => {
    const script = `
      const cjs = require('turbokafka/kafkajs')
      import('turbokafka/kafkajs').then(async (esm) => {
        const same = esm.Kafka === cjs.Kafka && esm.KafkaJSProtocolError === require('kafkajs').KafkaJSProtocolError
        const { MockCluster } = require('turbokafka')
        const cluster = await MockCluster.start()
        const producer = new esm.Kafka({ brokers: [cluster.bootstrapServers], logLevel: esm.logLevel.NOTHING }).producer()
        await producer.connect()
        const [meta] = await producer.send({ topic: 'pkg-compat', messages: [{ value: 'x' }] })
        await producer.disconnect(); await cluster.close()
        console.log(JSON.stringify({ same, meta }))
      })`
    const r = node(['-e', script])
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout)
    expect(out.same).toBe(true)
    expect(out.meta).toMatchObject({ topicName: 'pkg-compat', errorCode: 0, baseOffset: '0' })
  })

  it('says exactly what to install when librdkafka development files are missing', () => {
    const r = node(['scripts/find-librdkafka.js', '--libs'], {
      ...process.env,
      PKG_CONFIG_LIBDIR: '/nonexistent',
      PKG_CONFIG_PATH: '',
    })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("librdkafka's development files")
    expect(r.stderr).toContain('apt-get install librdkafka-dev')
  })
})

describe('public types', () => {
  it('types produceBatch input and its report', () => {
    expectTypeOf<Producer['produceBatch']>().parameter(1).toEqualTypeOf<ReadonlyArray<ProduceInput> | PackedMessages>()
    expectTypeOf<Producer['produceBatch']>().returns.toEqualTypeOf<Promise<BatchReport>>()
    expectTypeOf<BatchReport['errors'][number]>().toEqualTypeOf<{ index: number; error: KafkaError }>()
    expectTypeOf<Buffer>().toMatchTypeOf<ProduceInput>()
    expectTypeOf<string>().toMatchTypeOf<ProduceInput>()
    expectTypeOf<{ value: null; key: string; partition: number }>().toMatchTypeOf<Message>()
    expectTypeOf<{ key: string }>().not.toMatchTypeOf<Message>()
    expectTypeOf<ProducerStats['queued']>().toBeNumber()
  })

  it('types KafkaError fields', () => {
    expectTypeOf<KafkaError['code']>().toBeString()
    expectTypeOf<KafkaError['retriable']>().toBeBoolean()
    expectTypeOf<KafkaError['fatal']>().toBeBoolean()
    expectTypeOf<KafkaError['index']>().toEqualTypeOf<number | undefined>()
  })
})
