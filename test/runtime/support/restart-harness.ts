/**
 * A system with an in-memory snapshot store and fast supervised restarts, its events recorded:
 * for tests of what a restart restores. Call inside a `describe`; the system shuts down after each
 * test and the store is cleared.
 */
import { afterEach } from 'vitest'
import { ActorSystem, memorySnapshotStore, type SystemEvent } from '../../../src/runtime/index.ts'

export function restartHarness() {
  let system: ActorSystem | undefined
  const events: SystemEvent[] = []
  const store = memorySnapshotStore()
  afterEach(async () => {
    await system?.shutdown({ drainTimeoutMs: 2000 })
    system = undefined
    store.records.clear()
  })
  return {
    store,
    events,
    async start(): Promise<ActorSystem> {
      system = await ActorSystem.start({ logLevel: 'silent', snapshotStore: store, supervision: { backoffMs: 1, maxRestarts: 5 } })
      events.length = 0
      system.on((e) => events.push(e))
      return system
    },
    /** The `actor.started` event of the restart with this count, once it happened. */
    startedAfter: (restarts: number) => events.find((e) => e.type === 'actor.started' && e.restarts === restarts),
  }
}
