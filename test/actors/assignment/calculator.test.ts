/**
 * The calculator core's states on simulated time (CalculatorHost: no real timers): cold start,
 * planned scale with its window and rate limit, emergency hysteresis, mass failure, restart from
 * the last published assignment, capped rounds, publication retries, the compute pool path, stop
 * (lessons/003), and refused input.
 */
import { describe, expect, it } from 'vitest'
import { loadsOf, movedCount, movedMask, ownerOf, partitionsOf, sameOwners } from '../../../actors/assignment/assignment.ts'
import { startCalculator } from '../../../actors/assignment/calculator.ts'
import { createAssignmentConfig, type AssignmentInit } from '../../../actors/assignment/config.ts'
import { estimateWork, rebalanceRequest } from '../../../actors/assignment/rebalance.ts'
import { consistentHash } from '../../../actors/assignment/strategies/consistent-hash.ts'
import { CalculatorHost } from './calculator-host.ts'
import { codeOf, workers } from './support.ts'

const config = (init: Partial<AssignmentInit> = {}) => createAssignmentConfig({ partitions: 1000, maxMovesFraction: 1, ...init })

/** A leader whose cold start assigned 1000 partitions to w0..w(n-1), acknowledged at 30 s. */
function stableWith(n: number, init: Partial<AssignmentInit> = {}, term = 3): CalculatorHost {
  const h = new CalculatorHost({ config: config(init), term, workers: workers(n, 1, 'w') })
  h.advance(30_000)
  if (h.computeQueue.length > 0) h.runCompute()
  h.ack()
  return h
}

describe('assignment calculator: cold start', () => {
  it('waits the cold-start window for the fleet, publishes once, and settles after the ack', () => {
    const h = new CalculatorHost({ config: config(), term: 3 })
    expect(h.phase).toBe('cold-start')
    expect(h.timers.get('window')).toBe(30_000)
    h.advance(1000)
    h.join('w0')
    h.advance(1000)
    h.join('w1')
    h.join('w2')
    h.advance(27_999)
    expect(h.published).toEqual([])
    h.advance(1)
    expect(h.published).toHaveLength(1)
    const a = h.last!
    expect([a.version, a.term, a.workers.map((w) => w.id)]).toEqual([1, 3, ['w0', 'w1', 'w2']])
    expect(Math.max(...loadsOf(a))).toBeLessThanOrEqual(334)
    expect(h.phase).toBe('cold-start')
    h.ack()
    expect(h.phase).toBe('stable')
    expect([...h.timers.keys()]).toEqual([])
    expect(h.state.stats).toMatchObject({ published: 1, acked: 1, movedTotal: 1000 })
  })

  it('publishes nothing when nobody registered, and assigns after the first join', () => {
    const h = new CalculatorHost({ config: config(), term: 1 })
    h.advance(30_000)
    expect([h.published.length, h.phase, h.state.stats.noCapacity]).toEqual([0, 'stable', 1])
    h.join('w0')
    expect(h.phase).toBe('planned-scale')
    h.advance(10_000)
    expect(partitionsOf(h.last!, 'w0')).toHaveLength(1000)
  })

  it('counts a worker of weight 0 but gives it nothing until its weight rises', () => {
    const h = stableWith(3)
    h.join('drain', 0)
    h.advance(20_000)
    // Nothing to move: the mapping is unchanged, so nothing is published.
    expect([h.published.length, h.state.stats.unchanged, h.phase]).toEqual([1, 1, 'stable'])
    expect(h.state.live.map((w) => w.id)).toContain('drain')
    h.join('drain', 1)
    h.advance(20_000)
    expect(partitionsOf(h.last!, 'drain').length).toBeGreaterThan(150)
  })
})

