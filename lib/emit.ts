import type { EventEmitter } from 'node:events'

/** What a public client observes of its own events (metrics, channels), listeners or not. */
export type EventTap = (event: string, args: readonly unknown[]) => void

const taps = new WeakMap<EventEmitter, EventTap>()

/** Lets a client see every event its engine emits on it, before (and whether or not) anyone listens. */
export function tapEvents(emitter: EventEmitter, tap: EventTap): void {
  taps.set(emitter, tap)
}

/**
 * Emits an event from a native dispatch without letting a throwing listener break the dispatch:
 * the listener's error surfaces as an uncaught exception on its own. Skips work when nobody listens.
 */
export function emitSafely(emitter: EventEmitter, event: string, ...args: unknown[]): void {
  try {
    taps.get(emitter)?.(event, args)
    if (emitter.listenerCount(event) === 0) return
    emitter.emit(event, ...args)
  } catch (err) {
    queueMicrotask(() => {
      throw err
    })
  }
}
