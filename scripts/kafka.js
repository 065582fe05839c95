#!/usr/bin/env node
// Runs real Apache Kafka brokers (KRaft, combined broker+controller nodes) on 127.0.0.1 for tests
// and benchmarks, from Kafka's jars on Maven Central. No Docker, no Kafka installation.
//
//   node scripts/kafka.js start  [--brokers N] [--name NAME] [--version V] [--auto-create]
//   node scripts/kafka.js stop   [--name NAME]
//   node scripts/kafka.js status [--name NAME]
//
// Jars are cached in $TURBOKAFKA_CACHE (default ~/.cache/turbokafka) and reused; each cluster
// lives in .kafka/<name>/ (default name "single"; outside build/, which node-gyp rebuild wipes), and its cluster.json there holds the
// bootstrap servers, ports and process ids that tests and the benchmark read.
'use strict'
const { spawn, spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { parseArgs } = require('node:util')

const root = path.join(__dirname, '..')
const DEFAULT_VERSION = '4.1.1'
const LOG4J_VERSION = '2.24.3'
const START_TIMEOUT_MS = 120_000
const STOP_GRACE_MS = 30_000

class UserError extends Error {}

function fail(message) {
  throw new UserError(message)
}

function clusterDir(name) {
  return path.join(root, '.kafka', name)
}

function cacheDir() {
  return process.env.TURBOKAFKA_CACHE || path.join(os.homedir(), '.cache', 'turbokafka')
}

/** Reads .kafka/<name>/cluster.json, or undefined when no such cluster was started. */
function readCluster(name) {
  const file = path.join(clusterDir(name), 'cluster.json')
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined
}

/** A running process: signalable and not a zombie (killed, its exit not yet collected by its parent). */
function alive(pid) {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; the command may hold spaces and parentheses.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc to ask: signalable is all we know
  }
}

function checkJava() {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' })
  if (r.error)
    fail('java is not installed. Kafka 4.1 needs Java 17 or later (Debian: apt-get install openjdk-17-jre-headless).')
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr)
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN
  if (!(major >= 17)) fail(`Kafka 4.1 needs Java 17 or later; \`java -version\` says:\n${r.stderr.trim()}`)
}

/** Kafka's broker jars and a logging binding, resolved with Maven once and cached. */
function resolveJars(version) {
  const dir = path.join(cacheDir(), `kafka-${version}`)
  const libs = path.join(dir, 'libs')
  if (fs.existsSync(path.join(libs, `kafka_2.13-${version}.jar`))) return libs
  if (spawnSync('mvn', ['-v'], { encoding: 'utf8' }).error) {
    fail("Maven (mvn) is not installed; it resolves Kafka's jars (Debian: apt-get install maven).")
  }
  fs.mkdirSync(dir, { recursive: true })
  // kafka_2.13's pom brings the broker modules; the binary distribution adds a log4j binding.
  const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>turbokafka.local</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${LOG4J_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>${LOG4J_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${LOG4J_VERSION}</version></dependency>
  </dependencies>
</project>
`
  fs.writeFileSync(path.join(dir, 'pom.xml'), pom)
  const tmp = `${libs}.partial`
  fs.rmSync(tmp, { recursive: true, force: true })
  console.error(`kafka: resolving Apache Kafka ${version} jars with Maven into ${libs} (first run only)`)
  const r = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      path.join(dir, 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${tmp}`,
    ],
    { encoding: 'utf8' },
  )
  if (r.status !== 0) fail(`Maven could not resolve Kafka ${version}:\n${(r.stdout + r.stderr).trim()}`)
  fs.renameSync(tmp, libs)
  return libs
}