describe('assignment calculator: planned scale', () => {
  it('starts the window only after the minimum rebalance interval, and does not extend it', () => {
    const h = stableWith(3) // rebalanced at 30 s
    h.advance(1000)
    const effects = h.join('w3') // at 31 s: the window may start at 40 s, so it fires at 50 s
    expect(effects).toContainEqual({ type: 'set-timer', key: 'window', ms: 19_000 })
    expect(h.phase).toBe('planned-scale')
    h.advance(2000)
    expect(h.join('w4')).toEqual([]) // the same window covers it
    h.advance(16_999)
    expect(h.published).toHaveLength(1)
    h.advance(1)
    expect(h.published).toHaveLength(2)
    const [before, after] = h.published
    // Only the newcomers took partitions, about 2/5 of them.
    const mask = movedMask(before, after!)
    let moved = 0
    for (let p = 0; p < 1000; p++) if (mask[p] === 1) moved++, expect(['w3', 'w4']).toContain(ownerOf(after!, p))
    expect(moved).toBeGreaterThan(300)
    expect(moved).toBeLessThanOrEqual(400)
    expect(after!.version).toBe(2)
    h.ack()
    expect(h.phase).toBe('stable')
  })

  it('moves only the leaver partitions on a graceful leave, after the window', () => {
    const h = stableWith(5)
    h.advance(20_000)
    const before = h.last!
    h.send({ type: 'worker-left', id: 'w2' })
    h.advance(9_999)
    expect(h.published).toHaveLength(1)
    h.advance(1)
    const mask = movedMask(before, h.last!)
    for (let p = 0; p < 1000; p++) expect(mask[p] === 1).toBe(ownerOf(before, p) === 'w2')
  })
})

describe('assignment calculator: emergency', () => {
  it('ignores a failure that heals within the grace (hysteresis)', () => {
    const h = stableWith(4)
    expect(h.send({ type: 'worker-failed', id: 'w1' })).toEqual([{ type: 'set-timer', key: 'grace:w1', ms: 3000 }])
    h.advance(2000)
    expect(h.join('w1')).toEqual([{ type: 'cancel-timer', key: 'grace:w1' }])
    h.advance(60_000)
    expect(h.published).toHaveLength(1)
    expect([h.phase, h.state.stats.transientFailures, h.state.stats.emergencies]).toEqual(['stable', 1, 0])
  })

  it('rebalances at once when the grace runs out, ignoring the rate limit, moving only the orphans', () => {
    const h = stableWith(4) // last rebalance at 30 s
    const before = h.last!
    h.send({ type: 'worker-failed', id: 'w2' })
    h.advance(2999)
    expect(h.published).toHaveLength(1)
    h.advance(1) // 33 s: within the 10 s interval, still published
    expect(h.published).toHaveLength(2)
    expect(h.phase).toBe('emergency')
    expect(h.last!.workers.map((w) => w.id)).toEqual(['w0', 'w1', 'w3'])
    expect(movedCount(before, h.last!)).toBe(partitionsOf(before, 'w2').length)
    expect(h.state.stats.emergencies).toBe(1)
    h.ack()
    expect(h.phase).toBe('stable')
  })

  it('treats more than restartRatio of the workers failing at once as a restart: waits, then moves only what stayed gone', () => {
    const h = stableWith(4)
    const before = h.last!
    for (const id of ['w0', 'w1', 'w2']) h.send({ type: 'worker-failed', id })
    h.advance(3000)
    expect([h.phase, h.state.stats.massFailures, h.state.stats.emergencies, h.published.length]).toEqual(['restart', 1, 0, 1])
    expect(h.timers.get('window')).toBe(33_000 + 30_000)
    h.advance(5000)
    h.join('w0')
    h.join('w1')
    h.advance(25_000)
    expect(h.published).toHaveLength(2)
    const mask = movedMask(before, h.last!)
    for (let p = 0; p < 1000; p++) expect(mask[p] === 1).toBe(ownerOf(before, p) === 'w2')
  })

  it('waits for the acknowledgement before an emergency rebalance, then runs it', () => {
    const h = new CalculatorHost({ config: config(), term: 1, workers: workers(2, 1, 'w') })
    h.advance(30_000) // v1 published, not acknowledged
    h.send({ type: 'worker-failed', id: 'w1' })
    h.advance(3000)
    expect([h.published.length, h.state.due]).toEqual([1, 'emergency'])
    h.ack()
    expect(h.published).toHaveLength(2)
    expect(partitionsOf(h.last!, 'w0')).toHaveLength(1000)
  })
})

