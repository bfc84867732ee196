/**
 * A stop does not persist the exit work's final state: when `runtime.shutdown` takes the machine
 * to a final state at once, the host is marked stopped before any turn end can run, so the store
 * keeps the last running state and a later spawn restores that (a node stopped and started again
 * rebinds its address and rejoins) instead of starting from a final state that does nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import { ActorSystem } from '../../src/runtime/actor-system.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import { memorySnapshotStore } from '../../src/runtime/persist-options.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown()
  system = undefined
})

const stopsAtOnce = defineActor({
  name: 'stops-at-once',
  machine: () =>
    setup({ types: {} as { context: { n: number }; events: { type: 'c.inc' } | { type: 'runtime.shutdown' } } }).createMachine({
      context: { n: 0 },
      initial: 'running',
      states: {
        running: { on: { 'c.inc': { actions: assign({ n: ({ context }) => context.n + 1 }) }, 'runtime.shutdown': 'done' } },
        done: { type: 'final' },
      },
    }),
  persist: { version: 1 },
})

describe('persist at stop', () => {
  it('the store keeps the last running state, and a spawn after the stop restores it', async () => {
    const store = memorySnapshotStore()
    const start = () => ActorSystem.start({ clock: new SimulatedClock(), logLevel: 'silent', compute: false, snapshotStore: store })
    system = await start()
    const ref = await system.spawn(stopsAtOnce, { id: 'a', placement: 'inline' })
    ref.send({ type: 'c.inc' })
    ref.send({ type: 'c.inc' })
    expect((await ref.getSnapshot()).context).toEqual({ n: 2 })
    await ref.stop()
    const kept = store.records.get('a')!.snapshot as { value: unknown; status: string; context: { n: number } }
    expect(kept.value).toBe('running')
    expect(kept.status).toBe('active')
    expect(kept.context.n).toBe(2)
    // A fresh system with the same store (a stopped actor's id stays taken in its own system).
    await system.shutdown()
    system = await start()
    const again = await system.spawn(stopsAtOnce, { id: 'a', placement: 'inline' })
    const snap = await again.getSnapshot()
    expect(snap.value).toBe('running')
    expect(snap.context).toEqual({ n: 2 })
  })
})
