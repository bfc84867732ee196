import { describe, expect, it } from 'vitest'
import { harness } from './harness.ts'
import { tickOffsetMs } from '../../../actors/swim/probe-rotation.ts'

describe('Prober: a failed probe', () => {
  it('suspects the incarnation it probed when nothing answered', () => {
    const h = harness()
    h.node.prober.tick()
    const target = h.lastPingTarget()
    h.clock.advanceSync(1_000) // probe deadline at health score 0: no ack, no nack
    expect(h.node.counters.probesFailed).toBe(1)
    expect(h.node.table.get(`n${target}`)).toMatchObject({ state: 'suspect', incarnation: 1 })
    expect(h.outputs.filter((o) => o.out.type === 'suspect').map((o) => o.out)).toEqual([{ type: 'suspect', node: `n${target}`, from: 'self', cause: 'probe' }])
  })

  it('does not suspect a newer incarnation the target refuted with during the probe (memberlist probeNode)', () => {
    const h = harness()
    h.node.prober.tick()
    const target = h.lastPingTarget()
    h.clock.advanceSync(300)
    // The target's refutation (or any newer alive) reaches us while its ack is lost.
    h.receive(3 === target ? 4 : 3, h.alive(target, 2))
    h.clock.advanceSync(700)
    expect(h.node.counters.probesFailed).toBe(1)
    expect(h.node.table.get(`n${target}`)).toMatchObject({ state: 'alive', incarnation: 2 })
    expect(h.outputs.filter((o) => o.out.type === 'suspect')).toEqual([])
  })
})

describe('Prober: nacks from indirect helpers', () => {
  /** Starts a probe, lets it reach the indirect phase and returns the helpers asked (peer indexes). */
  function indirect(h: ReturnType<typeof harness>): { seq: number; helpers: number[] } {
    h.node.prober.tick()
    const seq = h.seqOfLastPing()
    h.clock.advanceSync(500) // probe timeout: indirect pings go out
    const helpers = h.sent.filter((s) => s.messages.some((m) => m.type === 'indirectPing')).map((s) => Number(s.to.split('.')[2]))
    return { seq, helpers }
  }

  it('counts each helper once: duplicate nacks are ignored and counted, the missed ones still raise the score', () => {
    const h = harness({ peers: 5 })
    const { seq, helpers } = indirect(h)
    expect(helpers).toHaveLength(3) // indirectChecks, every peer nack-capable (PMax 5)
    for (let i = 0; i < 3; i++) h.receive(helpers[0]!, { type: 'nack', SeqNo: seq })
    h.clock.advanceSync(500)
    expect(h.node.counters).toMatchObject({ probesFailed: 1, nacksReceived: 1, nacksDuplicate: 2 })
    // Two of three expected nacks missed: +2 (three counted nacks would have given 0).
    expect(h.node.awareness.getHealthScore()).toBe(2)
  })

  it('more nacks than expected never lower the health score', () => {
    const h = harness({ peers: 5 })
    h.node.awareness.applyDelta(4)
    const { seq, helpers } = indirect(h)
    for (const helper of helpers) for (let i = 0; i < 2; i++) h.receive(helper, { type: 'nack', SeqNo: seq })
    h.clock.advanceSync(5 * 1_000) // the deadline stretched to 5 s at score 4
    expect(h.node.counters).toMatchObject({ probesFailed: 1, nacksReceived: 3, nacksDuplicate: 3 })
    expect(h.node.awareness.getHealthScore()).toBe(4)
  })

  it('counts a nack for no probe in flight', () => {
    const h = harness()
    h.receive(2, { type: 'nack', SeqNo: 12345 })
    expect(h.node.counters.nacksUnmatched).toBe(1)
    expect(h.node.counters.nacksReceived).toBe(0)
  })
})

describe("probeOrder 'staggered' on a node (probe.ts)", () => {
  it('probes by the rotation at the clock step, ticks within one step take the next; shuffled keeps the round-robin', () => {
    // self with n2..n5: in name order n2 n3 n4 n5 self, so self's target at step s is the (s mod 4)th.
    const h = harness({ peers: 4 })
    const interval = 1_000
    // Each step's tick comes its member's offset into the step (aligned ticks).
    const offset = tickOffsetMs('self', interval)
    const targetsAt = (steps: number[]) =>
      steps.map((s) => {
        h.clock.advanceSync(s * interval + offset - h.clock.now())
        h.node.prober.tick()
        const t = h.lastPingTarget()
        h.receive(t, { type: 'ack', SeqNo: h.seqOfLastPing(), Payload: null })
        return t
      })
    expect(targetsAt([1, 2, 3, 4, 5])).toEqual([3, 4, 5, 2, 3])
    // Two ticks in one step (no time passes): the second takes the next step.
    h.node.prober.tick()
    const t = h.lastPingTarget()
    expect(t).toBe(4)
    const shuffled = harness({ peers: 4, init: { probeOrder: 'shuffled' } })
    const order: number[] = []
    for (let i = 0; i < 4; i++) {
      shuffled.node.prober.tick()
      order.push(shuffled.lastPingTarget())
      shuffled.receive(order.at(-1)!, { type: 'ack', SeqNo: shuffled.seqOfLastPing(), Payload: null })
    }
    expect([...order].sort()).toEqual([2, 3, 4, 5])
  })
})