describe('assignment calculator: restart from the last published assignment', () => {
  const last = consistentHash().assign({ partitions: 1000, workers: workers(4, 1, 'w'), term: 4, version: 9 })

  it('republishes an unchanged mapping under a new term at once (the takeover fences the old leader), version continued', () => {
    const h = new CalculatorHost({ config: config(), term: 5, workers: workers(4, 1, 'w'), lastPublished: last })
    expect([h.phase, h.timers.get('window')]).toEqual(['restart', 10_000])
    expect([h.published.length, h.last!.term, h.last!.version, sameOwners(last, h.last!)]).toEqual([1, 5, 10, true])
    h.ack()
    h.advance(10_000)
    expect([h.published.length, h.phase]).toEqual([1, 'stable'])
  })

  it('publishes nothing when the same term restarts (an actor restart) and nothing changed', () => {
    const h = new CalculatorHost({ config: config(), term: 4, workers: workers(4, 1, 'w'), lastPublished: last })
    h.advance(10_000)
    expect([h.published.length, h.state.stats.unchanged, h.phase]).toEqual([0, 1, 'stable'])
  })

  it('moves only the partitions of a worker that did not come back', () => {
    const h = new CalculatorHost({ config: config(), term: 5, workers: workers(4, 1, 'w').filter((w) => w.id !== 'w2'), lastPublished: last })
    h.advance(10_000)
    const mask = movedMask(last, h.last!)
    for (let p = 0; p < 1000; p++) expect(mask[p] === 1).toBe(ownerOf(last, p) === 'w2')
  })

  it('refuses to start under a term older than the last published one', () => {
    expect(codeOf(() => startCalculator({ config: config(), term: 3, now: 0, lastPublished: last }))).toBe('ERR_ASSIGNMENT_STALE_TERM')
  })
})

describe('assignment calculator: per-round move cap', () => {
  it('moves at most 10% a round, rounds minRebalanceIntervalMs apart, ending where one uncapped rebalance would', () => {
    const h = stableWith(2, { maxMovesFraction: 0.1 })
    const start = h.last!
    h.join('w2')
    h.join('w3')
    h.advance(20_000) // the window opens at 40 s (rate limit), first round at 50 s
    expect(h.published).toHaveLength(2)
    expect(movedCount(start, h.last!)).toBe(100)
    expect(h.state.movesPending).toBe(true)
    h.ack()
    expect(h.timers.get('round')).toBe(60_000)
    h.advance(60_000, { autoAck: true })
    const uncapped = consistentHash().assign({ partitions: 1000, workers: workers(4, 1, 'w'), previous: start })
    expect(sameOwners(h.last!, uncapped)).toBe(true)
    const rounds = h.published.slice(1)
    expect(rounds).toHaveLength(Math.ceil(movedCount(start, uncapped) / 100))
    for (let i = 1; i < rounds.length; i++) expect(movedCount(rounds[i - 1], rounds[i]!)).toBeLessThanOrEqual(100)
    expect(rounds.map((a) => a.version)).toEqual(rounds.map((_, i) => i + 2))
    expect(h.phase).toBe('stable')
  })

  it('never caps the partitions of a failed worker', () => {
    const h = stableWith(2, { maxMovesFraction: 0.1 })
    h.send({ type: 'worker-failed', id: 'w1' })
    h.advance(3000)
    expect(partitionsOf(h.last!, 'w0')).toHaveLength(1000)
    expect(h.state.movesPending).toBe(false)
  })
})

describe('assignment calculator: publication', () => {
  it('sends again when no acknowledgement comes, and after a failure; a stray ack is counted', () => {
    const h = new CalculatorHost({ config: config(), term: 1, workers: workers(1, 1, 'w') })
    h.advance(30_000)
    h.advance(10_000)
    expect(h.published.map((a) => a.version)).toEqual([1, 1])
    expect(h.send({ type: 'publish-failed', version: 1, error: { code: 'ERR_STORE', message: 'down' } })).toEqual([{ type: 'set-timer', key: 'publish', ms: 10_000 }])
    h.advance(10_000)
    expect(h.published).toHaveLength(3)
    h.ack()
    h.ack()
    expect(h.state.stats).toMatchObject({ publishRetries: 3, acked: 1, staleAcks: 1 })
    expect(h.phase).toBe('stable')
  })
})

