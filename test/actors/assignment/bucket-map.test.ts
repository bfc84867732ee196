/** BucketMap (actors/assignment/bucket-map.ts): a persistent map whose versions share untouched buckets. */
import { describe, expect, it } from 'vitest'
import { BucketMapDraft, bmDelete, bmForEach, bmGet, bmHas, bmKeys, bmSet, emptyBucketMap, type BucketMap } from '../../../actors/assignment/bucket-map.ts'

describe('BucketMap', () => {
  it('behaves as a Map over many keys, any string included, and never changes an earlier version', () => {
    const ref = new Map<string, number>()
    let m: BucketMap<number> = emptyBucketMap()
    const versions: Array<[BucketMap<number>, Map<string, number>]> = []
    const keys = ['__proto__', 'constructor', '', 'ü', ...Array.from({ length: 3000 }, (_, i) => `w-${i % 2500}`)]
    keys.forEach((k, i) => {
      if (i % 7 === 3) {
        m = bmDelete(m, k)
        ref.delete(k)
      } else {
        m = bmSet(m, k, i)
        ref.set(k, i)
      }
      if (i % 500 === 0) versions.push([m, new Map(ref)])
    })
    for (const [v, r] of versions) {
      expect(v.size).toBe(r.size)
      for (const [k, x] of r) expect(bmGet(v, k)).toBe(x)
      expect(bmKeys(v).sort()).toEqual([...r.keys()].sort())
    }
    expect(bmHas(m, '__proto__')).toBe(ref.has('__proto__'))
    expect(Object.getPrototypeOf(structuredClone(m))).toBe(Object.prototype)
  })

  it('copies only the buckets a draft writes to, each once; an unwritten draft returns its base', () => {
    let m: BucketMap<boolean> = emptyBucketMap()
    for (let i = 0; i < 1000; i++) m = bmSet(m, `n${i}`, true)
    const d = new BucketMapDraft(m)
    expect(d.finish()).toBe(m)
    const d2 = new BucketMapDraft(m)
    d2.set('n1', false)
    d2.set('new', true)
    const next = d2.finish()
    let shared = 0
    for (let i = 0; i < 1024; i++) if (next.buckets[i] === m.buckets[i]) shared++
    expect(shared).toBeGreaterThanOrEqual(1022)
    expect([bmGet(m, 'n1'), bmGet(next, 'n1'), next.size, m.size]).toEqual([true, false, 1001, 1000])
    let n = 0
    bmForEach(next, () => n++)
    expect(n).toBe(1001)
  })
})
