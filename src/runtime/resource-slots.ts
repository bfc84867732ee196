/**
 * The runtime's ResourceSlots (src/types/resource-slots.ts): one per actor env. A release that
 * throws or rejects is reported to `onReleaseError` (the host logs it) and never stops the others.
 */
import type { ReleaseFn, ResourceSlots } from '../types/resource-slots.ts'

interface Held {
  value: unknown
  release: ReleaseFn<unknown>
}

export function createResourceSlots(onReleaseError: (key: string, err: unknown) => void = () => {}): ResourceSlots {
  const held = new Map<string, Held>()
  let closed = false

  const run = async (key: string, h: Held): Promise<void> => {
    try {
      await h.release(h.value)
    } catch (err) {
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
    async closeAll(): Promise<void> {
      if (closed) return
      closed = true
      const all = [...held]
      held.clear()
      await Promise.all(all.map(([key, h]) => run(key, h)))
    },
    get closed(): boolean {
      return closed
    },
  }
}
