import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { Kafka, logLevel } from 'kafkajs'

import { loadAddon } from '../lib/binding'
import { Consumer, MockCluster, type KafkaError } from '../lib/index'
import { librdkafkaAtLeast } from '../lib/version'

const root = path.join(__dirname, '..')

/**
 * Consumer timing for tests on the mock cluster. Its coordinator forgets a member that left only
 * when the member's session expires, and waits for members to rejoin for a second less than the
 * session timeout; Apache Kafka rebalances at once (test/broker/). A short session keeps group
 * tests quick; heartbeats every 300 ms keep live members well inside it. kafkajs heartbeats
 * between fetches and waits for a fetch in flight when it disconnects, so fetches must return
 * well within the session (its default wait is 5 s): 100 ms here, for both engines.
 */
export const MOCK_GROUP_TIMING = {
  'session.timeout.ms': 3000,
  'heartbeat.interval.ms': 300,
  'fetch.wait.max.ms': 100,
} as const

/** Whether the loaded librdkafka's mock cluster takes a group initial rebalance delay (>= 2.12). */
export const MOCK_GROUP_DELAY = librdkafkaAtLeast(2, 12)

/**
 * A mock cluster whose groups get their partitions at once. A source build against an older
 * system librdkafka cannot set that, and its groups wait librdkafka's fixed 3 s instead.
 */
export function startMock(brokers = 1): Promise<MockCluster> {
  return MockCluster.start({ brokers, ...(MOCK_GROUP_DELAY ? { groupInitialRebalanceDelayMs: 0 } : {}) })
}

export interface ReadMessage {
  partition: number
  offset: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | undefined>
  timestamp: string
}

/**
 * Reads `count` messages of `topic` from the beginning with kafkajs, a client turbokafka did not
 * write. Rejects if they have not all arrived within `timeoutMs`, and if the topic holds any
 * other number of messages (the sum of its partitions' high minus low watermarks): a message
 * stored twice fails here even when it lies beyond the first `count`.
 */
/**
 * How many times longer than usual a bounded wait may take: TURBOKAFKA_TEST_PATIENCE (default 1),
 * which npm run test:arm64 raises for emulation. Waits stop hangs; they never measure.
 */
export function patient(ms: number): number {
  const factor = Number(process.env.TURBOKAFKA_TEST_PATIENCE ?? '1')
  return Number.isFinite(factor) && factor >= 1 ? ms * factor : ms
}

export async function readBack(
  bootstrapServers: string,
  topic: string,
  count: number,
  timeoutMs = patient(30_000),
): Promise<ReadMessage[]> {
  const kafka = new Kafka({ brokers: bootstrapServers.split(','), logLevel: logLevel.NOTHING, clientId: 'readback' })
  const stored = await storedCount(kafka, topic)
  if (stored !== count) throw new Error(`${topic} holds ${stored} messages, not the ${count} expected`)
  if (count === 0) return []
  const consumer = kafka.consumer({ groupId: `readback-${topic}-${Date.now()}-${Math.random()}` })
  const out: ReadMessage[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${out.length} of ${count} messages of ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      )
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              out.push({
                partition: batch.partition,
                offset: m.offset,
                key: m.key,
                value: m.value,
                headers: m.headers as Record<string, Buffer | undefined>,
                timestamp: m.timestamp,
              })
            }
            if (out.length >= count) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  if (out.length !== count) throw new Error(`read ${out.length} messages of ${topic}, which holds ${count}`)
  return out
}

/** The number of messages `topic` holds now: the sum of high minus low watermarks. */
async function storedCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)
  } finally {
    await admin.disconnect()
  }
}

export function byPartition(messages: ReadMessage[]): Map<number, ReadMessage[]> {
  const m = new Map<number, ReadMessage[]>()
  for (const msg of messages) {
    const list = m.get(msg.partition) ?? []
    list.push(msg)
    m.set(msg.partition, list)
  }
  return m
}

let seq = 0
/** A topic name no other test uses. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${process.pid}-${++seq}`
}

/** A consumer that reads from the start and leaves committing to the test. */
export function newConsumer(
  servers: string,
  group: string,
  extra: Record<string, string | number | boolean> = {},
): Consumer {
  return new Consumer({
    'bootstrap.servers': servers,
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    ...extra,
  })
}

/** The error `fn` throws; fails the test if it throws none. */
export function catchError(fn: () => unknown): KafkaError {
  try {
    fn()
  } catch (e) {
    return e as KafkaError
  }
  throw new Error('expected an error')
}