/** Ports nothing listens on right now, chosen by the kernel. */
async function freePorts(count) {
  const servers = []
  try {
    for (let i = 0; i < count; i++) {
      const s = net.createServer()
      await new Promise((resolve, reject) => {
        s.once('error', reject)
        s.listen(0, '127.0.0.1', () => resolve(undefined))
      })
      servers.push(s)
    }
    return servers.map((s) => /** @type {import('node:net').AddressInfo} */ (s.address()).port)
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  }
}

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function kraftClusterId() {
  // Kafka's Uuid as base64url; ids starting with '-' are awkward on command lines.
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

function properties(node, nodes, dir, options) {
  const n = nodes.length
  const rf = Math.min(3, n)
  const isr = Math.min(2, n)
  return [
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${nodes.map((x) => `${x.id}@127.0.0.1:${x.controllerPort}`).join(',')}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${path.join(dir, 'data')}`,
    'num.partitions=1',
    `auto.create.topics.enable=${options.autoCreate}`,
    `offsets.topic.replication.factor=${rf}`,
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${isr}`,
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${isr}`,
    'group.initial.rebalance.delay.ms=0',
    // With several nodes, notice a dead broker in seconds rather than Kafka's 9 s / 30 s defaults,
    // so failover tests take seconds. Values a production cluster might choose too.
    ...(n > 1
      ? ['broker.session.timeout.ms=4000', 'broker.heartbeat.interval.ms=500', 'replica.lag.time.max.ms=6000']
      : []),
    '',
  ].join('\n')
}

function log4jConfig(dir) {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = FILE',
    `appender.file.fileName = ${path.join(dir, 'server.log')}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = FILE',
    '',
  ].join('\n')
}

function tail(file, lines = 40) {
  if (!fs.existsSync(file)) return '(no log)'
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
}

/** A metadata request answered by every broker: the strongest readiness check short of producing. */
async function metadataReady(bootstrapServers, expectedBrokers) {
  let Admin
  try {
    ;({ Admin } = require('../dist/cjs/index.js'))
  } catch {
    return true // not built yet (npm run build:ts): the TCP check has to do
  }
  const admin = new Admin({ 'bootstrap.servers': bootstrapServers })
  try {
    const { brokers } = await admin.describeCluster({ timeoutMs: 5000 })
    return brokers.length === expectedBrokers
  } catch {
    return false
  } finally {
    await admin.close()
  }
}

/** The nodes of a new cluster in `dir`: ids, a client and a controller port each, and their folders. */
async function planNodes(count, dir) {
  const ports = await freePorts(count * 2)
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    port: ports[2 * i],
    controllerPort: ports[2 * i + 1],
    dir: path.join(dir, `node-${i + 1}`),
    /** @type {number | undefined} the broker's process, once started */
    pid: undefined,
  }))
}

/** Formats every node's KRaft storage (in parallel: each is a JVM start). */
async function formatStorage(nodes, classpath) {
  const clusterId = kraftClusterId()
  const format = (node) =>
    new Promise((resolve, reject) => {
      const config = path.join(node.dir, 'server.properties')
      const args = ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config]
      const p = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      p.stdout.on('data', (d) => (out += d))
      p.stderr.on('data', (d) => (out += d))
      p.on('exit', (code) =>
        code === 0 ? resolve() : reject(new UserError(`formatting node ${node.id} failed:\n${out.trim()}`)),
      )
    })
  await Promise.all(nodes.map(format))
}

/** Starts each node's broker JVM, detached, its output in the node's stdout.log. */
function launchNodes(nodes, classpath) {
  const heap = nodes.length > 1 ? '512m' : '1g'
  for (const node of nodes) {
    const out = fs.openSync(path.join(node.dir, 'stdout.log'), 'a')
    const args = [
      `-Xmx${heap}`,
      `-Xms${heap}`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${path.join(node.dir, 'log4j2.properties')}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      path.join(node.dir, 'server.properties'),
    ]
    const child = spawn('java', args, { detached: true, stdio: ['ignore', out, out] })
    child.unref()
    node.pid = child.pid
  }
}

/**
 * Ready when every client port is bound (Kafka binds it once the broker is caught up and
 * unfenced) and a metadata request sees every broker. Fails fast if a JVM exits.
 */
async function waitReady(nodes, bootstrapServers) {
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    for (const node of nodes) {
      if (alive(node.pid)) continue
      const log = path.join(node.dir, 'server.log')
      const why = /Address already in use/.test(tail(log, 200))
        ? ' (a port was taken between choosing it and binding it; start again)'
        : ''
      stopNodes(nodes, 0)
      const stdout = tail(path.join(node.dir, 'stdout.log'), 20)
      fail(
        `broker ${node.id} exited during start${why}. Last lines of ${log}:\n${tail(log)}\n--- stdout.log:\n${stdout}`,
      )
    }
    const open = await Promise.all(nodes.map((n) => portOpen(n.port)))
    if (open.every(Boolean) && (await metadataReady(bootstrapServers, nodes.length))) return
    if (Date.now() > deadline) {
      stopNodes(nodes, 0)
      const log = path.join(nodes[0].dir, 'server.log')
      fail(`the cluster was not ready within ${START_TIMEOUT_MS / 1000} s. Last lines of ${log}:\n${tail(log)}`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
}

async function start(options) {
  const existing = readCluster(options.name)
  if (existing && existing.brokers.some((b) => alive(b.pid))) {
    const stop = `npm run kafka:stop -- --name ${options.name}`
    fail(`cluster "${options.name}" is already running at ${existing.bootstrapServers} (stop it with: ${stop})`)
  }
  checkJava()
  const classpath = path.join(resolveJars(options.version), '*')
  const dir = clusterDir(options.name)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })

  const nodes = await planNodes(options.brokers, dir)
  for (const node of nodes) {
    fs.mkdirSync(node.dir, { recursive: true })
    fs.writeFileSync(path.join(node.dir, 'server.properties'), properties(node, nodes, node.dir, options))
    fs.writeFileSync(path.join(node.dir, 'log4j2.properties'), log4jConfig(node.dir))
  }
  await formatStorage(nodes, classpath)
  launchNodes(nodes, classpath)
  const bootstrapServers = nodes.map((n) => `127.0.0.1:${n.port}`).join(',')
  const cluster = {
    name: options.name,
    version: options.version,
    bootstrapServers,
    brokers: nodes,
    startedAt: new Date().toISOString(),
  }
  fs.writeFileSync(path.join(dir, 'cluster.json'), JSON.stringify(cluster, null, 2))
  await waitReady(nodes, bootstrapServers)
  const where = `cluster "${options.name}", ${dir}`
  console.error(`kafka: ${options.brokers} broker(s) of Apache Kafka ${options.version} ready (${where})`)
  console.log(bootstrapServers)
}

