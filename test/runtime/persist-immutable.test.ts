import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import { type Placement } from '../../src/runtime/index.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import { verifyImmutableFromEnv } from '../../src/runtime/persist-options.ts'
import { persistedSnapshotOf } from '../../src/runtime/host-persistence.ts'
import { freezeSnapshot, isFrozenWrite } from '../../src/runtime/snapshot-freeze.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { ledger } from './support/ledger/definition.ts'
import { ledgerWhole } from './support/ledger-whole/definition.ts'
import { createLedgerMachine } from './support/ledger/machine.ts'
import { Holder } from './support/mutator/machine.ts'
import { memberManager } from '../../actors/member-manager/definition.ts'
import { waitFor } from './support/placement-suite.ts'
import { thrown } from './support/thrown.ts'
import { restartHarness } from './support/restart-harness.ts'

describe('persist options are checked at defineActor', () => {
  const spec = { name: 'x', machine: createLedgerMachine }
  it('refuses a misspelt field, a non-boolean immutable, a bad version or throttle, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ version: 1, imutable: true }, 'persist.imutable'],
      [{ version: 1, immutable: 'yes' }, 'persist.immutable'],
      [{ version: -1 }, 'persist.version'],
      [{ version: 1.5 }, 'persist.version'],
      [{ version: 1, throttleMs: -5 }, 'persist.throttleMs'],
      [{ version: 1, throttleMs: Number.NaN }, 'persist.throttleMs'],
      [{ version: 1, immutable: true, post: 'clone' }, 'persist.post'],
      ['yes', 'persist'],
    ]
    for (const [persist, field] of cases) {
      const err = thrown(() => defineActor({ ...spec, persist: persist as never }))
      expect(err?.code, JSON.stringify(persist)).toBe('ERR_INVALID_CONFIG')
      expect(err?.message).toContain(field)
    }
  })

  it('keeps valid options (frozen) and leaves persist out when not given', () => {
    const def = defineActor({ ...spec, persist: { version: 3, throttleMs: 10, immutable: true } })
    expect(def.persist).toEqual({ version: 3, throttleMs: 10, immutable: true })
    expect(Object.isFrozen(def.persist)).toBe(true)
    expect('persist' in defineActor(spec)).toBe(false)
  })

  it('member-manager opts in (its core never writes its state in place)', () => {
    expect(memberManager.persist?.immutable).toBe(true)
  })
})

describe('verifyImmutableFromEnv', () => {
  it('is on under NODE_ENV=test unless GOSSAMER_VERIFY_IMMUTABLE says otherwise, and refuses anything else', () => {
    expect(verifyImmutableFromEnv({ NODE_ENV: 'test' })).toBe(true)
    expect(verifyImmutableFromEnv({ NODE_ENV: 'production' })).toBe(false)
    expect(verifyImmutableFromEnv({})).toBe(false)
    expect(verifyImmutableFromEnv({ NODE_ENV: 'test', GOSSAMER_VERIFY_IMMUTABLE: '0' })).toBe(false)
    expect(verifyImmutableFromEnv({ GOSSAMER_VERIFY_IMMUTABLE: 'true' })).toBe(true)
    const err = thrown(() => verifyImmutableFromEnv({ GOSSAMER_VERIFY_IMMUTABLE: 'yes' }))
    expect(err?.code).toBe('ERR_INVALID_CONFIG')
    expect(err?.message).toContain('GOSSAMER_VERIFY_IMMUTABLE')
  })
})