/** The error loading `file` as the addon throws (through the loader's explanations). */
export function loadError(file: string): Error {
  try {
    loadAddon(root, file)
  } catch (err) {
    return err as Error
  }
  throw new Error(`${file} loaded`)
}

/**
 * A GSSAPI connection attempt by the addon at `addonFile`, in a child process, against a mock
 * cluster (which answers the handshake, so the system's Cyrus SASL library is really called):
 * how connect ended and what was logged. `env` adds to the child's environment.
 */
export function gssapiAttempt(addonFile: string, env: NodeJS.ProcessEnv): { connect: string; logs: string[] } {
  const script = `
    const tk = require('./dist/cjs/index.js')
    ;(async () => {
      const cluster = await tk.MockCluster.start()
      const p = new tk.Producer({ 'bootstrap.servers': cluster.bootstrapServers, engine: 'native',
        'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'GSSAPI', 'sasl.kerberos.kinit.cmd': 'true' })
      const logs = []
      p.on('log', (e) => logs.push(e.message))
      const connect = await p.connect({ timeoutMs: 1500 }).then(() => 'connected', (e) => e.code)
      await p.close()
      await cluster.close()
      console.log(JSON.stringify({ connect, logs }))
    })()`
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TURBOKAFKA_NATIVE_PATH: addonFile, ...env },
    timeout: 60_000,
  })
  if (r.status !== 0) throw new Error(`the GSSAPI attempt exited with ${r.status}: ${r.stderr}`)
  return JSON.parse(r.stdout) as { connect: string; logs: string[] }
}

/** What a bench run writes with --json, as far as the tests read it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type BenchResults = any

/**
 * Runs `npm run bench`'s script with `args` (an array, or one string split at spaces) and `--json`
 * into a temporary folder; returns the process and the results it wrote (undefined when it wrote
 * none). `timeoutMs` bounds the run.
 */
export function runBench(
  args: string[] | string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): { r: SpawnSyncReturns<string>; results: BenchResults; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tk-bench-'))
  const json = path.join(dir, 'out.json')
  const r = spawnSync(
    process.execPath,
    ['bench/run.js', ...(typeof args === 'string' ? args.split(' ') : args), '--json', json],
    {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 110_000,
      env: options.env ?? process.env,
    },
  )
  let results
  try {
    results = JSON.parse(readFileSync(json, 'utf8'))
  } catch {
    results = undefined
  }
  return { r, results, dir }
}

/** A bench run's trials as [workload, engine, messages delivered or received], in run order. */
export function trialCounts(results: BenchResults): Array<[string, string, number]> {
  return results.trials.map((t: { workload: string; engine: string; delivered?: number; received?: number }) => [
    t.workload,
    t.engine,
    t.delivered ?? t.received,
  ])
}

/** A port nobody listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** The C library this process runs on: Node's report names a glibc runtime only on glibc. */
export function runtimeLibc(): 'glibc' | 'musl' {
  const report = process.report.getReport() as { header: { glibcVersionRuntime?: string } }
  return report.header.glibcVersionRuntime ? 'glibc' : 'musl'
}

/**
 * What ldd prints for a binary this process could load: the libraries it needs and where from.
 * Asked of the dynamic loader this very process runs on (`--list`, which is what ldd runs; musl's
 * loader takes it too), found in /proc/self/maps: under emulation (npm run test:arm64) the
 * system's ldd only knows the host's loaders, and the musl tier's loader is not in /lib.
 */
export function ldd(file: string): string {
  const maps = readFileSync('/proc/self/maps', 'utf8')
  const loader =
    /\s(\/\S*\/ld-(?:linux|musl)[^/\s]*\.so[.\d]*)$/m.exec(maps)?.[1] ??
    /\s(\/\S*\/x86_64-linux-musl\/libc\.so)$/m.exec(maps)?.[1]
  if (!loader) throw new Error('no dynamic loader in /proc/self/maps')
  // musl's loader, listing an addon outside Node, also resolves its symbols and reports the
  // Node-API ones (which only Node defines) as missing: those are expected, anything else is not.
  const r = spawnSync(loader, ['--list', file], { encoding: 'utf8' })
  const unexpected = r.stderr.split('\n').filter((l) => l && !/: (napi|node_api)_\w+: symbol not found$/.test(l))
  if (r.error || unexpected.length > 0 || (r.status !== 0 && r.stderr === '')) {
    throw new Error(`${loader} --list ${file} failed: ${r.error?.message ?? unexpected.join('\n')}`)
  }
  return r.stdout
}
