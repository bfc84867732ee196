/**
 * The calculator's takeover (calculator.ts header): a leader of a new term that starts from a
 * previous term's assignment publishes at once, under its own term, moving only the partitions of
 * workers that are not alive; the restart window then runs as before. And the compute pool's whole
 * round (rebalance.ts computeRound): checked, capped, compared and encoded there, so the calculator's
 * turn that takes its answer does O(1) work.
 */
import { describe, expect, it } from 'vitest'
import { movedMask, ownerOf, partitionsOf, sameOwners, type Assignment } from '../../../actors/assignment/assignment.ts'
import { decodeAssignment } from '../../../actors/assignment/assignment-codec.ts'
import type { CalculatorEffect } from '../../../actors/assignment/calculator-types.ts'
import { createAssignmentConfig, type AssignmentInit } from '../../../actors/assignment/config.ts'
import { attachWorkers, computeRound, rebalanceRequest } from '../../../actors/assignment/rebalance.ts'
import { consistentHash } from '../../../actors/assignment/strategies/consistent-hash.ts'
import { CalculatorHost } from './calculator-host.ts'
import { workers } from './support.ts'

const config = (init: Partial<AssignmentInit> = {}) => createAssignmentConfig({ partitions: 1000, maxMovesFraction: 1, ...init })
const last: Assignment = consistentHash().assign({ partitions: 1000, workers: workers(4, 1, 'w'), term: 4, version: 9 })
const withoutW2 = workers(4, 1, 'w').filter((w) => w.id !== 'w2')

/** Only the partitions `last` gave to `gone` moved in `next`. */
function onlyMoved(next: Assignment, gone: string): boolean {
  const mask = movedMask(last, next)
  for (let p = 0; p < last.partitions; p++) if ((mask[p] === 1) !== (ownerOf(last, p) === gone)) return false
  return true
}

describe('assignment calculator: takeover by a new term', () => {
  it('publishes at once under the new term, moving only the partitions of a worker that is not alive; the window still runs', () => {
    const h = new CalculatorHost({ config: config(), term: 5, workers: withoutW2, lastPublished: last })
    // No time has passed: the takeover is the start's own effect.
    expect(h.published).toHaveLength(1)
    expect([h.last!.term, h.last!.version, h.phase, h.timers.get('window'), h.state.stats.takeovers]).toEqual([5, 10, 'restart', 10_000, 1])
    expect(onlyMoved(h.last!, 'w2')).toBe(true)
    expect(partitionsOf(h.last!, 'w2')).toEqual([])
    h.ack()
    // w2 comes back inside the window: the full rebalance at its end gives it partitions again.
    h.join('w2')
    h.advance(10_000)
    expect(h.published).toHaveLength(2)
    expect(partitionsOf(h.last!, 'w2').length).toBeGreaterThan(0)
    h.ack()
    expect(h.phase).toBe('stable')
  })

  it('fences the old term with the mapping unchanged when every worker is alive, and publishes nothing more at the window', () => {
    const h = new CalculatorHost({ config: config(), term: 5, workers: workers(4, 1, 'w'), lastPublished: last })
    expect([h.published.length, h.last!.term, h.last!.version, sameOwners(last, h.last!)]).toEqual([1, 5, 10, true])
    h.ack()
    h.advance(10_000)
    expect([h.published.length, h.state.stats.unchanged, h.phase]).toEqual([1, 1, 'stable'])
  })

  it('keeps the partitions of alive members that have not registered with this leader yet; drops them at the window if they never do', () => {
    // membership: only w0 (this node) is registered; w1..w3 are alive members that will register.
    const h = new CalculatorHost({ config: config(), term: 5, workers: [{ id: 'w0', weight: 1 }], alive: ['w1', 'w2', 'w3'], lastPublished: last })
    expect(sameOwners(last, h.last!)).toBe(true)
    h.ack()
    h.join('w1')
    h.join('w3')
    h.advance(10_000)
    // w2 never registered: the restart rebalance moves its partitions (and only those).
    expect(onlyMoved(h.last!, 'w2')).toBe(true)
  })

  it('does not take over when the same term restarts (an actor restart) or when the restart window is 0', () => {
    const same = new CalculatorHost({ config: config(), term: 4, workers: withoutW2, lastPublished: last })
    expect([same.published.length, same.state.stats.takeovers]).toEqual([0, 0])
    const noWindow = new CalculatorHost({ config: config({ restartWindowMs: 0 }), term: 5, workers: withoutW2, lastPublished: last })
    expect(noWindow.published).toHaveLength(0)
    noWindow.advance(0)
    expect([noWindow.published.length, noWindow.state.stats.takeovers]).toEqual([1, 0])
  })

  it('runs a large takeover on the pool with no voluntary move, and keeps its answer when a worker registers meanwhile', () => {
    const h = new CalculatorHost({ config: config({ inlineWorkLimit: 0 }), term: 5, workers: withoutW2, lastPublished: last })
    expect(h.computeQueue).toHaveLength(1)
    expect(h.computeQueue[0]!.request.round?.cap).toBe(0)
    h.join('w9') // generation changes: a takeover's worker set was fixed when it began
    h.runCompute()
    expect([h.published.length, h.state.stats.computeDiscarded, h.last!.term]).toEqual([1, 0, 5])
    expect(onlyMoved(h.last!, 'w2')).toBe(true)
    expect(h.last!.workers.map((w) => w.id)).toEqual(['w0', 'w1', 'w3'])
  })
})

