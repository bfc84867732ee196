/**
 * Coalesced delivery (a definition's `coalesce`): consecutive tells of the listed types in one
 * delivery reach the machine as one event; order, asks, other types and per-message counts are kept;
 * a throwing `into` crashes only that actor, with a code. Both placements.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, type Placement, type SystemEvent } from '../../src/runtime/index.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import { CoalesceRun } from '../../src/runtime/coalesce.ts'
import { itemsOf, plainTally, tally } from './support/tally/definition.ts'
import { createTallyMachine } from './support/tally/machine.ts'
import { waitFor } from './support/placement-suite.ts'
import { thrown } from './support/thrown.ts'

describe('coalesce options are checked at defineActor', () => {
  const spec = { name: 't', machine: createTallyMachine }
  it('refuses a bad field, naming it', () => {
    const cases: Array<[unknown, string]> = [
      [{ types: [], into: itemsOf }, 'coalesce.types'],
      [{ types: 'tally.item', into: itemsOf }, 'coalesce.types'],
      [{ types: [''], into: itemsOf }, 'coalesce.types[0]'],
      [{ types: ['tally.item'] }, 'coalesce.into'],
      [{ types: ['tally.item'], into: itemsOf, max: 1 }, 'coalesce.max'],
      [{ types: ['tally.item'], into: itemsOf, max: 2.5 }, 'coalesce.max'],
      [{ types: ['tally.item'], into: itemsOf, mx: 4 }, 'coalesce.mx'],
    ]
    for (const [coalesce, field] of cases) {
      const err = thrown(() => defineActor({ ...spec, coalesce: coalesce as never }))
      expect(err?.code, JSON.stringify(coalesce)).toBe('ERR_INVALID_CONFIG')
      expect(err?.message).toContain(field)
    }
    // A type the accepts list leaves out could never arrive: a typo.
    const err = thrown(() => defineActor({ ...spec, accepts: ['tally.item', 'tally.get'], coalesce: { types: ['tally.mark'], into: itemsOf } }))
    expect(err?.message).toContain('coalesce.types[0]')
  })

  it('fills in max and leaves coalesce out when not given', () => {
    expect(tally.coalesce?.max).toBe(8)
    expect(defineActor({ ...spec, coalesce: { types: ['tally.item'], into: itemsOf } }).coalesce?.max).toBe(1024)
    expect('coalesce' in plainTally).toBe(false)
  })
})

describe('CoalesceRun', () => {
  it('never takes an ask, hands a run of one as the message itself, and reports a bad into as a coded error', () => {
    const run = new CoalesceRun('a', { types: ['tally.item'], into: () => ({ nope: 1 }) as never, max: 4 })
    expect(run.accepts({ type: 'tally.item', n: 1, replyTo: { to: 'x', cid: 1 } } as never)).toBe(false)
    expect(run.accepts({ type: 'tally.mark', n: 1 } as never)).toBe(false)
    const one = { type: 'tally.item', n: 1 }
    run.push(one)
    expect(run.take()).toEqual({ event: one })
    run.push(one)
    run.push(one)
    const bad = run.take()
    expect(bad !== undefined && 'error' in bad && bad.error.code).toBe('ERR_ACTOR_COALESCE_FAILED')
    expect(run.take()).toBeUndefined()
  })
})

function suite(placement: Placement): void {
  describe(`coalesced delivery (${placement})`, () => {
    let system: ActorSystem | undefined
    let events: SystemEvent[] = []
    afterEach(async () => {
      await system?.shutdown({ drainTimeoutMs: 2000 })
      system = undefined
    })
    async function start(): Promise<ActorSystem> {
      system = await ActorSystem.start({ logLevel: 'silent', supervision: { backoffMs: 1, maxRestarts: 5 } })
      events = []
      system.on((e) => events.push(e))
      return system
    }

    /** One burst: tells, a mark, an ask in the middle, then a long run (split at max 8). */
    async function burst(def: typeof tally) {
      const sys = await start()
      const ref = await sys.spawn(def, { id: 't', placement })
      ref.send({ type: 'tally.item', n: 1 })
      ref.send({ type: 'tally.item', n: 2 })
      ref.send({ type: 'tally.item', n: 3 })
      ref.send({ type: 'tally.mark', n: 4 })
      ref.send({ type: 'tally.item', n: 5 })
      const asked = ref.ask({ type: 'tally.item', n: 6 })
      for (let n = 7; n <= 28; n++) ref.send({ type: 'tally.item', n })
      expect(await asked).toBe(6)
      const view = await ref.ask({ type: 'tally.get' })
      const stats = await ref.stats()
      return { view, stats }
    }

    it('keeps the order across types, never merges an ask or another type, and counts per message', async () => {
      const { view, stats } = await burst(tally)
      expect(view.seen).toEqual(Array.from({ length: 28 }, (_, i) => i + 1))
      // The mark and the ask are events of their own, where they were sent.
      let at = 0
      const starts = view.events.map(([type, n]) => {
        const s = at
        at += n
        return [type, s, n] as const
      })
      expect(starts).toContainEqual(['tally.mark', 3, 1])
      expect(starts).toContainEqual(['tally.item', 5, 1])
      expect(view.events.every(([type, n]) => type !== 'tally.items' || (n >= 2 && n <= 8))).toBe(true)
      // Fewer machine events than messages: runs were merged.
      expect(view.events.length).toBeLessThan(28)
      if (placement === 'inline') {
        // One drain holds the whole burst: the exact shape.
        expect(view.events).toEqual([
          ['tally.items', 3],
          ['tally.mark', 1],
          ['tally.item', 1],
          ['tally.item', 1],
          ['tally.items', 8],
          ['tally.items', 8],
          ['tally.items', 6],
        ])
      }
      // Counted per message: 28 numbers and the get.
      expect(stats.handled).toBe(29)
    })

    it('sees the same numbers in the same order as the actor without the opt-in', async () => {
      const coalesced = await burst(tally)
      await system?.shutdown({ drainTimeoutMs: 2000 })
      const plain = await burst(plainTally as unknown as typeof tally)
      expect(plain.view.events.length).toBe(28)
      expect(coalesced.view.seen).toEqual(plain.view.seen)
      expect(coalesced.stats.handled).toBe(plain.stats.handled)
    })

    it('a throwing into crashes that actor with ERR_ACTOR_COALESCE_FAILED; it restarts and goes on', async () => {
      const sys = await start()
      const ref = await sys.spawn(tally, { id: 't', placement })
      ref.send({ type: 'tally.item', n: 1 })
      ref.send({ type: 'tally.poison' })
      ref.send({ type: 'tally.item', n: 2 })
      await waitFor(() => events.some((e) => e.type === 'actor.started' && e.restarts === 1))
      const crash = events.find((e) => e.type === 'actor.crashed')
      expect(crash?.type === 'actor.crashed' && crash.error.code).toBe('ERR_ACTOR_COALESCE_FAILED')
      ref.send({ type: 'tally.item', n: 3 })
      expect((await ref.ask({ type: 'tally.get' })).seen).toEqual([3])
    })
  })
}

suite('inline')
suite('worker')
