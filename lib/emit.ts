import type { EventEmitter } from 'node:events'

/**
 * Emits an event from a native dispatch without letting a throwing listener break the dispatch:
 * the listener's error surfaces as an uncaught exception on its own. Skips work when nobody listens.
 */
export function emitSafely(emitter: EventEmitter, event: string, ...args: unknown[]): void {
  if (emitter.listenerCount(event) === 0) return
  try {
    emitter.emit(event, ...args)
  } catch (err) {
    queueMicrotask(() => {
      throw err
    })
  }
}
