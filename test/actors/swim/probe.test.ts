import { describe, expect, it } from 'vitest'
import { harness } from './harness.ts'

describe('Prober: a failed probe', () => {
  it('suspects the incarnation it probed when nothing answered', () => {
    const h = harness()
    h.node.prober.tick()
    const target = h.lastPingTarget()
    h.clock.advance(1_000) // probe deadline at health score 0: no ack, no nack
    expect(h.node.counters.probesFailed).toBe(1)
    expect(h.node.table.get(`n${target}`)).toMatchObject({ state: 'suspect', incarnation: 1 })
    expect(h.outputs.filter((o) => o.out.type === 'suspect').map((o) => o.out)).toEqual([{ type: 'suspect', node: `n${target}`, from: 'self', cause: 'probe' }])
  })

  it('does not suspect a newer incarnation the target refuted with during the probe (memberlist probeNode)', () => {
    const h = harness()
    h.node.prober.tick()
    const target = h.lastPingTarget()
    h.clock.advance(300)
    // The target's refutation (or any newer alive) reaches us while its ack is lost.
    h.receive(3 === target ? 4 : 3, h.alive(target, 2))
    h.clock.advance(700)
    expect(h.node.counters.probesFailed).toBe(1)
    expect(h.node.table.get(`n${target}`)).toMatchObject({ state: 'alive', incarnation: 2 })
    expect(h.outputs.filter((o) => o.out.type === 'suspect')).toEqual([])
  })
})
