// KIP-848's consumer group protocol (`group.protocol: 'consumer'`): the broker computes the
// assignment and hands it out incrementally, so members keep their partitions while others join
// and leave. The same assertions against the mock cluster (test/consumer.test.ts) and Apache
// Kafka (test/broker/kip848.test.ts).
import { describe, expect, it } from 'vitest'

import { Consumer, type ConsumedMessage, type RebalanceEvent } from '../lib/index'
import { uniqueTopic } from './helpers'

export interface Kip848Target {
  servers: () => string
  createTopic: (topic: string, partitions: number) => Promise<void>
  produce: (topic: string, messages: Array<{ value: string; partition: number }>) => Promise<void>
}

interface Member {
  consumer: Consumer
  events: RebalanceEvent[]
  read: ConsumedMessage[]
}

function member(t: Kip848Target, group: string, topic: string): Member {
  const consumer = new Consumer({
    'bootstrap.servers': t.servers(),
    'group.id': group,
    'group.protocol': 'consumer',
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'fetch.wait.max.ms': 100,
  })
  const m: Member = { consumer, events: [], read: [] }
  consumer.on('rebalance', (e) => m.events.push(e))
  consumer.subscribe([topic])
  return m
}

const held = (m: Member) =>
  m.consumer
    .assignment()
    .map((tp) => tp.partition)
    .sort((a, b) => a - b)

/** Polls every member until `done` holds (bounded: fails after `timeoutMs`). */
async function pollUntil(members: Member[], done: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms (held: ${members.map((m) => `[${held(m)}]`).join(' ')})`)
    for (const m of members) m.read.push(...(await m.consumer.consumeBatch(1000, 50)))
  }
}

/**
 * The group has settled on a split of `partitions`: every member holds some, no partition twice,
 * and the counts differ by at most one (both the mock's range assignor and Kafka's uniform one
 * balance so). A bare "the counts add up" also holds midway, while one member still waits to
 * revoke what another already took, and the revocation that follows would be misread as a
 * later step's.
 */
function settled(members: Member[], partitions: number): boolean {
  const counts = members.map((m) => held(m).length)
  const all = new Set(members.flatMap(held))
  return (
    Math.min(...counts) > 0 &&
    Math.max(...counts) - Math.min(...counts) <= 1 &&
    all.size === partitions &&
    counts.reduce((x, y) => x + y, 0) === partitions
  )
}

/** Every partition this member ever had revoked, since event `from`. */
const revokedSince = (m: Member, from: number) =>
  m.events
    .slice(from)
    .filter((e) => e.type === 'revoke')
    .flatMap((e) => e.partitions.map((tp) => tp.partition))

/** Nothing revoked since event `from` is held now: what a member kept, it kept throughout. */
function expectKept(m: Member, from: number): void {
  const revoked = revokedSince(m, from)
  expect(held(m).filter((p) => revoked.includes(p))).toEqual([])
}

export function kip848Suite(where: string, t: Kip848Target): void {
  describe(`KIP-848 consumer group protocol, ${where}`, () => {
    it('hands partitions over incrementally: members keep theirs while a second and a third join and leave', async () => {
      const topic = uniqueTopic('kip848-split')
      await t.createTopic(topic, 6)
      const group = uniqueTopic('g848')
      const a = member(t, group, topic)
      await pollUntil([a], () => held(a).length === 6, 'a alone gets every partition')

      const b = member(t, group, topic)
      const aMark = a.events.length
      await pollUntil([a, b], () => settled([a, b], 6), 'a and b split')
      // a gave up only what b now has: nothing it kept was revoked and handed back.
      expect(revokedSince(a, aMark).sort()).toEqual(held(b))
      expect(new Set([...held(a), ...held(b)]).size).toBe(6)

      const c = member(t, group, topic)
      const marks = [a.events.length, b.events.length]
      await pollUntil([a, b, c], () => settled([a, b, c], 6), 'a, b and c split')
      // The broker may also move a partition between a and b to even the load, but a member never
      // has a partition revoked that it holds afterwards (the classic eager protocol revokes all
      // and assigns anew), and c got only what others gave up.
      for (const [i, m] of [a, b].entries()) expectKept(m, marks[i]!)
      for (const p of held(c)) expect([...revokedSince(a, marks[0]!), ...revokedSince(b, marks[1]!)]).toContain(p)

      // c leaves: a and b take its partitions over, again without revoking what they keep.
      const before = [a.events.length, b.events.length]
      await c.consumer.close()
      await pollUntil([a, b], () => settled([a, b], 6), 'a and b take over what c held')
      expect(new Set([...held(a), ...held(b)]).size).toBe(6)
      for (const [i, m] of [a, b].entries()) expectKept(m, before[i]!)
      for (const m of [a, b]) expect(new Set(m.events.map((e) => e.protocol))).toEqual(new Set(['COOPERATIVE']))
      await Promise.all([a.consumer.close(), b.consumer.close()])
    })

    it('commits offsets, and a member that joins later resumes at them', async () => {
      const topic = uniqueTopic('kip848-commit')
      await t.createTopic(topic, 2)
      await t.produce(
        topic,
        Array.from({ length: 200 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })),
      )
      const group = uniqueTopic('g848')
      const first = member(t, group, topic)
      await pollUntil([first], () => first.read.length >= 200, 'first reads everything')
      await first.consumer.commit([
        { topic, partition: 0, offset: 60 },
        { topic, partition: 1, offset: 70 },
      ])
      expect(await first.consumer.committed()).toEqual([
        { topic, partition: 0, offset: 60 },
        { topic, partition: 1, offset: 70 },
      ])
      await first.consumer.close()

      const second = member(t, group, topic)
      await pollUntil([second], () => second.read.length >= 70, 'second reads from the committed offsets')
      for (const [partition, from] of [
        [0, 60],
        [1, 70],
      ] as const) {
        expect(second.read.filter((m) => m.partition === partition).map((m) => m.offset)).toEqual(
          Array.from({ length: 100 - from }, (_, i) => from + i),
        )
      }
      await second.consumer.close()
    })
  })
}
