import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { type Placement } from '../../src/runtime/index.ts'
import { detachSnapshot, findUncloneable } from '../../src/runtime/snapshot-copy.ts'
import type { ClusterError } from '../../src/errors/cluster-error.ts'
import { mutator, throttledMutator } from './support/mutator/definition.ts'
import { Holder, type ExtraKind } from './support/mutator/machine.ts'
import { waitFor } from './support/placement-suite.ts'
import { restartHarness } from './support/restart-harness.ts'

describe('findUncloneable', () => {
  it('accepts what structuredClone copies faithfully, with cycles and shared references', () => {
    const shared = { n: 1 }
    const cyclic: Record<string, unknown> = { shared, again: shared }
    cyclic['self'] = cyclic
    const value = {
      cyclic,
      map: new Map<unknown, unknown>([['a', [1, 2n, 'x', null, undefined]], [{ k: 1 }, new Set([new Date(0), /re/g])]]),
      bytes: new Uint8Array(4),
      buffer: new ArrayBuffer(2),
      shared: new SharedArrayBuffer(4),
      bare: Object.create(null) as object,
      error: new TypeError('kept as data'),
    }
    expect(findUncloneable(value)).toBeUndefined()
  })

  it('copies what structuredClone copies, to an equal value that shares no object with the original', () => {
    const anything = fc.anything({
      withMap: true,
      withSet: true,
      withDate: true,
      withTypedArray: true,
      withNullPrototype: true,
      withBigInt: true,
      withSparseArray: true,
      withBoxedValues: true,
    })
    fc.assert(
      fc.property(anything, (value) => {
        const copy = detachSnapshot('a', value)
        expect(copy).toStrictEqual(structuredClone(value))
        if (value !== null && typeof value === 'object') expect(copy).not.toBe(value)
      }),
      { numRuns: 300, seed: 4242 },
    )
  })

  it('keeps shared references and cycles, and copies a typed array as its own bytes', () => {
    const shared = { n: 1 }
    const value: Record<string, unknown> = { a: shared, b: [shared], bytes: Buffer.from('abc') }
    value['self'] = value
    const copy = detachSnapshot('a', value) as typeof value & { b: unknown[]; bytes: Uint8Array }
    expect(copy['self']).toBe(copy)
    expect(copy.b[0]).toBe(copy['a'])
    expect(copy['a']).not.toBe(shared)
    expect(Object.getPrototypeOf(copy.bytes)).toBe(Uint8Array.prototype) // as structuredClone gives
    expect([...copy.bytes]).toEqual([97, 98, 99])
  })

  it('names the path and kind of a function, a symbol or a class instance', () => {
    expect(findUncloneable({ context: { peers: [{}, { send: function send() {} }] } })).toEqual({ path: 'snapshot.context.peers[1].send', what: 'a function (send)' })
    expect(findUncloneable({ context: { tag: Symbol('t') } })).toEqual({ path: 'snapshot.context.tag', what: 'a symbol' })
    expect(findUncloneable({ context: { m: new Map([['k', new Holder(1)]]) } })).toEqual({ path: 'snapshot.context.m.get("k")', what: 'a Holder instance' })
    expect(findUncloneable({ s: new Set([1, () => 2]) })?.path).toBe('snapshot.s.values()[1]')
  })
})

async function codeOf(p: Promise<unknown>): Promise<ClusterError | undefined> {
  try {
    await p
    return undefined
  } catch (err) {
    return err as ClusterError
  }
}

