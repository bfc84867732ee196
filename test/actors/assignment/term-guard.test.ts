/** The worker-side acceptor: (term, version) ordering, the election's view, bounded jumps, counted refusals. */
import { describe, expect, it } from 'vitest'
import { encodeAssignment } from '../../../actors/assignment/assignment-codec.ts'
import { createAssignment } from '../../../actors/assignment/assignment.ts'
import { createTermGuard, observeTerm, offerAssignment, offerEncoded, type TermGuardState } from '../../../actors/assignment/term-guard.ts'

const at = (term: number, version: number) => ({ term, version })

/** Offers each (term, version) in turn; returns the verdicts as 'ok' or the refusal reason, and the final guard. */
function run(offers: Array<{ term: number; version: number }>, start: TermGuardState = createTermGuard()): { verdicts: string[]; guard: TermGuardState } {
  let guard = start
  const verdicts: string[] = []
  for (const o of offers) {
    const out = offerAssignment(guard, o)
    guard = out.guard
    verdicts.push(out.verdict.accepted ? 'ok' : out.verdict.reason)
  }
  return { verdicts, guard }
}

describe('term guard', () => {
  it('accepts newer versions and newer terms, refuses the past, and counts each refusal', () => {
    const { verdicts, guard } = run([at(3, 10), at(3, 11), at(3, 11), at(3, 9), at(2, 50), at(4, 5), at(3, 12), at(4, 6)])
    expect(verdicts).toEqual(['ok', 'ok', 'duplicate', 'stale-version', 'stale-term', 'ok', 'stale-term', 'ok'])
    expect(guard.accepted).toBe(4)
    expect(guard.refused).toMatchObject({ duplicate: 1, 'stale-version': 1, 'stale-term': 2 })
    expect([guard.term, guard.version]).toEqual([4, 6])
    expect(guard.lastRefusal).toMatchObject({ reason: 'stale-term', code: 'ERR_ASSIGNMENT_STALE_TERM' })
  })

  it('lets a new term win whatever its version (the new leader may not have seen the last publication)', () => {
    expect(run([at(5, 100), at(6, 1)]).verdicts).toEqual(['ok', 'ok'])
  })

  it('refuses an older term once the election reports a newer one, before any assignment of it arrives', () => {
    const g = observeTerm(run([at(3, 10)]).guard, 4)
    expect(run([at(3, 11), at(4, 1)], g).verdicts).toEqual(['stale-term', 'ok'])
    // An older report does not lower it.
    expect(observeTerm(g, 2).electedTerm).toBe(4)
  })

  it('refuses a term implausibly far in the future, and accepts it once the election confirms it', () => {
    const g = run([at(3, 10)]).guard
    expect(run([at(3 + 1_000_001, 1)], g).verdicts).toEqual(['future-term'])
    expect(run([at(Number.MAX_SAFE_INTEGER, 1)], g).verdicts).toEqual(['future-term'])
    expect(run([at(3 + 1_000_001, 1)], observeTerm(g, 3 + 1_000_000)).verdicts).toEqual(['ok'])
    // The lead is configurable.
    expect(offerAssignment(g, at(13, 1), { maxTermLead: 5 }).verdict).toMatchObject({ accepted: false, reason: 'future-term', error: { code: 'ERR_ASSIGNMENT_FUTURE_TERM' } })
  })

  it('accepts any valid first term on a fresh guard (an old cluster may be at lease revision millions)', () => {
    expect(run([at(7_000_000, 1)]).verdicts).toEqual(['ok'])
  })

  it('refuses terms and versions that are not non-negative safe integers', () => {
    expect(run([at(-1, 1), at(1.5, 1), at(1, Number.NaN), at(2 ** 53, 1)]).verdicts).toEqual(['invalid', 'invalid', 'invalid', 'invalid'])
  })

  it('decodes and offers bytes; corrupt and oversized ones are counted refusals with their codes', () => {
    const a = createAssignment({ version: 2, term: 1, partitions: 4, workers: [{ id: 'w', weight: 1 }], owners: new Uint16Array(4) })
    const bytes = encodeAssignment(a)
    let out = offerEncoded(createTermGuard(), bytes)
    expect(out.verdict.accepted).toBe(true)
    expect(out.assignment?.version).toBe(2)
    const damaged = bytes.slice()
    damaged[30] = damaged[30]! ^ 1
    out = offerEncoded(out.guard, damaged)
    expect(out.verdict).toMatchObject({ accepted: false, reason: 'corrupt', error: { code: 'ERR_ASSIGNMENT_CORRUPT' } })
    out = offerEncoded(out.guard, bytes, { maxTermLead: 10, maxBytes: 10 })
    expect(out.verdict).toMatchObject({ accepted: false, reason: 'oversized', error: { code: 'ERR_ASSIGNMENT_OVERSIZED' } })
    out = offerEncoded(out.guard, bytes)
    expect(out.verdict).toMatchObject({ accepted: false, reason: 'duplicate' })
    expect(out.assignment).toBeUndefined()
    expect(out.guard.refused).toMatchObject({ corrupt: 1, oversized: 1, duplicate: 1 })
  })

  it('keeps its state as plain cloneable data', () => {
    const g = run([at(1, 1), at(0, 1)]).guard
    expect(structuredClone(g)).toEqual(g)
  })
})
