/**
 * HostInspector's fallback: when the actor it is given has no `update` method to wrap (a later
 * XState might drop that private method), the tap listens through `system.inspect` instead and
 * reports the same transitions, under the same names, as the wrapping tap does.
 *
 * The actor is a real XState actor whose `update` reads as undefined while the tap attaches: XState
 * itself calls `this.update` on every transition, so the method cannot be taken off for good.
 */
import { describe, expect, it } from 'vitest'
import { createActor, createMachine, setup, spawnChild, type Actor, type AnyActor, type AnyStateMachine } from 'xstate'
import { HostInspector } from '../../src/runtime/host-inspector.ts'

const kid = createMachine({ id: 'kid', initial: 'small', states: { small: { on: { 'kid.grow': 'big' } }, big: {} } })

const machine = setup({ actors: { kid } }).createMachine({
  id: 'root',
  initial: 'idle',
  states: {
    idle: { on: { 'root.go': 'busy' } },
    busy: {
      on: {
        'root.spawn': { actions: spawnChild('kid', { id: 'k1' }) },
        'root.grow': { actions: ({ self }) => (self.getSnapshot().children as Record<string, AnyActor>)['k1']?.send({ type: 'kid.grow' }) },
        'root.rest': 'idle',
      },
    },
  },
})

/**
 * Hides `update` from the tap: the tap reads it once, when it attaches; XState then finds its
 * method again (it calls `this.update` on each transition). Returns what shows it again.
 */
function hideUpdate(actor: Actor<AnyStateMachine>): () => void {
  let hidden = true
  const method = (Object.getPrototypeOf(actor) as { update: unknown }).update
  Object.defineProperty(actor, 'update', { configurable: true, get: () => (hidden ? undefined : method) })
  return () => {
    hidden = false
  }
}

type Seen = [actor: string, event: string, state: unknown]

/** Runs the same script on a fresh actor (its `update` hidden from the tap or not); returns what the tap reported. */
function run(hide: boolean): { seen: Seen[]; actor: Actor<AnyStateMachine> } {
  const seen: Seen[] = []
  const tap = new HostInspector('r')
  const actor = createActor(machine, { id: 'r' }) as Actor<AnyStateMachine>
  const show = hide ? hideUpdate(actor) : () => {}
  tap.set((a, e, s) => seen.push([a, e, s]), actor)
  show()
  actor.start()
  actor.send({ type: 'root.go' })
  actor.send({ type: 'root.spawn' })
  actor.send({ type: 'root.grow' })
  actor.send({ type: 'root.rest' })
  // Off: later transitions are not reported.
  tap.set(undefined, undefined)
  actor.send({ type: 'root.go' })
  actor.stop()
  return { seen, actor }
}

describe('HostInspector', () => {
  it('without `update` on the actor, still reports its transitions and its child\'s, named as the wrapping tap names them', () => {
    const { seen, actor } = run(true)
    const root = seen.filter(([a]) => a === 'r')
    expect(root).toEqual([
      ['r', 'xstate.init', 'idle'],
      ['r', 'root.go', 'busy'],
      ['r', 'root.spawn', 'busy'],
      ['r', 'root.grow', 'busy'],
      ['r', 'root.rest', 'idle'],
    ])
    const child = seen.filter(([a]) => a === 'r/k1')
    expect(child).toEqual([
      ['r/k1', 'xstate.init', 'small'],
      ['r/k1', 'kid.grow', 'big'],
    ])
    expect(seen.length).toBe(root.length + child.length)
    // The tap wrapped nothing: the actor's `update` is XState's own method.
    expect((actor as unknown as { update: unknown }).update).toBe((Object.getPrototypeOf(actor) as { update: unknown }).update)
  })

  it('the fallback reports what the wrapping tap reports, transition for transition', () => {
    const wrapped = run(false).seen
    const fallback = run(true).seen
    const sorted = (s: Seen[]): Seen[] => [...s].sort((x, y) => x[0].localeCompare(y[0]))
    // The same per actor, in the same order (a child's first report may come at another point).
    expect(sorted(fallback)).toEqual(sorted(wrapped))
    expect(wrapped.length).toBeGreaterThan(0)
  })
})