describe('assignment calculator: rounds computed whole on the pool', () => {
  const publishOf = (effects: CalculatorEffect[]) => effects.find((e): e is Extract<CalculatorEffect, { type: 'publish' }> => e.type === 'publish')

  it('publishes the pool round as it came, with its encoding, and caps moves there', () => {
    const h = new CalculatorHost({ config: config({ inlineWorkLimit: 0, maxMovesFraction: 0.1 }), term: 2, workers: workers(2, 1, 'w') })
    h.advance(30_000)
    h.runCompute()
    h.ack()
    h.join('w2')
    h.advance(30_000)
    const job = h.computeQueue[0]!
    expect(job.request.round?.cap).toBe(100)
    const effects = h.runCompute()
    const publish = publishOf(effects)!
    expect(publish.encoded).toBeInstanceOf(Uint8Array)
    expect(sameOwners(decodeAssignment(publish.encoded!), publish.assignment)).toBe(true)
    expect([h.state.stats.lastMoved, h.state.movesPending]).toEqual([100, true])
    // The next capped round continues the same target on the pool (no strategy run there).
    h.ack()
    h.advance(10_000)
    expect(h.computeQueue[0]!.request.round?.target).toBeDefined()
  })

  it('refuses a pool round that does not fit (another version), counts it and computes inline', () => {
    const h = new CalculatorHost({ config: config({ inlineWorkLimit: 0 }), term: 2, workers: workers(2, 1, 'w') })
    h.advance(30_000)
    const job = h.computeQueue.shift()!
    const result = attachWorkers(computeRound(job.request, { encode: false }), job.request)
    h.send({ type: 'round-computed', requestId: job.requestId, result: { ...result, assignment: { ...result.assignment, version: 7 } } })
    expect([h.state.stats.computeFailures, h.state.stats.refused['ERR_ASSIGNMENT_INVALID_PARTITIONS'], h.published.length, h.last!.version]).toEqual([1, 1, 1, 1])
  })

  it('checks the strategy answer in full on the pool: an owner outside the table is a coded error there', () => {
    const request = { ...rebalanceRequest(config(), workers(2, 1, 'w'), undefined, 1), round: { cap: 0, target: { ...consistentHash().assign({ partitions: 1000, workers: workers(2, 1, 'w'), term: 1, version: 1 }), owners: new Uint16Array(1000).fill(5) } } }
    expect(() => computeRound(request, { encode: true })).toThrow(expect.objectContaining({ code: 'ERR_ASSIGNMENT_INVALID_WORKER' }))
  })
})
