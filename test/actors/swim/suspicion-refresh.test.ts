import { describe, expect, it } from 'vitest'
import { createSwimConfig } from '../../../actors/swim/config.ts'
import type { SwimInit } from '../../../actors/swim/config.ts'
import { CHECKS } from '../../../actors/swim/suspicion-refresh.ts'
import { suspicionBounds } from '../../../actors/swim/suspicion.ts'
import { addrOf, harness as swimHarness } from './harness.ts'

/**
 * The swim unit harness (self and peers n2..n5, no ticker) with two readers: the suspect messages
 * sent straight to a peer about itself, and the declared-dead outputs.
 */
function harness(init: SwimInit = {}) {
  const h = swimHarness({ init, peers: 4 })
  const suspectsTo = (peer: number) => h.sent.filter((s) => s.to === addrOf(peer) && s.messages.some((m) => m.type === 'suspect' && m.Node === `n${peer}`))
  const declared = () => h.outputs.filter((o) => o.out.type === 'declared-dead')
  return { ...h, suspectsTo, declared }
}

// n = 5 nodes in the table: min 4 s, max 24 s, k = 2 (spec §4.5).
const bounds = suspicionBounds(5, 4, 6, 1_000)

describe('staleSuspicionRefresh (the default): local rules against stale suspicions', () => {
  it('is on in every preset; false gives memberlist rules', () => {
    for (const preset of ['lan', 'wan', 'local', 'test'] as const) expect(createSwimConfig({}, preset).staleSuspicionRefresh).toBe(true)
    expect(createSwimConfig({ staleSuspicionRefresh: false }).staleSuspicionRefresh).toBe(false)
  })

  it('a stale rumour about us gets our current alive sent straight back to the relayer', () => {
    const h = harness()
    h.receive(3, { type: 'suspect', Incarnation: 1, Node: 'self', From: 'n4' }) // refutes: we go to 2
    h.sent.length = 0
    h.receive(5, { type: 'suspect', Incarnation: 1, Node: 'self', From: 'n4' }) // stale now
    expect(h.node.counters.staleRumoursAnswered).toBe(1)
    expect(h.sent).toHaveLength(1)
    expect(h.sent[0]!.to).toBe(addrOf(5))
    expect(h.sent[0]!.messages[0]).toMatchObject({ type: 'alive', Node: 'self', Incarnation: 2 })
    expect(h.node.table.self().incarnation).toBe(2) // no new incarnation for a stale rumour
  })

  it('a refutation also goes straight to the relayer and the accuser', () => {
    const h = harness()
    h.receive(3, { type: 'suspect', Incarnation: 1, Node: 'self', From: 'n4' })
    expect(new Set(h.sent.map((s) => s.to))).toEqual(new Set([addrOf(3), addrOf(4)]))
    for (const s of h.sent) expect(s.messages[0]).toMatchObject({ type: 'alive', Node: 'self', Incarnation: 2 })
  })

  it('a suspect at a higher incarnation restarts a stale suspicion instead of confirming it', () => {
    const h = harness()
    h.receive(3, { type: 'suspect', Incarnation: 1, Node: 'n2', From: 'n3' })
    h.clock.advanceSync(3_000)
    h.receive(4, { type: 'suspect', Incarnation: 2, Node: 'n2', From: 'n4' }) // n2 refuted @2, we missed it
    expect(h.node.table.get('n2')).toMatchObject({ state: 'suspect', incarnation: 2, stateChangeMs: 3_000 })
    expect(h.node.table.suspicionOf('n2')!.getConfirmations()).toBe(0)
  })

  it('a packet from a suspect gets our suspicion sent back to it, at most once per probe timeout', () => {
    const h = harness()
    h.receive(3, { type: 'suspect', Incarnation: 1, Node: 'n2', From: 'n3' })
    h.receive(2, { type: 'ack', SeqNo: 1, Payload: null })
    h.receive(2, { type: 'ack', SeqNo: 2, Payload: null })
    expect(h.suspectsTo(2)).toHaveLength(1)
    expect(h.suspectsTo(2)[0]!.messages[0]).toMatchObject({ type: 'suspect', Node: 'n2', Incarnation: 1, From: 'self' })
    h.clock.advanceSync(500)
    h.receive(2, { type: 'ack', SeqNo: 3, Payload: null })
    expect(h.suspectsTo(2)).toHaveLength(2)
    // The answer (our alive relayed by the suspect) ends the suspicion.
    h.receive(2, h.alive(2, 2))
    expect(h.node.table.get('n2')!.state).toBe('alive')
  })

  it('checks a silent suspect directly in its last probe timeouts and still declares it at the Lifeguard deadline', () => {
    const h = harness()
    h.receive(3, { type: 'suspect', Incarnation: 1, Node: 'n2', From: 'n3' })
    h.clock.advanceSync(bounds.maxMs + 1_000)
    const checks = h.suspectsTo(2).map((s) => s.atMs)
    expect(checks).toEqual(Array.from({ length: CHECKS }, (_, i) => bounds.maxMs - (CHECKS - i) * 500))
    expect(h.declared().map((d) => d.atMs)).toEqual([bounds.maxMs])
  })

  it('a suspect heard from since its suspicion began is declared suspicion-min after that contact, never past start + max', () => {
    const h = harness()
    h.receive(3, { type: 'suspect', Incarnation: 1, Node: 'n2', From: 'n3' })
    // Two confirmations: the Lifeguard deadline falls to the minimum (4 s).
    h.receive(4, { type: 'suspect', Incarnation: 1, Node: 'n2', From: 'n4' })
    h.receive(5, { type: 'suspect', Incarnation: 1, Node: 'n2', From: 'n5' })
    expect(h.node.table.suspicionOf('n2')!.deadlineMs()).toBe(bounds.minMs)
    h.clock.advanceSync(3_000)
    h.receive(2, { type: 'ack', SeqNo: 9, Payload: null }) // n2 talks to us at 3 s
    h.clock.advanceSync(bounds.minMs - 100)
    expect(h.declared()).toEqual([])
    h.clock.advanceSync(1_000)
    expect(h.declared().map((d) => d.atMs)).toEqual([3_000 + bounds.minMs])
    expect(h.node.counters.deathsDeferred).toBeGreaterThan(0)

    // A suspect that keeps talking is still declared at start + max (e.g. it cannot hear anyone).
    const k = harness()
    k.receive(3, { type: 'suspect', Incarnation: 1, Node: 'n2', From: 'n3' })
    for (let t = 0; t < bounds.maxMs + 5_000; t += 1_000) {
      k.receive(2, { type: 'ack', SeqNo: t, Payload: null })
      k.clock.advanceSync(1_000)
    }
    expect(k.declared().map((d) => d.atMs)).toEqual([bounds.maxMs])
  })

  it('memberlist rules (false): no direct packets, the declaration at the Lifeguard deadline whatever the contact', () => {
    const h = harness({ staleSuspicionRefresh: false })
    h.receive(3, { type: 'suspect', Incarnation: 1, Node: 'self', From: 'n4' })
    h.receive(3, { type: 'suspect', Incarnation: 1, Node: 'n2', From: 'n3' })
    h.receive(4, { type: 'suspect', Incarnation: 1, Node: 'n2', From: 'n4' })
    h.receive(5, { type: 'suspect', Incarnation: 1, Node: 'n2', From: 'n5' })
    h.clock.advanceSync(3_000)
    h.receive(2, { type: 'ack', SeqNo: 9, Payload: null })
    h.clock.advanceSync(10_000)
    expect(h.sent).toEqual([])
    expect(h.declared().map((d) => d.atMs)).toEqual([bounds.minMs])
  })
})