/**
 * Starts again the brokers of cluster `name` that are not running (killed by a test, say), on
 * their own storage and ports, and waits until the whole cluster answers.
 */
async function restart(options) {
  const cluster = readCluster(options.name)
  if (!cluster) fail(`no cluster "${options.name}" (start it with: npm run kafka:start -- --name ${options.name})`)
  const dead = cluster.brokers.filter((b) => !alive(b.pid))
  if (dead.length > 0) {
    checkJava()
    launchNodes(dead, path.join(resolveJars(cluster.version), '*'))
    fs.writeFileSync(path.join(clusterDir(options.name), 'cluster.json'), JSON.stringify(cluster, null, 2))
    await waitReady(cluster.brokers, cluster.bootstrapServers)
  }
  console.error(`kafka: cluster "${options.name}": ${dead.length} broker(s) started again, all running`)
}

/** SIGTERM (controlled shutdown), then SIGKILL whatever is still running after `graceMs`. */
function stopNodes(nodes, graceMs) {
  for (const n of nodes) if (n.pid && alive(n.pid)) process.kill(n.pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline && nodes.some((n) => n.pid && alive(n.pid))) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
  }
  for (const n of nodes) if (n.pid && alive(n.pid)) process.kill(n.pid, 'SIGKILL')
}

function stop(options) {
  const cluster = readCluster(options.name)
  if (!cluster) {
    console.error(`kafka: no cluster "${options.name}" to stop`)
    return
  }
  stopNodes(cluster.brokers, STOP_GRACE_MS)
  fs.rmSync(clusterDir(options.name), { recursive: true, force: true })
  console.error(`kafka: cluster "${options.name}" stopped`)
}

async function status(options) {
  const cluster = readCluster(options.name)
  if (!cluster) {
    console.log(`cluster "${options.name}": not started`)
    process.exitCode = 1
    return
  }
  console.log(`cluster "${options.name}": Apache Kafka ${cluster.version}, bootstrap ${cluster.bootstrapServers}`)
  let up = 0
  for (const b of cluster.brokers) {
    const ok = alive(b.pid) && (await portOpen(b.port))
    if (ok) up++
    console.log(
      `  broker ${b.id}: pid ${b.pid} ${alive(b.pid) ? 'running' : 'gone'}, port ${b.port} ${ok ? 'open' : 'closed'}`,
    )
  }
  if (up < cluster.brokers.length) process.exitCode = 1
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      brokers: { type: 'string', default: '1' },
      name: { type: 'string', default: 'single' },
      version: { type: 'string', default: DEFAULT_VERSION },
      'auto-create': { type: 'boolean', default: false },
    },
  })
  const command = positionals[0]
  const brokers = Number(values.brokers)
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9)
    fail(`--brokers must be an integer from 1 to 9 (got ${values.brokers})`)
  if (!/^[\w-]+$/.test(values.name)) fail(`--name may hold letters, digits, - and _ only (got ${values.name})`)
  const options = { brokers, name: values.name, version: values.version, autoCreate: values['auto-create'] }
  if (command === 'start') await start(options)
  else if (command === 'stop') stop(options)
  else if (command === 'status') await status(options)
  else if (command === 'restart') await restart(options)
  else fail('usage: kafka.js start|stop|status|restart [--brokers N] [--name NAME] [--version V] [--auto-create]')
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof UserError ? `kafka: ${err.message}` : err)
    process.exit(1)
  })
}

module.exports = { readCluster, clusterDir }
