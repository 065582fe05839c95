// The only module that loads the native addon. Everything native is reached through `binding()`.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/** What one poller round of a native producer reports: see native/producer.cc DispatchToJs. */
export type SettledRow = [
  id: number,
  delivered: number,
  failedIndices?: Uint32Array,
  failedCodes?: Int32Array,
  /** With offsets asked for: each message's partition and offset (-1 where it failed). */
  partitions?: Int32Array,
  offsets?: Float64Array,
]
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
    offsets: boolean,
  ): void
  flush(timeoutMs: number): Promise<number>
  close(timeoutMs: number): Promise<number>
  closeSync(timeoutMs?: number): void
  ping(timeoutMs: number): Promise<number>
  stats(): NativeProducerStats
  initTransactions(timeoutMs: number): Promise<void>
  beginTransaction(): void
  sendOffsetsToTransaction(offsets: TopicPartitionOffset[], groupMetadata: Buffer, timeoutMs: number): Promise<void>
  commitTransaction(timeoutMs: number): Promise<void>
  abortTransaction(timeoutMs: number): Promise<void>
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
  cachedWatermarks(topic: string, partition: number): [low: number, high: number]
  ping(timeoutMs: number): Promise<void>
  /** The group's id, generation and member id, serialized (for sendOffsetsToTransaction). */
  groupMetadata(): Buffer
  close(timeoutMs: number): Promise<void>
  destroySync(): void
}

/** The native admin client (native/admin.h); lib/engines/native/admin.ts shapes what it answers. */
export interface NativeAdmin {
  createTopics(
    items: Array<{ topic: string; partitions: number; replicationFactor: number; config: Array<[string, string]> }>,
    validateOnly: boolean,
    timeoutMs: number,
  ): Promise<NativeTopicResult[]>
  deleteTopics(names: string[], timeoutMs: number): Promise<NativeTopicResult[]>
  createPartitions(
    items: Array<{ topic: string; count: number }>,
    validateOnly: boolean,
    timeoutMs: number,
  ): Promise<NativeTopicResult[]>
  listTopics(timeoutMs: number): Promise<string[]>
  metadata(
    topics: string[],
    timeoutMs: number,
  ): Promise<
    Array<{
      topic: string
      error?: Error
      partitions: Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>
    }>
  >
  describeTopics(names: string[], timeoutMs: number): Promise<unknown[]>
  describeCluster(timeoutMs: number): Promise<unknown>
  listGroups(timeoutMs: number): Promise<{ groups: unknown[]; errors: Error[] }>
  describeGroups(ids: string[], timeoutMs: number): Promise<unknown[]>
  deleteGroups(ids: string[], timeoutMs: number): Promise<NativeGroupResult[]>
  /** `offset` holds what to look up: -2 earliest, -1 latest, else a timestamp. */
  listOffsets(partitions: TopicPartitionOffset[], readCommitted: boolean, timeoutMs: number): Promise<unknown[]>
  groupOffsets(
    what: 'list' | 'alter' | 'delete',
    group: string,
    partitions: TopicPartitionOffset[] | null,
    timeoutMs: number,
  ): Promise<NativeGroupResult[]>
  deleteRecords(partitions: TopicPartitionOffset[], timeoutMs: number): Promise<TopicPartitionOffset[]>
  describeConfigs(resources: Array<{ type: number; name: string }>, timeoutMs: number): Promise<unknown[]>
  alterConfigs(
    resources: Array<{ type: number; name: string; ops: Array<[string, number, string | null]> }>,
    validateOnly: boolean,
    timeoutMs: number,
  ): Promise<unknown[]>
  close(timeoutMs: number): Promise<void>
}

export interface NativeTopicResult {
  topic: string
  error?: Error
}

export interface NativeGroupResult {
  groupId: string
  error?: Error
  partitions: TopicPartitionOffset[]
}

export interface NativeMockCluster {
  bootstraps(): string
  createTopic(name: string, partitions: number, replicationFactor: number): void
  setBrokerDown(id: number): void
  setBrokerUp(id: number): void
  pushRequestErrors(apiKey: number, codes: Int32Array): void
  setTopicError(topic: string, errno: number): void
  setGroupInitialRebalanceDelay(ms: number): void
  close(): void
}

