import { spawnSync } from 'node:child_process'
import { readFileSync, existsSync } from 'node:fs'
import path from 'node:path'

import { Admin } from '../../lib/index'

export interface BrokerInfo {
  id: number
  pid: number
  port: number
}
export interface ClusterInfo {
  name: string
  bootstrapServers: string
  brokers: BrokerInfo[]
}

const root = path.join(__dirname, '..', '..')

function fromFile(name: string): ClusterInfo | undefined {
  const file = path.join(root, '.kafka', name, 'cluster.json')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo) : undefined
}

/** The single-broker cluster: TURBOKAFKA_BROKERS, else the one `npm run kafka:start` started. */
export function single(): { bootstrapServers: string } {
  const env = process.env.TURBOKAFKA_BROKERS
  if (env) return { bootstrapServers: env }
  const c = fromFile('single')
  if (!c) throw new Error('no Kafka broker: run `npm run kafka:start` first, or set TURBOKAFKA_BROKERS')
  return c
}

/** The three-broker cluster started by `npm run kafka:start -- --brokers 3 --name trio`. */
export function trio(): ClusterInfo {
  const c = fromFile('trio')
  if (!c || c.brokers.length !== 3) {
    throw new Error('no three-broker cluster: run `npm run kafka:start -- --brokers 3 --name trio` first')
  }
  return c
}

/**
 * SIGKILLs a broker and waits (10 s at most) until its process is gone, so that a restart right
 * after does not take it for running.
 */
export async function killBroker(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL')
  const gone = () => {
    try {
      process.kill(pid, 0)
    } catch {
      return true
    }
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z' // killed, not yet collected
    } catch {
      return true
    }
  }
  for (const until = Date.now() + 10_000; !gone() && Date.now() < until;) await new Promise((r) => setTimeout(r, 20))
}

/**
 * Starts again any broker of cluster `name` a test killed (`npm run kafka:restart`), then waits
 * until every broker is registered and every partition has all its replicas in sync: a test that
 * kills a broker of a cluster an earlier test left short (a crash before its afterAll) would
 * otherwise find too few replicas for min.insync.replicas.
 */
export async function restartDead(name: string): Promise<void> {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'kafka.js'), 'restart', '--name', name], {
    encoding: 'utf8',
    timeout: 120_000,
  })
  if (r.status !== 0) throw new Error(`kafka.js restart --name ${name} failed: ${r.stderr}`)
  console.log(r.stderr.trim()) // what was started again, in the run's log
  const c = fromFile(name)!
  const admin = new Admin({ 'bootstrap.servers': c.bootstrapServers })
  let state = ''
  try {
    for (const until = Date.now() + 120_000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
      const { brokers } = await admin.describeCluster().catch(() => ({ brokers: [] }))
      const topics = await admin.listTopics().catch(() => undefined)
      const described =
        topics === undefined
          ? undefined
          : topics.length === 0
            ? []
            : await admin.describeTopics(topics).catch(() => undefined)
      const short = (described ?? []).flatMap((t) =>
        t.partitions.filter((p) => p.isr.length < p.replicas.length).map((p) => `${t.topic}[${p.partition}]`),
      )
      state = `${brokers.length} of ${c.brokers.length} brokers, ${short.length} partitions short of replicas`
      if (brokers.length === c.brokers.length && described !== undefined && short.length === 0) return
    }
    throw new Error(`cluster ${name} not healthy after a restart: ${state}`)
  } finally {
    await admin.close()
  }
}

export async function createTopic(
  bootstrapServers: string,
  topic: string,
  partitions: number,
  replicationFactor = 1,
  config: Record<string, string> = {},
): Promise<void> {
  const admin = new Admin({ 'bootstrap.servers': bootstrapServers })
  // Tests write fixed timestamps from years ago (so that they can check them), which the broker's
  // 7-day time retention may delete from under them as soon as its first pass runs, 30 s after it
  // starts (seen once: a consumer's earliest offset of a partition jumped to 67,725 mid-test).
  // Their topics keep everything unless a test says otherwise.
  try {
    const [created] = await admin.createTopics([
      { topic, partitions, replicationFactor, config: { 'retention.ms': '-1', ...config } },
    ])
    if (created!.error) throw created!.error
  } finally {
    await admin.close()
  }
}

/** Sum of the end offsets of every partition of `topic`. */
export async function endOffsetTotal(bootstrapServers: string, topic: string): Promise<number> {
  const admin = new Admin({ 'bootstrap.servers': bootstrapServers })
  try {
    const [d] = await admin.describeTopics([topic])
    if (d!.error) throw d!.error
    const ends = await admin.listOffsets(d!.partitions.map(({ partition }) => ({ topic, partition, at: 'latest' })))
    return ends.reduce((n, o) => n + o.offset, 0)
  } finally {
    await admin.close()
  }
}
