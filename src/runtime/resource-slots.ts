/**
 * The runtime's ResourceSlots (src/types/resource-slots.ts): one per actor env. A release that
 * throws or rejects is reported to `onReleaseError` (the env logs it) and never stops the others;
 * the ones that fail while the actor stops for good (`closeAll`) are kept in `closeFailures`, so
 * the host can put them in the actor's exit report (and the shutdown report).
 */
import { toWireError, type WireError } from '../errors/cluster-error.ts'
import type { ReleaseFn, ResourceSlots } from '../types/resource-slots.ts'

/** A resource whose release failed when its actor stopped for good. */
export interface ReleaseFailure {
  /** The slot's key. */
  key: string
  error: WireError
}

/** ResourceSlots plus what the runtime reads back at stop. */
export interface RuntimeResourceSlots extends ResourceSlots {
  /** Releases that failed during or after `closeAll`, in the order they failed. */
  readonly closeFailures: readonly ReleaseFailure[]
}

interface Held {
  value: unknown
  release: ReleaseFn<unknown>
}

export function createResourceSlots(onReleaseError: (key: string, err: unknown) => void = () => {}): RuntimeResourceSlots {
  const held = new Map<string, Held>()
  const closeFailures: ReleaseFailure[] = []
  let closed = false
  let closing: Promise<void> | undefined

  const run = async (key: string, h: Held): Promise<void> => {
    try {
      await h.release(h.value)
    } catch (err) {
      if (closed) closeFailures.push({ key, error: toWireError(err) })
      onReleaseError(key, err)
    }
  }

  return {
    get<T>(key: string): T | undefined {
      return held.get(key)?.value as T | undefined
    },
    hold<T>(key: string, value: T, release: ReleaseFn<T>): void {
      const h: Held = { value, release: release as ReleaseFn<unknown> }
      if (closed) {
        void run(key, h)
        return
      }
      const old = held.get(key)
      held.set(key, h)
      if (old !== undefined && old.value !== value) void run(key, old)
    },
    async release(key: string): Promise<void> {
      const h = held.get(key)
      if (h === undefined) return
      held.delete(key)
      await run(key, h)
    },
    closeAll(): Promise<void> {
      // A second call (escalation, then the stop) waits for the first one's releases.
      if (closing !== undefined) return closing
      closed = true
      const all = [...held]
      held.clear()
      closing = Promise.all(all.map(([key, h]) => run(key, h))).then(() => undefined)
      return closing
    },
    get closed(): boolean {
      return closed
    },
    closeFailures,
  }
}
