// What both engines use: the connect check and the key of a topic partition.
import type { TopicDescription } from '../admin-types'
import { KafkaError } from '../errors'

/** A Map key for a topic partition. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/** A metadata round trip through `ping`; a failure says the cluster could not be reached, and why. */
export async function reachCluster(ping: (timeoutMs: number) => Promise<unknown>, timeoutMs: number): Promise<void> {
  try {
    await ping(timeoutMs)
  } catch (err) {
    const e = KafkaError.from(err)
    throw new KafkaError(`could not reach the cluster within ${timeoutMs} ms: ${e.message}`, {
      code: e.code,
      errno: e.errno,
      retriable: e.retriable,
      cause: err,
    })
  }
}

/**
 * `answers` in the order of `asked`, matched by key. An item the cluster did not answer for gets
 * `missing(item)` with a `_FAIL` error (an engine's answers cover every item; this is the guard).
 */
export function inOrder<A, R extends { error?: KafkaError }>(
  asked: readonly A[],
  answers: readonly R[],
  askedKey: (a: A) => string,
  answerKey: (r: R) => string,
  missing: (a: A) => R,
): R[] {
  const byKey = new Map(answers.map((r) => [answerKey(r), r]))
  return asked.map((a) => {
    const found = byKey.get(askedKey(a))
    if (found !== undefined) return found
    return { ...missing(a), error: new KafkaError(`the cluster gave no answer for ${askedKey(a)}`, { code: '_FAIL' }) }
  })
}

/** Every topic described without error, with partitions, each of them with a leader. */
export function allLed(described: TopicDescription[]): boolean {
  return described.every(
    (d) => d.error === undefined && d.partitions.length > 0 && d.partitions.every((p) => p.leader >= 0),
  )
}

/**
 * Waits (until `deadline` at most, backing off from 10 to 200 ms) for `ready(timeoutMs)`: after
 * creating topics, for the brokers' metadata to show a leader for every new partition. The
 * controller answers a creation before every broker knows of it, and a produce, listOffsets or
 * describe sent at once could still find none.
 */
export async function settleWithin(ready: (timeoutMs: number) => Promise<boolean>, deadline: number): Promise<void> {
  for (let wait = 10; Date.now() < deadline; wait = Math.min(wait * 2, 200)) {
    if (await ready(Math.max(1, deadline - Date.now())).catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, wait))
  }
}
