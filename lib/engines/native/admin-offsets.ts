// The native admin engine's listOffsets: librdkafka's ListOffsets, answered per partition even
// where librdkafka fails a whole request for one partition or answers one with nothing.
import type { ListedOffset } from '../../admin-types'
import type { NativeAdmin, TopicPartitionOffset } from '../../binding'
import { KafkaError } from '../../errors'
import { inOrder, partitionKey } from '../shared'

/** Failures that say nothing about one partition: the request as a whole could not be served. */
const WHOLE_REQUEST_FAILURES = new Set([
  '_TIMED_OUT',
  '_TRANSPORT',
  '_ALL_BROKERS_DOWN',
  '_DESTROY',
  '_STATE',
  '_NOT_IMPLEMENTED',
  '_INVALID_ARG',
])
/** librdkafka's "no offset" (RD_KAFKA_OFFSET_INVALID): never a real answer to a ListOffsets query. */
const INVALID_OFFSET = -1001

const tpKey = (p: { topic: string; partition: number }) => partitionKey(p.topic, p.partition)

/** One ListOffsets request's answers, in the order asked. */
async function once(
  admin: NativeAdmin,
  queries: TopicPartitionOffset[],
  readCommitted: boolean,
  timeoutMs: number,
): Promise<ListedOffset[]> {
  let raw: Array<Record<string, unknown>>
  try {
    raw = (await admin.listOffsets(queries, readCommitted, timeoutMs)) as Array<Record<string, unknown>>
  } catch (err) {
    // One partition without a leader (or that does not exist) fails librdkafka's whole request:
    // ask for each partition alone, so that only that one carries the error.
    const error = KafkaError.from(err)
    if (WHOLE_REQUEST_FAILURES.has(error.code)) throw error
    if (queries.length === 1)
      return [{ topic: queries[0]!.topic, partition: queries[0]!.partition, offset: -1, timestamp: -1, error }]
    return (await Promise.all(queries.map((q) => once(admin, [q], readCommitted, timeoutMs)))).flat()
  }
  const answers: ListedOffset[] = raw.map((r) => {
    const out: ListedOffset = { topic: r.topic as string, partition: r.partition as number, offset: -1, timestamp: -1 }
    if (r.error !== undefined) return { ...out, error: KafkaError.from(r.error) }
    return { ...out, offset: r.offset as number, timestamp: r.timestamp as number }
  })
  return inOrder<TopicPartitionOffset, ListedOffset>(queries, answers, tpKey, tpKey, ({ topic, partition }) => ({
    topic,
    partition,
    offset: -1,
    timestamp: -1,
  }))
}

/** Partition errors that a moment later, with the leaders learned again, usually clear. */
const TRANSIENT = new Set(['NOT_LEADER_OR_FOLLOWER', 'NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', '_TRANSPORT'])

/**
 * Each query's offset. Partitions answered with a transient error (a leader moved or went down)
 * are asked again after a metadata request, backing off from 50 ms to 1 s, within the
 * timeout. A partition whose leader's broker went down (and librdkafka has not yet learned
 * otherwise) comes back with no offset and no error once the request timeout passes (seen on
 * three brokers, 2.15.1): it gets LEADER_NOT_AVAILABLE (retriable) instead of passing for an answer.
 */
export async function listOffsets(
  admin: NativeAdmin,
  queries: TopicPartitionOffset[],
  readCommitted: boolean,
  timeoutMs: number,
): Promise<ListedOffset[]> {
  const deadline = Date.now() + timeoutMs
  const answers = (await once(admin, queries, readCommitted, timeoutMs)).map(noOffsetAsError)
  const transient = () => answers.flatMap((a, i) => (a.error !== undefined && TRANSIENT.has(a.error.code) ? [i] : []))
  for (let wait = 50; transient().length > 0 && Date.now() + wait < deadline; wait = Math.min(wait * 2, 1000)) {
    const again = transient()
    await new Promise((resolve) => setTimeout(resolve, wait))
    // A metadata request of the handle's own refreshes the leaders librdkafka knows.
    await admin.listTopics(Math.max(1, deadline - Date.now())).catch(() => [])
    const left = Math.max(1, deadline - Date.now())
    const answered = await once(
      admin,
      again.map((i) => queries[i]!),
      readCommitted,
      left,
    )
    again.forEach((i, j) => (answers[i] = noOffsetAsError(answered[j]!)))
  }
  return answers
}

function noOffsetAsError(a: ListedOffset): ListedOffset {
  if (a.error !== undefined || a.offset !== INVALID_OFFSET) return a
  const error = new KafkaError(`no offset for ${a.topic} [${a.partition}]: its leader is not available`, {
    code: 'LEADER_NOT_AVAILABLE',
    errno: 5,
    retriable: true,
  })
  return { topic: a.topic, partition: a.partition, offset: -1, timestamp: -1, error }
}