export interface Binding {
  Producer: new (config: Record<string, string>, onEvents: DispatchCallback, exitFlushMs: number) => NativeProducer
  Consumer: new (config: Record<string, string>, onWake: () => void) => NativeConsumer
  MockCluster: new (brokers: number) => NativeMockCluster
  Admin: new (config: Record<string, string>) => NativeAdmin
  errorCodes(): Array<[number, string, string, boolean]>
  librdkafkaVersion(): string
  buildInfo(): BuildInfo
  /** native/layout.h's numbers, for the tests to check lib/engines/native/layout.ts against. */
  layouts(): { consumedMeta: Record<string, number>; eventKind: Record<string, number>; nullValue: number }
}

/** How the loaded binary was built: see native/addon.cc BuildInfo. */
export interface BuildInfo {
  /** scripts/fingerprint.js's digest of the native sources and build files it was made from. */
  fingerprint: string
  /** How librdkafka is linked: into the binary (prebuilds) or the system's shared library. */
  linkage: 'static' | 'dynamic'
  librdkafka: string
  /** librdkafka's builtin.features. */
  features: string
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

/** The prebuilt binaries the package carries, as "linux-x64 (glibc)". */
function prebuildsIn(root: string): string[] {
  const out: string[] = []
  const dir = path.join(root, 'prebuilds')
  for (const tuple of existsSync(dir) ? readdirSync(dir).sort() : []) {
    for (const file of readdirSync(path.join(dir, tuple)).sort()) {
      if (!file.endsWith('.node')) continue
      const libc = /\.(glibc|musl)\./.exec(file)?.[1]
      out.push(libc ? `${tuple} (${libc})` : tuple)
    }
  }
  return out
}

const REBUILD = 'Rebuild it here: `npm rebuild turbokafka --build-from-source`.'

const BUILD_FROM_SOURCE =
  'Build from source with `npm rebuild turbokafka --build-from-source`: it needs a C++ compiler, make, python3, pkg-config and ' +
  "librdkafka's development files (Debian/Ubuntu: apt-get install g++ make python3 pkg-config librdkafka-dev; " +
  'Alpine: apk add build-base python3 pkgconf librdkafka-dev; Fedora/RHEL: dnf install gcc-c++ make python3 ' +
  'pkgconf-pkg-config librdkafka-devel).'

/** The C library version this process runs on, when Node knows it (glibc only). */
function glibcVersion(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
  return header?.glibcVersionRuntime
}

/**
 * 'musl' when this Node runs on musl: Node's diagnostic report names a glibc runtime version only
 * on glibc. node-gyp-build only recognises Alpine (by /etc/alpine-release) unless LIBC is set.
 */
function onMusl(): boolean {
  return process.platform === 'linux' && process.report !== undefined && glibcVersion() === undefined
}

/**
 * node-gyp-build, loaded so that it picks the musl prebuild on any musl system: it reads LIBC
 * once, when first loaded, so LIBC is set for that moment only (and only when unset).
 */
function nodeGypBuild(req: NodeJS.Require): { resolve(dir: string): string } {
  const hint = process.env.LIBC === undefined && onMusl()
  if (hint) process.env.LIBC = 'musl'
  try {
    return req('node-gyp-build') as { resolve(dir: string): string }
  } finally {
    if (hint) delete process.env.LIBC
  }
}

/** Turns a loader failure into an explanation of the cause and the fix; the original is the cause. */
export function explainLoadError(err: unknown, root: string, forced?: string, loading?: string): Error {
  const message = err instanceof Error ? err.message : String(err)
  const file = loading ?? /^(\/[^:]+\.node):/.exec(message)?.[1]
  const shown = file && (path.relative(root, file).startsWith('..') ? file : path.relative(root, file))
  const what = shown ? `the native addon ${shown}` : 'the native addon'
  let hint: string
  let m: RegExpExecArray | null
  if (forced !== undefined && /Cannot find module|ENOENT/.test(message)) {
    hint = `${NATIVE_PATH_ENV} points at ${forced}, which does not exist. Unset it to use the package's own binary.`
  } else if ((m = /No native build was found for (.*)/.exec(message))) {
    const tags = Object.fromEntries(m[1].split(' ').map((kv) => kv.split('=') as [string, string]))
    const here = `${tags.platform}-${tags.arch}${tags.libc && tags.platform === 'linux' ? ` (${tags.libc})` : ''}`
    const have = prebuildsIn(root)
    hint =
      `there is no prebuilt binary for ${here} (the package has ${have.length ? have.join(', ') : 'none'}) ` +
      `and no source build in ${path.join(root, 'build')}. ${BUILD_FROM_SOURCE}`
  } else if ((m = /([^\s:/]+\.so[\w.]*): cannot open shared object file/.exec(message))) {
    const lib = m[1]
    const pkg = lib.startsWith('librdkafka')
      ? ' (a source build links the system librdkafka: apt-get install librdkafka1, or rebuild)'
      : ''
    hint = `${what} needs ${lib}, which this system does not have${pkg}. Install the package that provides it, or build from source. ${BUILD_FROM_SOURCE}`
  } else if ((m = /version `(GLIBC_[\d.]+)' not found/.exec(message))) {
    const have = glibcVersion()
    hint =
      `${what} needs ${m[1].replace('_', ' ')} or newer, and this system has ${have ? `glibc ${have}` : 'an older C library'}. ` +
      BUILD_FROM_SOURCE
  } else if ((m = /version `(GLIBCXX_[\d.]+|CXXABI_[\d.]+)' not found/.exec(message))) {
    hint = `${what} needs a newer C++ runtime (${m[1]}) than this system's libstdc++. ${REBUILD}`
  } else if ((m = /undefined symbol: (\S+)/.exec(message))) {
    hint =
      m[1].startsWith('napi_') || m[1].startsWith('node_api_')
        ? `${what} needs a Node-API function (${m[1]}) this Node.js lacks: use Node.js 18 or newer.`
        : `${what} does not match the libraries it was built against (undefined symbol ${m[1]}): an ABI mismatch, ` +
          `usually a source build run against a different librdkafka. ${REBUILD}`
  } else if (
    /invalid ELF header|wrong ELF class|file too short|ELF file's (OS ABI|machine)|not a dynamic executable|Exec format error/.test(
      message,
    )
  ) {
    hint =
      `${what} is not a binary for ${process.platform}-${process.arch} (wrong format, or damaged). ` +
      'Reinstall the package; if it came from a git checkout, make sure the prebuilds/ files are the real binaries.'
  } else if (/NODE_MODULE_VERSION|did not self-register/.test(message)) {
    hint = `${what} was built for a different Node.js ABI. ${REBUILD}`
  } else {
    hint = `${what} failed to load.`
  }
  return new Error(`turbokafka: ${hint}\n  loader said: ${message.trim()}`, { cause: err })
}

/**
 * Loads the addon of the package at `root`: the file `forced` names, else what node-gyp-build
 * picks (build/Release, then the matching prebuild). Throws the explanation when it cannot.
 */
export function loadAddon(root: string, forced?: string): { addon: Binding; file: string } {
  let file: string | undefined
  try {
    const req = createRequire(__filename)
    file = forced !== undefined ? path.resolve(forced) : nodeGypBuild(req).resolve(root)
    return { addon: req(file) as Binding, file }
  } catch (err) {
    throw explainLoadError(err, root, forced, file)
  }
}

let cached: Binding | undefined
let loadedFile: string | undefined
let loadedLinkage: BuildInfo['linkage'] | undefined
let failure: Error | undefined

/**
 * Loads the addon once (prebuilds/ first, then build/, or the file named by
 * TURBOKAFKA_NATIVE_PATH). Throws an explanation when it cannot, and the same one on every later
 * call.
 */
export function binding(): Binding {
  if (cached) return cached
  if (failure) throw failure
  try {
    const loaded = loadAddon(packageRoot(), process.env[NATIVE_PATH_ENV] || undefined)
    loadedFile = loaded.file
    cached = loaded.addon
    return cached
  } catch (err) {
    failure = err as Error
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

/** The path of the loaded addon file (loads it if needed). */
export function bindingFile(): string {
  binding()
  return loadedFile as string
}

/** How the loaded binary links librdkafka: asked once, it cannot change. */
function linkageOfLoaded(): BuildInfo['linkage'] {
  return (loadedLinkage ??= binding().buildInfo().linkage)
}

const CA_KEYS = ['ssl.ca.location', 'ssl.ca.pem', 'ssl.ca.certificate.stores']

/**
 * The librdkafka configuration a native client gets. The prebuilt binary carries its own OpenSSL,
 * whose default CA folder is the build machine's (/usr/lib/ssl), absent on Fedora, RHEL and
 * Alpine. So where TLS is on and no CA is configured, it asks librdkafka to probe the standard
 * locations instead, as librdkafka does by itself when built with a static OpenSSL.
 */
export function nativeConfig(conf: Record<string, string>, linkage = linkageOfLoaded()): Record<string, string> {
  const protocol = (conf['security.protocol'] ?? '').toLowerCase()
  const tls = protocol === 'ssl' || protocol === 'sasl_ssl'
  if (linkage !== 'static' || !tls || CA_KEYS.some((k) => conf[k] !== undefined)) return conf
  return { ...conf, 'ssl.ca.location': 'probe' }
}