describe('assignment calculator: compute pool', () => {
  it('keeps P = 10,000 over W = 100 inline by default and sends P = 100,000 over W = 1,000 to the pool', () => {
    const small = createAssignmentConfig({ partitions: 10_000 })
    const large = createAssignmentConfig({ partitions: 100_000 })
    expect(estimateWork(rebalanceRequest(small, workers(100), undefined, 1))).toBeLessThanOrEqual(small.inlineWorkLimit)
    expect(estimateWork(rebalanceRequest(large, workers(1000), undefined, 1))).toBeGreaterThan(large.inlineWorkLimit)
  })

  it('hands a large computation to the pool and publishes its answer', () => {
    const h = new CalculatorHost({ config: config({ inlineWorkLimit: 0 }), term: 2, workers: workers(3, 1, 'w') })
    h.advance(30_000)
    expect([h.published.length, h.computeQueue.length, h.state.stats.computeOffloaded]).toEqual([0, 1, 1])
    h.runCompute()
    const inline = consistentHash().assign({ partitions: 1000, workers: workers(3, 1, 'w'), term: 2 })
    expect(sameOwners(h.last!, inline)).toBe(true)
    expect([h.last!.term, h.last!.version]).toEqual([2, 1])
  })

  it('drops an answer computed for a live set that has changed since, and asks again', () => {
    const h = stableWith(3, { inlineWorkLimit: 0 }, 2)
    h.join('w3')
    h.advance(20_000) // window: request 2
    h.send({ type: 'worker-left', id: 'w0' })
    h.runCompute() // stale: computed with w0
    expect(h.state.stats.computeDiscarded).toBe(1)
    expect(h.computeQueue).toHaveLength(1)
    h.runCompute()
    expect(h.last!.workers.map((w) => w.id)).toEqual(['w1', 'w2', 'w3'])
    // An answer nobody asked for is counted too.
    h.send({ type: 'computed', requestId: 99, assignment: h.last! })
    expect(h.state.stats.computeDiscarded).toBe(2)
  })

  it('computes inline when the pool fails', () => {
    const h = new CalculatorHost({ config: config({ inlineWorkLimit: 0 }), term: 1, workers: workers(2, 1, 'w') })
    h.advance(30_000)
    const { requestId } = h.computeQueue.shift()!
    h.send({ type: 'compute-failed', requestId, error: { code: 'ERR_COMPUTE_DISABLED', message: 'no pool' } })
    expect([h.published.length, h.state.stats.computeFailures]).toEqual([1, 1])
  })
})

describe('assignment calculator: stop (lessons/003)', () => {
  it('cancels every timer and ignores whatever arrives afterwards, however late', () => {
    const h = new CalculatorHost({ config: config({ inlineWorkLimit: 0 }), term: 1, workers: workers(3, 1, 'w') })
    h.advance(30_000)
    h.runCompute() // published, not yet acknowledged
    h.send({ type: 'worker-failed', id: 'w1' })
    h.join('w9')
    const armed = [...h.timers.keys()].sort()
    expect(armed).toEqual(['grace:w1', 'publish', 'window'])
    const effects = h.send({ type: 'stop' })
    expect(effects.map((e) => (e.type === 'cancel-timer' ? e.key : e.type)).sort()).toEqual(armed)
    expect([h.phase, h.timers.size]).toEqual(['stopped', 0])
    // Late arrivals: a timer that had already fired, an ack, a second stop.
    expect(h.send({ type: 'timer-fired', key: 'window' })).toEqual([])
    expect(h.send({ type: 'published', version: 1 })).toEqual([])
    expect(h.send({ type: 'stop' })).toEqual([])
    expect(h.state.stats.ignoredAfterStop).toBe(3)
  })

  it('publishes nothing when a computation started before stop completes after it', () => {
    const h = new CalculatorHost({ config: config({ inlineWorkLimit: 0 }), term: 1, workers: workers(2, 1, 'w') })
    h.advance(30_000)
    h.send({ type: 'stop' })
    h.runCompute()
    expect(h.published).toEqual([])
  })

  it('continues the version line in the next leadership, started from what the last one published', () => {
    const first = stableWith(3)
    first.send({ type: 'stop' })
    const next = new CalculatorHost({ config: config(), term: 4, workers: workers(3, 1, 'w'), lastPublished: first.last! })
    next.advance(10_000)
    expect([next.last!.version, next.last!.term]).toEqual([2, 4])
  })
})

