/**
 * A turn that moved the actor's `persist.urgentKey` persists without comparing its snapshot with the
 * last record: the key is read from the snapshot, so it changed, and the comparison (two walks over
 * the context: the live snapshot, then XState's persisted one) was a third of the persist for swim
 * and gossip-queue in a join burst, where most persists are urgent (a lease, a cluster size, an
 * enqueue). A persist due by the throttle alone still compares: an idle actor's turn that changed
 * nothing takes no record.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { assign, setup } from 'xstate'
import { ActorSystem } from '../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import type { PersistedRecord, SnapshotStore } from '../../src/runtime/persist-options.ts'

const compared = vi.hoisted(() => ({ live: 0, persisted: 0 }))
vi.mock('../../src/runtime/snapshot-equal.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/runtime/snapshot-equal.ts')>()
  return {
    ...real,
    unchangedLiveSnapshot: (...args: Parameters<typeof real.unchangedLiveSnapshot>) => (compared.live++, real.unchangedLiveSnapshot(...args)),
    samePersisted: (...args: Parameters<typeof real.samePersisted>) => (compared.persisted++, real.samePersisted(...args)),
  }
})

const THROTTLE_MS = 1_000

/** `tick` counts (throttled), `mark` moves the urgent key, `noop` changes nothing. */
const keyed = defineActor({
  name: 'keyed',
  machine: () =>
    setup({ types: {} as { context: { n: number; mark: number }; events: { type: 'tick' } | { type: 'mark' } | { type: 'noop' } } }).createMachine({
      context: { n: 0, mark: 0 },
      on: {
        tick: { actions: assign({ n: ({ context }) => context.n + 1 }) },
        mark: { actions: assign({ mark: ({ context }) => context.mark + 1 }) },
        // A new context object with the same values: the runtime sees a change, the comparison none.
        noop: { actions: assign(({ context }) => ({ ...context })) },
      },
    }),
  persist: { version: 1, throttleMs: THROTTLE_MS, urgentKey: (s) => [(s.context as { mark: number }).mark] },
})

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown()
  system = undefined
})

describe('a persist whose urgent key moved', () => {
  it('is taken without comparing with the last record; a throttled one still compares and skips an equal snapshot', async () => {
    const clock = new SimulatedClock()
    const saves: Array<{ n: number; mark: number }> = []
    const store: SnapshotStore = {
      load: () => undefined,
      save: (_id: string, record: PersistedRecord) => void saves.push({ ...(record.snapshot as { context: { n: number; mark: number } }).context }),
      delete: () => {},
    }
    system = await ActorSystem.start({ clock, logLevel: 'silent', compute: false, snapshotStore: store })
    const ref = await system.spawn(keyed, { id: 'keyed', placement: 'inline' })
    const turn = async (type: 'tick' | 'mark' | 'noop', advanceMs = 100) => {
      ref.send({ type })
      await new Promise((r) => setImmediate(r))
      await clock.advance(advanceMs)
    }
    await turn('tick')
    const first = saves.length
    expect(first).toBeGreaterThan(0)

    // Three urgent persists: each taken, none compared.
    compared.live = 0
    compared.persisted = 0
    for (let i = 0; i < 3; i++) await turn('mark')
    expect(saves.slice(first)).toEqual([
      { n: 1, mark: 1 },
      { n: 1, mark: 2 },
      { n: 1, mark: 3 },
    ])
    expect(compared).toEqual({ live: 0, persisted: 0 })

    // Past the throttle, a turn that changed nothing the record holds: compared, and not taken.
    await clock.advance(THROTTLE_MS)
    await turn('noop')
    expect(compared.live + compared.persisted).toBeGreaterThan(0)
    expect(saves.length).toBe(first + 3)

    // Past the throttle, a real change with the key unmoved is compared and taken.
    await clock.advance(THROTTLE_MS)
    await turn('tick')
    expect(saves.at(-1)).toEqual({ n: 2, mark: 3 })
  })
})
