// What both engines use: the connect check and the key of a topic partition.
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
