/**
 * The update rule against real Serf agents: an agent's coordinate in one captured ack, the
 * coordinate it had received from its peer in an earlier ack, and the rule must lead from one to
 * the other. The RTT the agent measured was not captured; it is recovered from the change of
 * Error (Error' = ce·w·|dist − rtt|/rtt + Error·(1 − ce·w) solves for rtt, rounded to whole
 * nanoseconds as Go measured it), and then every other field (8 Vec entries, Adjustment, Height)
 * must come out of our client as the agent computed them.
 *
 * - A fresh agent updating from a peer's non-zero coordinate uses no randomness: the result must
 *   match bit for bit.
 * - An agent's first update (both at the origin) takes a random direction; the injected source
 *   replays the direction the agent drew, and a second update from that state must match to 1e-12.
 */
import { describe, expect, it } from 'vitest'
import { createCoordinateConfig, decodeCoordinatePayload, distanceSeconds, VivaldiClient } from '../../src/coordinate/index.ts'
import type { Coordinate } from '../../src/coordinate/index.ts'
import { capturedAcks } from './captured.ts'

const config = createCoordinateConfig()
const acks = new Map(capturedAcks().map((a) => [a.id, decodeCoordinatePayload(a.payload, { dimensionality: 8 })!]))
const ack = (id: string): Coordinate => {
  const c = acks.get(id)
  if (c === undefined) throw new Error(`no captured ack ${id}`)
  return c
}

/** A source that must not be drawn from (a deterministic update). */
const NO_RANDOM = {
  next: (): number => {
    throw new Error('the update drew a random number')
  },
}

/** Draws that make the random direction the unit vector of `direction`. */
function replayDirection(direction: readonly number[]): { next(): number } {
  const mag = Math.hypot(...direction)
  let i = 0
  return { next: () => 0.5 + (0.25 * direction[i++ % direction.length]!) / mag }
}

/** The RTT samples (ms, whole ns) that turn `before`'s Error into `after`'s, given the peer's coordinate. */
function rttCandidates(before: Coordinate, other: Coordinate, after: Coordinate): number[] {
  const w = before.Error / (before.Error + other.Error)
  const wrongness = (after.Error - before.Error * (1 - config.vivaldiCE * w)) / (config.vivaldiCE * w)
  const dist = distanceSeconds(before, other)
  return [dist / (1 - wrongness), dist / (1 + wrongness)].filter((s) => s > 0).map((s) => Math.round(s * 1e9) / 1e6)
}

const fields = (c: Coordinate): number[] => [...c.Vec, c.Error, c.Adjustment, c.Height]
const maxRelativeError = (a: Coordinate, b: Coordinate): number => {
  const x = fields(a)
  const y = fields(b)
  return Math.max(...x.map((v, i) => Math.abs(v - y[i]!) / Math.max(Math.abs(y[i]!), 1e-300)))
}

/** Applies `other` to `client` with the candidate RTT that reproduces `after` best; returns its error. */
function bestReplay(make: () => VivaldiClient, before: Coordinate, other: Coordinate, after: Coordinate): { client: VivaldiClient; error: number; rttMs: number } {
  let best: { client: VivaldiClient; error: number; rttMs: number } | undefined
  for (const rttMs of rttCandidates(before, other, after)) {
    const client = make()
    const result = client.update('b', other, rttMs)
    if (result.type !== 'updated') throw result.error
    const error = maxRelativeError(result.coordinate, after)
    if (best === undefined || error < best.error) best = { client, error, rttMs }
  }
  return best!
}

describe('VivaldiClient against captured Serf 0.9.4 agents', () => {
  it('has the captured acks it replays', () => {
    expect(acks.size).toBeGreaterThanOrEqual(20)
  })

  // [the peer's coordinate the agent received, the agent's coordinate after its first update]
  const deterministic = [
    ['plain-08', 'plain-10'],
    ['leave-10', 'leave-12'],
    ['compressed-15', 'compressed-16'],
    ['conflict-11', 'conflict-13'],
    ['failure-16', 'failure-17'],
  ] as const
  for (const [otherId, afterId] of deterministic) {
    it(`reproduces ${afterId} bit for bit from a fresh agent and ${otherId}`, () => {
      const fresh = new VivaldiClient(config, NO_RANDOM)
      const { client, error, rttMs } = bestReplay(() => new VivaldiClient(config, NO_RANDOM), fresh.coordinate, ack(otherId), ack(afterId))
      expect(rttMs).toBeGreaterThan(0.05) // loopback: tens of µs to a few ms
      expect(rttMs).toBeLessThan(10)
      expect(error).toBe(0)
      expect(client.coordinate).toEqual(ack(afterId))
    })
  }

  // [the fresh peer's coordinate, the agent after update 1, the peer's coordinate of update 2, the
  // agent after update 2, the peer of update 2]. Agent a's first peer is always b: when b answers
  // again, b's latency filter holds both samples (the median of two is the larger).
  const chains = [
    ['compressed-12', 'compressed-15', 'compressed-16', 'compressed-17', 'c'],
    ['leave-08', 'leave-10', 'leave-16', 'leave-18', 'b'],
    ['conflict-09', 'conflict-11', 'conflict-13', 'conflict-14', 'b'],
    ['failure-12', 'failure-16', 'failure-17', 'failure-18', 'b'],
  ] as const
  for (const [first, afterFirst, second, afterSecond, secondPeer] of chains) {
    it(`follows an agent through a random first step (${afterFirst}) and a second update (${afterSecond})`, () => {
      const make = (): VivaldiClient => new VivaldiClient(config, replayDirection(ack(afterFirst).Vec))
      const step1 = bestReplay(make, make().coordinate, ack(first), ack(afterFirst))
      expect(step1.error).toBeLessThan(1e-12)
      expect(step1.client.coordinate.Error).toBe(ack(afterFirst).Error) // Error does not depend on the direction
      let worst = Infinity
      for (const rttMs of rttCandidates(ack(afterFirst), ack(second), ack(afterSecond))) {
        const client = make()
        client.update('b', ack(first), step1.rttMs)
        const result = client.update(secondPeer, ack(second), rttMs)
        if (result.type !== 'updated') throw result.error
        worst = Math.min(worst, maxRelativeError(result.coordinate, ack(afterSecond)))
      }
      expect(worst).toBeLessThan(1e-12)
    })
  }
})