describe('freezeSnapshot', () => {
  it('freezes everything reachable except bytes, so an in-place write throws a TypeError it recognises', () => {
    const bytes = new Uint8Array(2)
    const value = { a: { b: [{ c: 1 }] }, m: new Map([['k', { v: 1 }]]), s: new Set([{ w: 2 }]), bytes }
    freezeSnapshot('x', value)
    expect(Object.isFrozen(value)).toBe(true)
    expect(Object.isFrozen(value.a.b[0])).toBe(true)
    expect(Object.isFrozen(value.m.get('k'))).toBe(true)
    expect(Object.isFrozen([...value.s][0])).toBe(true)
    bytes[0] = 7 // cannot be frozen: left writable
    expect(bytes[0]).toBe(7)
    let err: unknown
    try {
      ;(value.a.b[0] as { c: number }).c = 2
    } catch (e) {
      err = e
    }
    expect(isFrozenWrite(err)).toBe(true)
    for (const write of [() => (value.a.b as unknown[]).push(1), () => delete (value.a as Record<string, unknown>)['b'], () => ((value as Record<string, unknown>)['z'] = 1)]) {
      let e: unknown
      try {
        write()
      } catch (x) {
        e = x
      }
      expect(isFrozenWrite(e)).toBe(true)
    }
    expect(isFrozenWrite(new TypeError('x is not a function'))).toBe(false)
  })

  it('refuses what a copy would refuse, naming the path, and leaves the refused branch unfrozen', () => {
    const value = { ok: { n: 1 }, bad: { list: [1, new Holder(2)] } }
    const err = thrown(() => freezeSnapshot('actor-x', value))
    expect(err?.code).toBe('ERR_ACTOR_SNAPSHOT_UNCLONEABLE')
    expect(err?.message).toContain('snapshot.bad.list[1]')
    expect(err?.message).toContain('a Holder instance')
    expect(Object.isFrozen(value.bad)).toBe(false)
    expect(Object.isFrozen(value)).toBe(false)
    expect(thrown(() => freezeSnapshot('actor-x', { f: () => 1 }))?.message).toContain('a function')
  })
})

describe('persistedSnapshotOf', () => {
  it('keeps an immutable context by reference, with the rest of what XState persists', () => {
    const actor = createActor(createLedgerMachine({ reply: () => {} } as never), { clock: new SimulatedClock() }).start()
    actor.send({ type: 'ledger.add', key: 'a', amount: 1 })
    const live = actor.getSnapshot().context
    const kept = persistedSnapshotOf('l', actor as never, true, false) as { context: unknown }
    expect(kept.context).toBe(live)
    expect(kept).toEqual(actor.getPersistedSnapshot())
    const copied = persistedSnapshotOf('l', actor as never, false, false) as { context: unknown }
    expect(copied.context).not.toBe(live)
    expect(copied).toEqual(kept)
    actor.stop()
  })
})

