/**
 * bench:agents' ruler (bench/agents/rpc-poll.ts) on a simulated clock, with stand-in agents whose
 * state changes at a known time and whose replies take a known latency: an agent's time is the
 * arrival of the first reply that shows the condition (late by at most one poll interval plus that
 * reply's latency), each agent is polled on its own cadence (a slow agent does not hold back the
 * others' polls), failed and unanswered polls count as "not yet", and the cap gives null. Also the
 * median of trials (bench/agents/trials.ts), where a trial past the cap ranks above every time.
 */
import { describe, expect, it } from 'vitest'
import { timeUntil, type MemberView, type Polled } from '../../../bench/agents/rpc-poll.ts'
import { median } from '../../../bench/agents/trials.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'

const ALIVE: MemberView = new Map([['b', 'alive']])
const NOT_YET: MemberView = new Map()
const isAlive = (v: MemberView) => v.get('b') === 'alive'

/**
 * An agent that reads its state when a poll arrives (the moment it is sent: loopback) and answers
 * `latencyMs` later; `aliveFrom`: the time (ms) from which its view shows b alive.
 */
function stand(clock: SimulatedClock, latencyMs: number, aliveFrom: number, opts: { failFirst?: number; hang?: boolean } = {}): Polled & { sent: number[] } {
  const sent: number[] = []
  return {
    sent,
    members() {
      const at = clock.now()
      sent.push(at)
      if (opts.hang === true) return new Promise<MemberView>(() => {})
      const fail = sent.length <= (opts.failFirst ?? 0)
      return new Promise<MemberView>((resolve, reject) => {
        clock.setTimeout(() => (fail ? reject(new Error('connection reset')) : resolve(at >= aliveFrom ? ALIVE : NOT_YET)), latencyMs)
      })
    },
  }
}

async function run(clock: SimulatedClock, agents: Polled[], opts: { capMs?: number; pollMs?: number } = {}) {
  const until = timeUntil(agents, isAlive, { start: clock.now(), capMs: opts.capMs ?? 10_000, pollMs: opts.pollMs ?? 20, clock })
  await clock.advance((opts.capMs ?? 10_000) + 1_000)
  return until
}

describe('timeUntil (bench:agents polling)', () => {
  it('takes an agent\'s time when the first reply that shows the condition arrives, not at a coarser poll', async () => {
    const clock = new SimulatedClock()
    const a = stand(clock, 3, 113)
    const r = await run(clock, [a])
    // Polls go out every 20 ms; the one sent at 120 ms is the first to see it, and answers at 123 ms.
    expect(a.sent).toEqual([0, 20, 40, 60, 80, 100, 120])
    expect(r).toMatchObject({ seconds: 0.123, perAgentS: [0.123], polls: [7] })
    // The reply of the poll sent at 100 ms was the last one that did not show it.
    expect(r.lastPending).toEqual([NOT_YET])
  })

  it('polls each agent on its own cadence: a slow reply does not hold back the other agents\' polls', async () => {
    const clock = new SimulatedClock()
    const slow = stand(clock, 150, 0)
    const quick = stand(clock, 1, 50)
    const r = await run(clock, [slow, quick])
    expect(quick.sent).toEqual([0, 20, 40, 60])
    expect(r.perAgentS).toEqual([0.15, 0.061])
    expect(r.seconds).toBe(0.15)
  })

  it('keeps one poll in flight per agent: after a reply slower than the interval it polls again at once', async () => {
    const clock = new SimulatedClock()
    const a = stand(clock, 50, 60)
    const r = await run(clock, [a])
    expect(a.sent).toEqual([0, 50, 100])
    expect(r.perAgentS).toEqual([0.15])
  })

  it('counts a failed poll as not yet and keeps polling', async () => {
    const clock = new SimulatedClock()
    const a = stand(clock, 3, 0, { failFirst: 2 })
    const r = await run(clock, [a])
    expect(r).toMatchObject({ seconds: 0.043, perAgentS: [0.043], polls: [3] })
    // Failed polls leave no view behind.
    expect(r.lastPending).toEqual([undefined])
  })

  it('gives null past the cap, for a condition that never holds and for a reply that never comes', async () => {
    const clock = new SimulatedClock()
    const never = stand(clock, 3, Number.POSITIVE_INFINITY)
    const hung = stand(clock, 0, 0, { hang: true })
    const done = stand(clock, 3, 0)
    const r = await run(clock, [never, hung, done], { capMs: 1_000 })
    expect(r.seconds).toBeNull()
    expect(r.perAgentS).toEqual([null, null, 0.003])
    // 0, 20, ..., 980 ms: the poll due at 1000 ms is not sent.
    expect(r.polls).toEqual([50, 1, 1])
    expect(clock.pending).toBe(0)
  })
})

describe('median of trials', () => {
  it('takes the middle trial, or the mean of the middle two', () => {
    expect(median([0.3, 0.1, 0.2])).toBe(0.2)
    expect(median([0.4, 0.2])).toBeCloseTo(0.3, 12)
  })

  it('ranks a trial past the cap (null) above every time', () => {
    expect(median([0.3, null, 0.1])).toBe(0.3)
    expect(median([null, null, 0.1])).toBeNull()
    expect(median([0.2, null])).toBeNull()
    expect(median([])).toBeNull()
  })
})
