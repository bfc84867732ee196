/**
 * CowMap: a persistent map that behaves like a JS Map (contents and iteration order) while every
 * version it handed out stays as it was.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { MapDraft, cowDiff, cowEntries, cowForEach, cowGet, emptyCowMap } from '../../../actors/member-manager/cow-map.ts'
import type { CowMap } from '../../../actors/member-manager/cow-map.ts'

const entriesOf = (m: CowMap<number>) => cowEntries(m).map((e) => [e.k, e.v] as const)

describe('CowMap', () => {
  it('matches a Map (contents, size, order) through random writes, and leaves every earlier version as it was', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 60 }), value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('finish' as const) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300, size: 'max' }), (ops) => {
        const model = new Map<string, number>()
        let version = emptyCowMap<number>()
        let draft = new MapDraft(version)
        const kept: Array<{ version: CowMap<number>; expected: Array<readonly [string, number]> }> = []
        for (const o of ops) {
          if (o.kind === 'set') {
            draft.set(`k${o.key}`, o.value)
            model.set(`k${o.key}`, o.value)
          } else if (o.kind === 'delete') {
            expect(draft.delete(`k${o.key}`)).toBe(model.delete(`k${o.key}`))
          } else {
            version = draft.finish()
            kept.push({ version, expected: [...model] })
            draft = new MapDraft(version)
          }
          expect(draft.size).toBe(model.size)
        }
        expect(draft.entries().map((e) => [e.k, e.v])).toEqual([...model])
        for (const [k, v] of model) expect(draft.get(k)).toBe(v)
        for (const { version: v, expected } of kept) {
          expect(entriesOf(v)).toEqual(expected)
          expect(v.size).toBe(expected.length)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('cowDiff: a JS Map kept by applying each version\'s diff matches every version, order included', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 12 }), value: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('finish' as const) }),
    )
    // Few keys and long runs (size 'max': fast-check's default keeps arrays near 10): a key deleted and
    // set again within one version, the case that moves it in the order, comes up in most runs.
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300, size: 'max' }), (ops) => {
        const mirror = new Map<string, number>()
        let version = emptyCowMap<number>()
        let draft = new MapDraft(version)
        for (const o of [...ops, { kind: 'finish' as const }]) {
          if (o.kind === 'set') draft.set(`k${o.key}`, o.value)
          else if (o.kind === 'delete') draft.delete(`k${o.key}`)
          else {
            const next = draft.finish()
            const d = cowDiff(version, next)
            for (const k of d.deleted) mirror.delete(k)
            for (const e of d.set) mirror.set(e.k, e.v)
            expect([...mirror]).toEqual(entriesOf(next))
            // Nothing reported that did not change: every set is new, moved or a different value.
            for (const e of d.set) expect(cowGet(version, e.k) !== e.v || d.deleted.includes(e.k)).toBe(true)
            version = next
            draft = new MapDraft(version)
          }
        }
      }),
      { numRuns: 200 },
    )
  })

  it('cowDiff visits only what a draft copied: one write among 10,000 keys reports that entry alone', () => {
    const d = new MapDraft<{ n: number }>()
    for (let i = 0; i < 10_000; i++) d.set(`m${i}`, { n: i })
    const v1 = d.finish()
    const d2 = new MapDraft(v1)
    d2.set('m42', { n: -1 })
    const v2 = d2.finish()
    const diff = cowDiff(v1, v2)
    expect(diff).toEqual({ set: [{ k: 'm42', s: 42, v: { n: -1 } }], deleted: [] })
    expect(cowDiff(v2, v2)).toEqual({ set: [], deleted: [] })
  })

  it('finish() returns the base itself when nothing was written, a new version otherwise', () => {
    const base = new MapDraft<number>()
    base.set('a', 1)
    const v1 = base.finish()
    const d = new MapDraft(v1)
    expect(d.get('a')).toBe(1)
    expect(d.delete('zzz')).toBe(false)
    expect(d.finish()).toBe(v1)
    const d2 = new MapDraft(v1)
    d2.set('a', 2)
    const v2 = d2.finish()
    expect(v2).not.toBe(v1)
    expect([cowGet(v1, 'a'), cowGet(v2, 'a')]).toEqual([1, 2])
  })

  it('writes after finish() copy again instead of changing the version returned', () => {
    const d = new MapDraft<number>()
    d.set('a', 1)
    const v1 = d.finish()
    d.set('a', 2)
    d.set('b', 3)
    expect(entriesOf(v1)).toEqual([['a', 1]])
    expect(entriesOf(d.finish())).toEqual([
      ['a', 2],
      ['b', 3],
    ])
  })

  it('shares what a write did not touch: one write in 10,000 keys copies a path, not the map', () => {
    const d = new MapDraft<{ n: number }>()
    for (let i = 0; i < 10_000; i++) d.set(`m${i}`, { n: i })
    const v1 = d.finish()
    const d2 = new MapDraft(v1)
    d2.set('m5', { n: -5 })
    const v2 = d2.finish()
    let same = 0
    cowForEach(v1, (v, k) => {
      if (cowGet(v2, k) === v) same++
    })
    expect(same).toBe(9_999)
    // Of the root's 32 children, the write replaced one.
    const children = (v: CowMap<unknown>) => v.root as ReadonlyArray<unknown>
    expect(children(v1).filter((c, i) => c !== children(v2)[i])).toHaveLength(1)
  })

  it('is plain data: a structured clone reads the same', () => {
    const d = new MapDraft<{ n: bigint }>()
    for (let i = 0; i < 500; i++) d.set(`m${i}`, { n: BigInt(i) })
    d.delete('m7')
    const v = d.finish()
    const copy = structuredClone(v)
    expect(cowEntries(copy)).toEqual(cowEntries(v))
    const d2 = new MapDraft(copy)
    d2.set('m7', { n: 7n })
    expect(d2.entries().at(-1)).toEqual({ k: 'm7', s: 500, v: { n: 7n } })
  })
})