function suite(placement: Placement): void {
  describe(`persisted snapshots are detached copies (${placement})`, () => {
    const { start, events, startedAfter, store } = restartHarness()

    it('restores the state persisted before a crash, not what the crashing turn did in place, crash after crash', async () => {
      const sys = await start()
      const ref = await sys.spawn(mutator, { id: 'm', placement })
      ref.send({ type: 'mutator.put', key: 'a', value: 1 })
      // The ask's turn ended after the put: the checkpoint holds a = 1.
      expect(await ref.ask({ type: 'mutator.get' })).toEqual({ items: { a: 1 }, trail: ['a'] })

      ref.send({ type: 'mutator.put-then-crash', key: 'b', value: 2 })
      await waitFor(() => startedAfter(1) !== undefined)
      expect(startedAfter(1)).toMatchObject({ restored: true })
      expect(await ref.ask({ type: 'mutator.get' })).toEqual({ items: { a: 1 }, trail: ['a'] })

      // The restored machine updates in place too: the record it came from must not follow it.
      ref.send({ type: 'mutator.put-then-crash', key: 'c', value: 3 })
      await waitFor(() => startedAfter(2) !== undefined)
      expect(await ref.ask({ type: 'mutator.get' })).toEqual({ items: { a: 1 }, trail: ['a'] })

      // And the restored machine goes on from there: later checkpoints hold its own updates.
      ref.send({ type: 'mutator.put', key: 'd', value: 4 })
      expect(await ref.ask({ type: 'mutator.get' })).toEqual({ items: { a: 1, d: 4 }, trail: ['a', 'd'] })
      ref.send({ type: 'mutator.put-then-crash', key: 'e', value: 5 })
      await waitFor(() => startedAfter(3) !== undefined)
      expect(await ref.ask({ type: 'mutator.get' })).toEqual({ items: { a: 1, d: 4 }, trail: ['a', 'd'] })
      const crashes = events.filter((e) => e.type === 'actor.crashed')
      expect(crashes).toHaveLength(3)
      // The system thread's record is the last good state as well.
      const ctx = (store.records.get('m')?.snapshot as { context: { items: Map<string, number> } }).context
      expect([...ctx.items]).toEqual([['a', 1], ['d', 4]])
    })

    it('restores from a copy of the record, so a restored machine updating in place cannot write into it', async () => {
      const sys = await start()
      const ref = await sys.spawn(throttledMutator, { id: 't', placement })
      ref.send({ type: 'mutator.put', key: 'a', value: 1 })
      expect((await ref.ask({ type: 'mutator.get' })).items).toEqual({ a: 1 })
      ref.send({ type: 'mutator.put-then-crash', key: 'b', value: 2 })
      await waitFor(() => startedAfter(1) !== undefined)
      // Whichever turn made the one checkpoint (the start's or the put's), the crash is not in it.
      const checkpoint = await ref.ask({ type: 'mutator.get' })
      expect(checkpoint.trail).not.toContain('b')
      // Not persisted (throttled): the restored machine's updates live only in its own context.
      ref.send({ type: 'mutator.put', key: 'd', value: 4 })
      expect((await ref.ask({ type: 'mutator.get' })).items).toMatchObject({ d: 4 })
      ref.send({ type: 'mutator.put-then-crash', key: 'e', value: 5 })
      await waitFor(() => startedAfter(2) !== undefined)
      expect(await ref.ask({ type: 'mutator.get' })).toEqual(checkpoint)
    })

    it('restores the checkpoint again when a held message crashes the restored machine at once', async () => {
      const sys = await start()
      const ref = await sys.spawn(mutator, { id: 'h', placement })
      ref.send({ type: 'mutator.put', key: 'a', value: 1 })
      expect((await ref.ask({ type: 'mutator.get' })).items).toEqual({ a: 1 })
      // The second is held during the first restart and handled by the restored machine before
      // its first turn ends (no checkpoint in between).
      ref.send({ type: 'mutator.put-then-crash', key: 'b', value: 2 })
      ref.send({ type: 'mutator.put-then-crash', key: 'c', value: 3 })
      await waitFor(() => startedAfter(2) !== undefined)
      expect(events.filter((e) => e.type === 'actor.crashed')).toHaveLength(2)
      expect(await ref.ask({ type: 'mutator.get' })).toEqual({ items: { a: 1 }, trail: ['a'] })
    })

    for (const [kind, what] of [['function', /a function/], ['instance', /a Holder instance/]] as const) {
      it(`fails the spawn with a coded error naming the actor when the context holds a ${kind}`, async () => {
        const sys = await start()
        const err = await codeOf(sys.spawn(mutator, { id: `bad-${kind}`, placement, input: { extra: kind as ExtraKind } }))
        expect(err?.code).toBe('ERR_ACTOR_START_FAILED')
        expect(err?.message).toContain(`bad-${kind}`)
        expect(err?.message).toContain('context.extra.value')
        expect(err?.message).toMatch(what)
        expect((err?.cause as ClusterError | undefined)?.code).toBe('ERR_ACTOR_SNAPSHOT_UNCLONEABLE')
        // The system goes on: the id is free again and a good context spawns.
        const ok = await sys.spawn(mutator, { id: `bad-${kind}`, placement, input: { extra: 'plain' } })
        expect(await ok.ask({ type: 'mutator.get' })).toEqual({ items: {}, trail: [] })
      })

      it(`reports a ${kind} put into the context later as the actor's coded crash and restores the last good state`, async () => {
        const sys = await start()
        const ref = await sys.spawn(mutator, { id: 'late', placement })
        ref.send({ type: 'mutator.put', key: 'a', value: 1 })
        expect((await ref.ask({ type: 'mutator.get' })).items).toEqual({ a: 1 })
        ref.send({ type: 'mutator.keep', kind: kind as ExtraKind })
        ref.send({ type: 'mutator.put', key: 'lost', value: 9 }) // same turn as the keep: lost with it
        await waitFor(() => startedAfter(1) !== undefined)
        const crash = events.find((e) => e.type === 'actor.crashed')
        expect(crash?.type === 'actor.crashed' && crash.error.code).toBe('ERR_ACTOR_SNAPSHOT_UNCLONEABLE')
        expect(crash?.type === 'actor.crashed' && crash.error.message).toMatch(/"late".*context\.extra\.value/)
        expect(crash?.type === 'actor.crashed' && crash.error.message).toMatch(what)
        expect(startedAfter(1)).toMatchObject({ restored: true })
        expect(await ref.ask({ type: 'mutator.get' })).toEqual({ items: { a: 1 }, trail: ['a'] })
      })
    }

    it('persists plain data put into the context later', async () => {
      const sys = await start()
      const ref = await sys.spawn(mutator, { id: 'plain', placement })
      ref.send({ type: 'mutator.keep', kind: 'plain' })
      ref.send({ type: 'mutator.put', key: 'a', value: 1 })
      expect((await ref.ask({ type: 'mutator.get' })).items).toEqual({ a: 1 })
      expect(events.some((e) => e.type === 'actor.crashed')).toBe(false)
    })
  })
}

suite('inline')
suite('worker')