function suite(placement: Placement): void {
  describe(`immutable persisted records (${placement})`, () => {
    const { start, events, startedAfter, store } = restartHarness()

    it('reports an in-place write into the persisted context as ERR_ACTOR_SNAPSHOT_MUTATED and restores the last good state', async () => {
      const sys = await start()
      const ref = await sys.spawn(ledger, { id: 'l', placement })
      ref.send({ type: 'ledger.add', key: 'a', amount: 1 })
      expect(await ref.ask({ type: 'ledger.get' })).toEqual({ entries: { a: 1 }, order: ['a'] })
      ref.send({ type: 'ledger.cheat', key: 'a', amount: 99 })
      await waitFor(() => startedAfter(1) !== undefined)
      const crash = events.find((e) => e.type === 'actor.crashed')
      expect(crash?.type === 'actor.crashed' && crash.error.code).toBe('ERR_ACTOR_SNAPSHOT_MUTATED')
      expect(crash?.type === 'actor.crashed' && crash.error.message).toContain('"l"')
      expect(await ref.ask({ type: 'ledger.get' })).toEqual({ entries: { a: 1 }, order: ['a'] })
      const kept = store.records.get('l')?.snapshot as { context: { entries: Record<string, { amount: number }> } }
      expect(kept.context.entries['a']?.amount).toBe(1)
    })

    it('restores from the record itself after a crash, and goes on building new state from it', async () => {
      const sys = await start()
      const ref = await sys.spawn(ledger, { id: 'r', placement })
      ref.send({ type: 'ledger.add', key: 'a', amount: 1 })
      expect((await ref.ask({ type: 'ledger.get' })).order).toEqual(['a'])
      ref.send({ type: 'ledger.add-then-crash', key: 'b', amount: 2 })
      await waitFor(() => startedAfter(1) !== undefined)
      expect(startedAfter(1)).toMatchObject({ restored: true })
      expect(await ref.ask({ type: 'ledger.get' })).toEqual({ entries: { a: 1 }, order: ['a'] })
      ref.send({ type: 'ledger.add', key: 'c', amount: 3 })
      // The ask's turn ends after the add: the checkpoint holds c.
      expect((await ref.ask({ type: 'ledger.get' })).order).toEqual(['a', 'c'])
      ref.send({ type: 'ledger.add-then-crash', key: 'd', amount: 4 })
      await waitFor(() => startedAfter(2) !== undefined)
      expect(await ref.ask({ type: 'ledger.get' })).toEqual({ entries: { a: 1, c: 3 }, order: ['a', 'c'] })
      expect(events.filter((e) => e.type === 'actor.crashed').every((e) => e.type === 'actor.crashed' && e.error.code !== 'ERR_ACTOR_SNAPSHOT_MUTATED')).toBe(true)
    })

    if (placement === 'worker') {
      it("posts only what changed by default, and the whole record with post: 'whole'", async () => {
        const sys = await start()
        const twoRecords = async (def: typeof ledger | typeof ledgerWhole, id: string) => {
          const ref = await sys.spawn(def as typeof ledger, { id, placement })
          ref.send({ type: 'ledger.add', key: 'a', amount: 1 })
          await ref.ask({ type: 'ledger.get' })
          // The record with 'a' in it: a record of the spawn's initial state may be stored first.
          type Ledger = { context: { entries: Record<string, unknown>; order: string[] } }
          await waitFor(() => (store.records.get(id)?.snapshot as Ledger | undefined)?.context.entries['a'] !== undefined)
          const first = store.records.get(id)!.snapshot as Ledger
          ref.send({ type: 'ledger.add', key: 'b', amount: 2 })
          await ref.ask({ type: 'ledger.get' })
          await waitFor(() => (store.records.get(id)!.snapshot as typeof first).context.order.length === 2)
          return { first, second: store.records.get(id)!.snapshot as typeof first }
        }
        // The graph post: the system thread rebuilds the untouched entry as the object it had.
        const graph = await twoRecords(ledger, 'g')
        expect(graph.second.context.entries['a']).toBe(graph.first.context.entries['a'])
        // Whole: each record is its own clone, equal in content.
        const whole = await twoRecords(ledgerWhole, 'w')
        expect(whole.second.context.entries['a']).not.toBe(whole.first.context.entries['a'])
        expect(whole.second.context.entries['a']).toEqual(whole.first.context.entries['a'])
        expect(whole.second.context.order).toEqual(['a', 'b'])
      })
    }

    if (placement === 'inline') {
      it('keeps the record by reference, deep-frozen (no copy in the inline placement)', async () => {
        const sys = await start()
        const ref = await sys.spawn(ledger, { id: 'k', placement })
        ref.send({ type: 'ledger.add', key: 'a', amount: 1 })
        await ref.ask({ type: 'ledger.get' })
        const first = store.records.get('k')?.snapshot as { context: { entries: Record<string, unknown>; order: string[] } }
        expect(Object.isFrozen(first.context)).toBe(true)
        expect(Object.isFrozen(first.context.entries['a'])).toBe(true)
        ref.send({ type: 'ledger.add', key: 'b', amount: 2 })
        await ref.ask({ type: 'ledger.get' })
        const second = store.records.get('k')?.snapshot as typeof first
        // Structural sharing survives persisting: the untouched entry is the same object.
        expect(second.context.entries['a']).toBe(first.context.entries['a'])
        expect(second.context.order).toEqual(['a', 'b'])
      })
    }
  })
}

suite('inline')
suite('worker')
