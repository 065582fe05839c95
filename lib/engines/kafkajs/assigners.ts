// librdkafka's (and Java's) `range` and `roundrobin` assignors as kafkajs partition assigners,
// under the same protocol names, so native and kafkajs consumers can share one group.
import type { Assigner, GroupMember, GroupMemberAssignment, PartitionAssigner } from 'kafkajs'

import { kafkajs } from '../../engine'

type Plan = Map<string, Record<string, number[]>>

function assigner(
  name: 'range' | 'roundrobin',
  plan: (members: Map<string, Set<string>>, partitions: (topic: string) => number[]) => Plan,
): PartitionAssigner {
  return ({ cluster }) => {
    const { AssignerProtocol } = kafkajs()
    const self: Assigner = {
      name,
      version: 0,
      async assign({ members }: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]> {
        const subscriptions = new Map<string, Set<string>>()
        for (const m of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
          subscriptions.set(m.memberId, new Set(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? []))
        }
        const partitions = (topic: string) =>
          cluster
            .findTopicPartitionMetadata(topic)
            .map((p) => p.partitionId)
            .sort((a, b) => a - b)
        const result = plan(subscriptions, partitions)
        return [...subscriptions.keys()].map((memberId) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 0,
            assignment: result.get(memberId) ?? {},
            userData: Buffer.alloc(0),
          }),
        }))
      },
      protocol({ topics }) {
        return {
          name,
          metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
        }
      },
    }
    return self
  }
}

function topicsOf(members: Map<string, Set<string>>): string[] {
  const all = new Set<string>()
  for (const topics of members.values()) for (const t of topics) all.add(t)
  return [...all].sort()
}

function give(plan: Plan, member: string, topic: string, partition: number): void {
  let mine = plan.get(member)
  if (mine === undefined) plan.set(member, (mine = {}))
  ;(mine[topic] ??= []).push(partition)
}

/** Per topic, consecutive ranges of partitions to the subscribed members in member id order. */
export const rangeAssigner = assigner('range', (members, partitions) => {
  const plan: Plan = new Map()
  for (const topic of topicsOf(members)) {
    const takers = [...members.keys()].filter((m) => members.get(m)!.has(topic))
    const parts = partitions(topic)
    const each = Math.floor(parts.length / takers.length)
    const extra = parts.length % takers.length
    let at = 0
    takers.forEach((member, i) => {
      const n = each + (i < extra ? 1 : 0)
      for (const p of parts.slice(at, at + n)) give(plan, member, topic, p)
      at += n
    })
  }
  return plan
})

/** Every topic's partitions in turn to the next member subscribed to that topic. */
export const roundRobinAssigner = assigner('roundrobin', (members, partitions) => {
  const plan: Plan = new Map()
  const ids = [...members.keys()]
  let next = 0
  for (const topic of topicsOf(members)) {
    for (const p of partitions(topic)) {
      for (let tries = 0; tries < ids.length; tries++) {
        const member = ids[next++ % ids.length]!
        if (members.get(member)!.has(topic)) {
          give(plan, member, topic, p)
          break
        }
      }
    }
  }
  return plan
})