describe('assignment calculator: refused input', () => {
  it('counts bad and unknown inputs by code and changes nothing else', () => {
    const h = stableWith(2, { maxWorkers: 3 })
    const before = h.state
    expect(h.join('', 1)).toEqual([])
    expect(h.join('w5', -1)).toEqual([])
    expect(h.join('w6', Number.NaN)).toEqual([])
    expect(h.send({ type: 'worker-left', id: 'ghost' })).toEqual([])
    expect(h.send({ type: 'worker-failed', id: 'ghost' })).toEqual([])
    expect(h.send({ type: 'nonsense' } as never)).toEqual([])
    expect(h.send({ type: 'timer-fired', key: 'round' })).toEqual([])
    h.join('w2')
    expect(h.join('w3')).toEqual([])
    expect(h.state.stats.refused).toEqual({
      ERR_ASSIGNMENT_INVALID_WORKER: 3,
      ERR_ASSIGNMENT_UNKNOWN_WORKER: 2,
      ERR_ASSIGNMENT_UNKNOWN_INPUT: 1,
      ERR_ASSIGNMENT_TOO_MANY_WORKERS: 1,
    })
    expect(h.state.stats.lastRefusal?.code).toBe('ERR_ASSIGNMENT_TOO_MANY_WORKERS')
    expect(h.state.stats.staleTimers).toBe(1)
    expect(before.live.map((w) => w.id)).toEqual(['w0', 'w1'])
    expect(h.state.live.map((w) => w.id)).toEqual(['w0', 'w1', 'w2'])
  })

  it('re-arms a timer that fires a little early instead of dropping it (a drifting host clock)', () => {
    const h = new CalculatorHost({ config: config(), term: 3, workers: workers(2, 1, 'w') })
    const due = h.timers.get('window')!
    expect(due).toBeGreaterThan(0)
    // The host fires the cold-start window 0.001 ms before its due time.
    h.timers.delete('window')
    h.now = due - 0.001
    h.send({ type: 'timer-fired', key: 'window' })
    expect(h.published).toHaveLength(0)
    expect(h.state.stats.earlyTimers).toBe(1)
    expect(h.timers.get('window')).toBeCloseTo(due, 9)
    h.advance(1)
    expect(h.published).toHaveLength(1)
    expect(h.state.stats.staleTimers).toBe(0)
  })

  it('refuses a bad start with a coded error', () => {
    expect(codeOf(() => startCalculator({ config: config(), term: -1, now: 0 }))).toBe('ERR_ASSIGNMENT_INVALID_TERM')
    expect(codeOf(() => startCalculator({ config: config(), term: 1, now: 0, workers: [{ id: 'a', weight: Infinity }] }))).toBe('ERR_ASSIGNMENT_INVALID_WORKER')
    expect(codeOf(() => startCalculator({ config: config({ maxWorkers: 1 }), term: 1, now: 0, workers: workers(2) }))).toBe('ERR_ASSIGNMENT_TOO_MANY_WORKERS')
  })
})

describe('assignment calculator: state', () => {
  /** One scripted leadership; returns its effect log as JSON and its final state. */
  function script() {
    const h = stableWith(4, { maxMovesFraction: 0.1 })
    h.join('w4')
    h.send({ type: 'worker-failed', id: 'w1' })
    h.advance(40_000, { autoAck: true })
    h.join('w1')
    h.advance(40_000, { autoAck: true })
    return { log: JSON.stringify(h.log, (_, v: unknown) => (v instanceof Uint16Array ? Array.from(v) : v)), state: h.state }
  }

  it('is deterministic: the same inputs give the same effects', () => {
    expect(script().log).toBe(script().log)
  })

  it('is plain data that survives structured clone (the actor persists it)', () => {
    const { state } = script()
    expect(structuredClone(state)).toEqual(state)
  })
})
