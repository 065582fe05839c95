// The only module that loads the native addon. Everything native is reached through `binding()`.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/** What one poller round of a native producer reports: see native/producer.cc DispatchToJs. */
export type SettledRow = [id: number, delivered: number, failedIndices?: Uint32Array, failedCodes?: Int32Array]
export type NativeLog = [level: number, facility: string, message: string]
export type DispatchCallback = (settled: SettledRow[], stats: string[], errors: Error[], logs: NativeLog[]) => void

export interface NativeProducerStats {
  produced: number
  delivered: number
  failed: number
  bytesDelivered: number
  backlog: number
}

export interface NativeProducer {
  produceBatch(
    topic: string,
    id: number,
    values: ArrayBuffer[] | Buffer,
    keys: Array<Buffer | null> | undefined,
    partitions: Int32Array | undefined,
    timestamps: Float64Array | undefined,
    headers: Array<Array<string | Buffer | null> | undefined> | undefined,
    layout: Uint32Array,
  ): void
  flush(timeoutMs: number): Promise<number>
  close(timeoutMs: number): Promise<number>
  closeSync(timeoutMs?: number): void
  ping(timeoutMs: number): Promise<number>
  stats(): NativeProducerStats
}

export interface TopicPartitionOffset {
  topic: string
  partition: number
  offset?: number
  error?: Error
}

export interface NativeConsumedBatch {
  count: number
  /** The take filled `max`: entries may remain queued, so consume again before waiting. */
  more: boolean
  arena: ArrayBuffer
  /** Per message: partition, offset, timestamp, valueAt, valueLen, keyAt, keyLen, topic, headers. */
  meta: Float64Array
  topics: string[]
  headers?: Array<Array<string | Buffer | null>>
  errors: Error[]
  rebalances: Array<{ type: 'assign' | 'revoke'; protocol: string; partitions: TopicPartitionOffset[] }>
  /** [0, error] client error, [1, error] commit error, [2, level, "facility\nmessage"], [3, statsJson] */
  events: Array<[number, unknown, unknown?]>
}

export interface NativeConsumer {
  subscribe(topics: string[]): void
  unsubscribe(): void
  assign(partitions: TopicPartitionOffset[]): void
  unassign(): void
  assignment(): TopicPartitionOffset[]
  consume(max: number): NativeConsumedBatch
  setWaiting(waiting: boolean): void
  commit(offsets: TopicPartitionOffset[] | null, async: boolean): Promise<void> | undefined
  seek(partitions: TopicPartitionOffset[], timeoutMs: number): Promise<TopicPartitionOffset[]>
  pause(partitions: TopicPartitionOffset[]): TopicPartitionOffset[]
  resume(partitions: TopicPartitionOffset[]): TopicPartitionOffset[]
  position(partitions: TopicPartitionOffset[]): TopicPartitionOffset[]
  committed(partitions: TopicPartitionOffset[], timeoutMs: number): Promise<TopicPartitionOffset[]>
  watermarks(topic: string, partition: number, timeoutMs: number): Promise<{ low: number; high: number }>
  ping(timeoutMs: number): Promise<void>
  close(timeoutMs: number): Promise<void>
  destroySync(): void
}

export interface NativeMockCluster {
  bootstraps(): string
  createTopic(name: string, partitions: number, replicationFactor: number): void
  setBrokerDown(id: number): void
  setBrokerUp(id: number): void
  pushRequestErrors(apiKey: number, codes: Int32Array): void
  setTopicError(topic: string, errno: number): void
  close(): void
}

export interface Binding {
  Producer: new (config: Record<string, string>, onEvents: DispatchCallback, exitFlushMs: number) => NativeProducer
  Consumer: new (config: Record<string, string>, onWake: () => void) => NativeConsumer
  MockCluster: new (brokers: number) => NativeMockCluster
  errorCodes(): Array<[number, string, string, boolean]>
  librdkafkaVersion(): string
}

/** The package root: the nearest folder above this file whose package.json names turbokafka. */
function packageRoot(): string {
  let dir = __dirname
  for (let i = 0; i < 6; i++) {
    const pkg = path.join(dir, 'package.json')
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'turbokafka') return dir
    dir = path.dirname(dir)
  }
  throw new Error(`turbokafka: cannot find the package root above ${__dirname}`)
}

/**
 * Set to the path of a turbokafka .node file to load that file instead of searching prebuilds/
 * and build/ (a custom build, or a test that makes the native engine unavailable).
 */
export const NATIVE_PATH_ENV = 'TURBOKAFKA_NATIVE_PATH'

function explain(err: unknown, root: string, forced: string | undefined): Error {
  const message = err instanceof Error ? err.message : String(err)
  let hint: string
  if (forced !== undefined && /Cannot find module|ENOENT/.test(message)) {
    hint = `${NATIVE_PATH_ENV} points at ${forced}, which does not exist. Unset it to use the package's own binary.`
  } else if (/No native build was found/.test(message)) {
    hint =
      `there is no prebuilt binary for ${process.platform}-${process.arch} and no local build in ${root}/build. ` +
      `Build from source with \`npm rebuild turbokafka\` (needs a C++ compiler, pkg-config and librdkafka's ` +
      `development files, e.g. \`apt-get install librdkafka-dev\`).`
  } else if (/cannot open shared object file/.test(message)) {
    const lib = /([\w.+-]+\.so[\w.]*)/.exec(message)?.[1] ?? 'a shared library'
    hint = `the binary needs ${lib}, which this system does not have. Install it (for librdkafka.so: \`apt-get install librdkafka1\`) or rebuild.`
  } else if (/GLIBC_|version `/.test(message)) {
    hint = 'the binary was built against a newer C library than this system has; rebuild from source.'
  } else {
    hint = 'the native addon failed to load.'
  }
  return new Error(`turbokafka: ${hint}\n  loader said: ${message}`, { cause: err })
}

let cached: Binding | undefined
let failure: Error | undefined

/**
 * Loads the addon once (prebuilds/ first, then build/, or the file named by
 * TURBOKAFKA_NATIVE_PATH). Throws an explanation when it cannot, and the same one on every later
 * call.
 */
export function binding(): Binding {
  if (cached) return cached
  if (failure) throw failure
  const root = packageRoot()
  const forced = process.env[NATIVE_PATH_ENV] || undefined
  try {
    const req = createRequire(__filename)
    cached = forced !== undefined ? (req(path.resolve(forced)) as Binding) : (req('node-gyp-build') as (dir: string) => Binding)(root)
    return cached
  } catch (err) {
    failure = explain(err, root, forced)
    throw failure
  }
}

/** The loader's error if the native addon cannot load, otherwise undefined (loads it if needed). */
export function bindingError(): Error | undefined {
  try {
    binding()
    return undefined
  } catch (err) {
    return err as Error
  }
}
