/**
 * A persist throttle bounds how much of an actor's time goes to persisting: `throttleMs` is measured
 * from the end of one persist to the start of the next. Measured from its start, a persist that
 * takes longer than the throttle (member-manager's 100,000-member table, issue 10) was due again at
 * the very next turn, and the actor spent nearly all its time copying its context.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import { ActorSystem } from '../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import type { PersistedRecord, SnapshotStore } from '../../src/runtime/persist-options.ts'

/** How long one persist of the test actor takes, in ms of its (simulated) clock. */
const PERSIST_COST_MS = 1_500
const THROTTLE_MS = 1_000

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown()
  system = undefined
})

/** A counter whose persisted snapshot costs PERSIST_COST_MS of actor time (it moves the clock on). */
function slowPersistActor(clock: SimulatedClock) {
  return defineActor({
    name: 'slow-persist',
    machine: () => {
      const machine = setup({ types: {} as { context: { n: number }; events: { type: 'tick' } } }).createMachine({
        context: { n: 0 },
        on: { tick: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
      })
      const persisted = machine.getPersistedSnapshot.bind(machine)
      machine.getPersistedSnapshot = (snapshot, options) => {
        clock.advanceSync(PERSIST_COST_MS)
        return persisted(snapshot, options)
      }
      return machine
    },
    persist: { version: 1, throttleMs: THROTTLE_MS },
  })
}

describe('persist throttle', () => {
  it('leaves at least throttleMs between the end of one persist and the start of the next', async () => {
    const clock = new SimulatedClock()
    const saves: Array<{ at: number; end: number }> = []
    const store: SnapshotStore = {
      load: () => undefined,
      save: (_id: string, record: PersistedRecord) => void saves.push({ at: record.at, end: clock.now() }),
      delete: () => {},
    }
    system = await ActorSystem.start({ clock, logLevel: 'silent', compute: false, snapshotStore: store })
    const ref = await system.spawn(slowPersistActor(clock), { id: 'slow', placement: 'inline' })
    // A tick every 100 ms of actor time, for 10 s; each one changes the context.
    for (let i = 0; i < 100; i++) {
      ref.send({ type: 'tick' })
      await new Promise((r) => setImmediate(r)) // handled (and persisted, when due) here
      await clock.advance(100)
    }
    expect(saves.length).toBeGreaterThan(2)
    for (const s of saves) expect(s.end - s.at).toBe(PERSIST_COST_MS)
    for (let i = 1; i < saves.length; i++) expect(saves[i]!.at - saves[i - 1]!.end).toBeGreaterThanOrEqual(THROTTLE_MS)
    // Persisting took at most 1.5 s of every 2.5 s (it was ~94% before: 1.5 s of every 1.6 s).
    const busy = saves.length * PERSIST_COST_MS
    expect(busy / clock.now()).toBeLessThanOrEqual(PERSIST_COST_MS / (PERSIST_COST_MS + THROTTLE_MS) + 0.05)
  })
})

describe('persist urgentKey', () => {
  /** Counts ticks; `mark` changes what a restart needs. Throttled to once a minute otherwise. */
  const keyed = defineActor({
    name: 'keyed',
    machine: () =>
      setup({ types: {} as { context: { n: number; mark: number }; events: { type: 'tick' } | { type: 'mark' } } }).createMachine({
        context: { n: 0, mark: 0 },
        on: { tick: { actions: assign({ n: ({ context }) => context.n + 1 }) }, mark: { actions: assign({ mark: ({ context }) => context.mark + 1 }) } },
      }),
    persist: { version: 1, throttleMs: 60_000, urgentKey: (s) => [(s.context as { mark: number }).mark] },
  })

  it('persists a turn that changed the key at once, and holds back turns that did not', async () => {
    const clock = new SimulatedClock()
    const saves: Array<{ n: number; mark: number; at: number }> = []
    const store: SnapshotStore = {
      load: () => undefined,
      save: (_id, record) => void saves.push({ ...(record.snapshot as { context: { n: number; mark: number } }).context, at: record.at }),
      delete: () => {},
    }
    system = await ActorSystem.start({ clock, logLevel: 'silent', compute: false, snapshotStore: store })
    const ref = await system.spawn(keyed, { id: 'keyed', placement: 'inline' })
    const turn = async (type: 'tick' | 'mark') => {
      ref.send({ type })
      await new Promise((r) => setImmediate(r))
      await clock.advance(100)
    }
    await turn('tick')
    const first = saves.length
    for (let i = 0; i < 5; i++) await turn('tick')
    expect(saves.length).toBe(first) // inside the window, nothing urgent
    await turn('mark')
    expect(saves.length).toBe(first + 1)
    expect(saves.at(-1)).toMatchObject({ mark: 1, n: 6 })
    await turn('tick')
    expect(saves.length).toBe(first + 1)
  })

  it('refuses an urgentKey that is not a function, naming it', () => {
    expect(() => defineActor({ name: 'bad', machine: () => setup({}).createMachine({}), persist: { version: 1, urgentKey: 'mark' as never } })).toThrow(/persist\.urgentKey/)
  })
})
