// Native handles still open at process exit are released there (the native engines' handles).

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
