// What the producer and the consumer share: argument checks, the connect check, and the release
// of native clients left open at process exit.
import { describe } from './config'
import { invalidArg, KafkaError } from './errors'

/** The largest timeout librdkafka takes (an int of milliseconds). */
export const MAX_MS = 2 ** 31 - 1

export function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalidArg(`${name} must be an integer from ${min} to ${max} (got ${describe(v)})`)
  }
  return v
}

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

interface Tracked {
  ref: WeakRef<object>
  release: (native: never) => void
}

/**
 * Native clients still open, held weakly. On process.exit() or an uncaught exception Node exits
 * without running native cleanup hooks (measured), so one 'exit' listener releases them
 * synchronously. The native objects are tracked, not the TypeScript clients: an app may drop a
 * Producer whose batches are in flight, and the Producer may be collected while its native
 * object lives on until they settle.
 */
const tracked = new Set<Tracked>()
let exitHookInstalled = false

function releaseAll(): void {
  for (const t of tracked) {
    const native = t.ref.deref()
    if (native !== undefined) t.release(native as never)
  }
  tracked.clear()
}

/** Calls `release(native)` at process exit unless `forget` is called first. `release` must not capture `native`. */
export function releaseAtExit<T extends object>(native: T, release: (native: T) => void): Tracked {
  if (!exitHookInstalled) {
    process.once('exit', releaseAll)
    exitHookInstalled = true
  }
  for (const t of tracked) if (t.ref.deref() === undefined) tracked.delete(t)
  const t: Tracked = { ref: new WeakRef(native), release: release as (native: never) => void }
  tracked.add(t)
  return t
}

export function forget(t: Tracked): void {
  tracked.delete(t)
}
