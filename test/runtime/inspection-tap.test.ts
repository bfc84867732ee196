/**
 * The runtime's inspection tap: a worker folds a busy actor's transitions (at most 8 reported an
 * actor a turn, the rest counted in `skipped`, none lost from the count); child actors are reported
 * as `<root>/<child>` from their first state on; turning inspection off leaves nothing wrapped; a
 * restarted machine is tapped again.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { assign, createMachine, setup, spawnChild, type AnyActor } from 'xstate'
import { ActorSystem, type InspectionEvent } from '../../src/runtime/index.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import { counter } from '../fixtures/actors/counter/definition.ts'
import { counterIo } from '../fixtures/actors/counter/io.ts'
import { INSPECTIONS_PER_TURN } from '../../src/runtime/worker-reports.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

const kid = createMachine({ id: 'kid', initial: 'small', states: { small: { on: { 'kid.grow': 'big' } }, big: {} } })

type ParentIn = { type: 'parent.spawn' } | { type: 'parent.grow' } | { type: 'parent.crash' }

const parent = defineActor({
  name: 'parent',
  machine: () =>
    setup({ types: {} as { events: ParentIn; context: { n: number } }, actors: { kid } }).createMachine({
      id: 'parent',
      context: { n: 0 },
      initial: 'alone',
      states: {
        alone: { on: { 'parent.spawn': { target: 'with-kid', actions: spawnChild('kid', { id: 'k1' }) } } },
        'with-kid': {
          on: {
            'parent.grow': { actions: [assign({ n: ({ context }) => context.n + 1 }), ({ self }) => (self.getSnapshot().children as Record<string, AnyActor>)['k1']?.send({ type: 'kid.grow' })] },
          },
        },
      },
      on: {
        'parent.crash': {
          actions: () => {
            throw new Error('crash on purpose')
          },
        },
      },
    }),
})

describe('inspection tap', () => {
  it('a worker reports at most 8 transitions an actor a turn and counts the others in skipped', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    const a = await system.spawn(counter, { id: 'busy', provide: counterIo })
    const seen: InspectionEvent[] = []
    const stop = system.inspect((e) => seen.push(e))
    await system.sync()
    const N = 20_000
    for (let i = 0; i < N; i++) if (a.send({ type: 'counter.inc', by: 1 }) === 'backpressure') await a.ready()
    expect((await a.ask({ type: 'counter.get' })).n).toBe(N)
    // The last turn's report follows the reply to the ask: wait until every transition is accounted
    // for (N increments, then the ask's counter.get, which may carry the last increments folded in).
    const counted = (): number => seen.reduce((n, e) => n + 1 + (e.skipped ?? 0), 0)
    for (let i = 0; i < 500 && counted() < N + 1; i++) await new Promise((r) => setTimeout(r, 10))
    stop()
    const incs = seen.filter((e) => e.event === 'counter.inc')
    expect(counted()).toBe(N + 1)
    expect(seen.map((e) => e.event).filter((t) => t !== 'counter.inc')).toEqual(['counter.get'])
    expect(incs.length).toBeLessThan(N / 4)
    expect(seen.some((e) => (e.skipped ?? 0) > 0)).toBe(true)
    expect(seen.every((e) => e.placement === 'worker')).toBe(true)
    expect(INSPECTIONS_PER_TURN).toBe(8)
  })

  it('reports a child from its first state as <root>/<child>, and leaves nothing wrapped when off', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    const p = await system.spawn(parent, { id: 'p', placement: 'inline' })
    const seen: InspectionEvent[] = []
    const stop = system.inspect((e) => seen.push(e))
    p.send({ type: 'parent.spawn' })
    p.send({ type: 'parent.grow' })
    await p.getSnapshot()
    expect(seen.map((e) => [e.actor, e.event, e.state])).toEqual([
      ['p', 'parent.spawn', 'with-kid'],
      ['p/k1', 'xstate.init', 'small'],
      ['p/k1', 'kid.grow', 'big'],
      ['p', 'parent.grow', 'with-kid'],
    ])
    stop()
    const count = seen.length
    p.send({ type: 'parent.grow' })
    await p.getSnapshot()
    expect(seen.length).toBe(count)
  })

  it('taps the new incarnation after a restart', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    const p = await system.spawn(parent, { id: 'p', placement: 'inline', supervision: { backoffMs: 0 } as never })
    const seen: InspectionEvent[] = []
    const stop = system.inspect((e) => seen.push(e))
    p.send({ type: 'parent.crash' })
    for (let i = 0; i < 200 && !seen.some((e) => e.event === 'parent.spawn'); i++) {
      p.send({ type: 'parent.spawn' })
      await new Promise((r) => setTimeout(r, 10))
    }
    stop()
    expect(seen.some((e) => e.actor === 'p' && e.event === 'xstate.init')).toBe(true)
    expect(seen.some((e) => e.actor === 'p' && e.event === 'parent.spawn' && e.state === 'with-kid')).toBe(true)
  })
})
