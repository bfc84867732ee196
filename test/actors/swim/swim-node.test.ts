import { describe, expect, it } from 'vitest'
import { pushPullScale } from '../../../actors/swim/swim-node.ts'
import { encodeMessage } from '../../../src/wire/memberlist.ts'
import { buildPacket } from '../../../src/wire/packet.ts'
import { SimCluster } from '../../../sim/cluster.ts'
import { harness } from './harness.ts'
import { MAX_PENDING } from '../../../actors/swim/suspect-probes.ts'

describe('pushPullScale', () => {
  it.each([
    [1, 30_000],
    [32, 30_000],
    [33, 60_000],
    [64, 60_000],
    [65, 90_000],
    [128, 90_000],
    [129, 120_000],
    [1000, 180_000],
  ])('n=%d -> %d ms', (n, ms) => {
    expect(pushPullScale(30_000, n)).toBe(ms)
  })
})

function cluster(n: number, seed = 1) {
  const c = new SimCluster({ seed })
  const nodes = c.warmStart(n)
  c.run(3_000)
  return { c, nodes }
}

describe('SwimNode on the wire', () => {
  it('asks k members to probe a silent node, counts their nacks, suspects it', () => {
    const { c, nodes } = cluster(6)
    const victim = nodes[5]!
    // With LAN defaults a relay nacks after probeTimeout (500 ms) from when it got the request, i.e.
    // ~1 s after the probe started: at health score 0 that is past the 1 s probe deadline, so the
    // first failed probe counts every nack as missed. With a raised score the deadline stretches and
    // the nacks arrive in time.
    for (const n of nodes) n.swim.awareness.applyDelta(7)
    c.crash(victim.name)
    c.run(20_000)
    const others = nodes.slice(0, 5).map((n) => n.swim.counters)
    expect(others.reduce((a, k) => a + k.indirectProbesSent, 0)).toBeGreaterThan(0)
    // Relays nack when the target stays silent for probeTimeout: expected nacks arrived.
    expect(others.reduce((a, k) => a + k.nacksReceived, 0)).toBeGreaterThan(0)
    expect(others.reduce((a, k) => a + k.tcpFallbacks, 0)).toBeGreaterThan(0)
    // The host is down: every fallback dial times out, none is refused.
    expect(others.reduce((a, k) => a + k.tcpFallbackRefusals, 0)).toBe(0)
    for (const n of nodes.slice(0, 5)) expect(n.stateOf(victim.name)).toBe('dead')
  })

  it('a killed process: the refused fallback suspects at once, and the probe still runs to its deadline for the nacks', () => {
    /** The same cluster and seed, the victim's host down or only its process killed. */
    const run = (fault: 'crash' | 'kill') => {
      const { c, nodes } = cluster(6)
      const victim = nodes[5]!
      for (const n of nodes) n.swim.awareness.applyDelta(7) // the nacks arrive before the stretched deadline (above)
      let suspicionAt: number | undefined
      const start = c.clock.now()
      c.onEvent((e) => {
        if (e.output.type === 'suspect' && e.output.node === victim.name && e.output.cause === 'probe') suspicionAt ??= e.atMs - start
      })
      c[fault](victim.name)
      c.run(30_000)
      for (const n of nodes.slice(0, 5)) expect(n.stateOf(victim.name)).toBe('dead')
      return { suspicionAt, counters: nodes.slice(0, 5).map((n) => n.swim.counters) }
    }
    const host = run('crash')
    const killed = run('kill')
    expect(killed.counters.reduce((a, k) => a + k.tcpFallbackRefusals, 0)).toBeGreaterThan(0)
    expect(killed.counters.reduce((a, k) => a + k.nacksReceived, 0)).toBeGreaterThan(0)
    // Until the fallback dial both runs draw the same numbers. The host-down run suspects at the
    // deadline (probeInterval stretched by the score, several seconds); the killed one at
    // probeTimeout (500 ms, not scaled, as in memberlist) plus the refusal's 2 ms round trip.
    expect(host.suspicionAt! - killed.suspicionAt!).toBeGreaterThan(5_000)
  })

  it('the slow node itself raises its health score (Lifeguard awareness)', () => {
    const { c, nodes } = cluster(5, 3)
    c.slow(nodes[0]!.name, 600)
    // Healthy probers of the slow node fail too (+3 at score 0: the relays' nacks come after the
    // 1 s deadline, as in memberlist), so compare scores averaged over 30 s, sampled every 100 ms.
    const sums = nodes.map(() => 0)
    for (let t = 0; t < 300; t++) {
      c.run(100)
      nodes.forEach((n, i) => (sums[i]! += n.swim.awareness.getHealthScore()))
    }
    const [slow, ...healthy] = sums.map((s) => s / 300)
    expect(slow!).toBeGreaterThan(1)
    for (const h of healthy) expect(slow!).toBeGreaterThan(1.5 * h)
  })

  it('ignores a ping addressed to another node name and counts it', () => {
    const { c, nodes } = cluster(3)
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]]
    const ping = encodeMessage({ type: 'ping', SeqNo: 77, Node: 'someone-else', SourceAddr: new Uint8Array(0), SourceNode: '', SourcePort: 0 })
    a.transport.sendPacket(b.address, ping)
    c.run(10)
    expect(b.swim.counters.pingsWrongNode).toBe(1)
  })

  it('counts a malformed datagram instead of throwing', () => {
    const { c, nodes } = cluster(3)
    nodes[0]!.transport.sendPacket(nodes[1]!.address, Uint8Array.of(0x07, 0x05, 0xff))
    nodes[0]!.transport.sendPacket(nodes[1]!.address, Uint8Array.of(0xee))
    c.run(10)
    expect(nodes[1]!.swim.counters.packetsMalformed).toBe(2)
  })

  it('passes a Serf user message through byte-exact, also inside a CRC-wrapped compound', () => {
    const { c, nodes } = cluster(3)
    const serf = Uint8Array.of(1, 0x82, 0xa5, 0x4c, 0x54, 0x69, 0x6d, 0x65, 0x05, 0xa4, 0x4e, 0x6f, 0x64, 0x65, 0xa1, 0x78)
    const user = encodeMessage({ type: 'user', Payload: serf })
    const ack = encodeMessage({ type: 'ack', SeqNo: 1, Payload: null })
    const got: Uint8Array[] = []
    c.onEvent((e) => {
      if (e.observer === nodes[1]!.name && e.output.type === 'user-message') got.push(e.output.bytes)
    })
    nodes[0]!.transport.sendPacket(nodes[1]!.address, user)
    nodes[0]!.transport.sendPacket(nodes[1]!.address, buildPacket([ack, user], { crc: true }))
    c.run(10)
    expect(got.map((b) => [...b])).toEqual([[...serf], [...serf]])
  })

  it('sends real memberlist packets: every datagram decodes, pings carry no CRC, gossip to PMax 5 peers does', () => {
    const c = new SimCluster({ seed: 4, trace: false })
    const nodes = c.warmStart(4)
    const firstBytes = new Map<number, number>()
    for (const n of nodes) {
      const orig = n.transport.sendPacket.bind(n.transport)
      n.transport.sendPacket = (to, bytes) => {
        firstBytes.set(bytes[0]!, (firstBytes.get(bytes[0]!) ?? 0) + 1)
        return orig(to, bytes)
      }
    }
    nodes[0]!.swim.updateMeta(Uint8Array.of(1, 2, 3)) // something to gossip
    c.run(5_000)
    expect(firstBytes.get(0) ?? 0).toBeGreaterThan(0) // bare pings (nothing to piggyback)
    expect(firstBytes.get(12) ?? 0).toBeGreaterThan(0) // CRC-wrapped gossip
    for (const n of nodes) expect(n.swim.counters.packetsMalformed).toBe(0)
  })
})

describe('SwimNode handoff queues (spec §4.11)', () => {
  it('gossip parts beyond the queue depth are dropped and counted; alive is handled before suspect', () => {
    const c = new SimCluster({ seed: 9, swim: { handoffQueueDepth: 2 } })
    const [a, b] = c.warmStart(2)
    c.run(1_000)
    const addr = b!.swim.identity.addr
    const alive = (node: string, inc: number) => encodeMessage({ type: 'alive', Incarnation: inc, Node: node, Addr: addr, Port: 7000 + inc, Meta: new Uint8Array(0), Vsn: Uint8Array.of(1, 5, 2, 2, 5, 4) })
    const suspect = (node: string, inc: number) => encodeMessage({ type: 'suspect', Incarnation: inc, Node: node, From: 'n2' })
    // Three suspects about unknown nodes: the low queue holds two, the third is dropped.
    a!.swim.onPacket(b!.address, buildPacket([suspect('x1', 1), suspect('x2', 1), suspect('x3', 1)]))
    expect(a!.swim.counters.handoffDropped).toBe(1)
    // [suspect z@2, alive z@2] for a new node z: memberlist's handler takes the alive (high priority)
    // first, so the suspect then applies to a known alive node.
    a!.swim.onPacket(b!.address, buildPacket([suspect('z', 2), alive('z', 2)]))
    expect(a!.stateOf('z')).toBe('suspect')
  })
})

describe('SwimNode per-node state (long-running nodes)', () => {
  it.each(['lifeguard', 'phi'] as const)('%s: after many nodes join, are suspected, die and are reaped, every per-node map is back to the live size', (failureDetector) => {
    const h = harness({ init: { failureDetector }, peers: 3 })
    const live = 4 // self + n2..n4
    const churn = Array.from({ length: 300 }, (_, i) => 10 + i)
    for (const i of churn) h.receive(i, h.alive(i, 1))
    for (const i of churn) {
      h.receive(i, { type: 'ack', SeqNo: 1, Payload: null }) // a packet from it: φ history
      h.receive(2, { type: 'suspect', Incarnation: 1, Node: `n${i}`, From: 'n2' })
      h.receive(i, { type: 'ack', SeqNo: 2, Payload: null }) // a packet from a suspect: refresh state
    }
    const busy = h.node.footprint()
    expect(busy.addrIndex).toBe(live + churn.length)
    expect(busy.suspicionTimers).toBe(churn.length)
    expect(busy.suspectProbes).toBeLessThanOrEqual(MAX_PENDING)
    if (failureDetector === 'phi') expect(busy.phi).toBeGreaterThanOrEqual(churn.length)
    // Half die by someone's declaration, half leave; one comes back at a new address and leaves again.
    for (const [k, i] of churn.entries()) h.receive(2, { type: 'dead', Incarnation: 1, Node: `n${i}`, From: k % 2 === 0 ? 'n2' : `n${i}` })
    h.receive(3, { ...h.alive(11, 2), Port: 8000 })
    h.receive(3, { type: 'dead', Incarnation: 2, Node: 'n11', From: 'n11' })
    h.clock.advanceSync(31_000) // past gossipToTheDead
    // Probe until the probe list wraps (live peers answer, so nobody new is suspected).
    for (let round = 0; round < live + 1 && h.node.table.size() > live; round++) {
      h.node.prober.tick()
      h.receive(h.lastPingTarget(), { type: 'ack', SeqNo: h.seqOfLastPing(), Payload: null })
    }
    const after = h.node.footprint()
    expect(after).toEqual({ nodes: live, probeList: live, suspicions: 0, addrIndex: live, phi: after.phi, suspicionTimers: 0, refresh: 0, suspectProbes: 0 })
    expect(after.phi).toBeLessThanOrEqual(live - 1)
    // The reaped nodes' addresses name nobody now: a packet from one is not heard as theirs.
    h.receive(10, { type: 'ack', SeqNo: 3, Payload: null })
    expect(h.node.footprint().phi).toBe(after.phi)
  })
})

describe('SwimNode version vector', () => {
  it.each([1, 2, 5])('advertises swim.protocolVersion %d as PCur within memberlist range [1, 5]', (protocolVersion) => {
    const h = harness({ init: { protocolVersion } })
    expect([...h.node.table.self().vsn]).toEqual([1, 5, protocolVersion, 2, 5, 5])
    // What goes on the wire: our refutation of a rumour about us carries it.
    h.receive(2, { type: 'suspect', Incarnation: 1, Node: 'self', From: 'n2' })
    const alive = h.sent.flatMap((s) => s.messages).find((m) => m.type === 'alive')
    expect(alive?.type === 'alive' ? [...alive.Vsn] : []).toEqual([1, 5, protocolVersion, 2, 5, 5])
  })
})

describe('graceful leave', () => {
  it('stops waiting for its dead message to spread once no member is left to gossip it to (two nodes leaving at once)', () => {
    const h = harness({ peers: 2 })
    const left = () => h.outputs.filter((o) => o.out.type === 'left').length
    h.node.leave(5_000)
    // n2 leaves too (its own dead message): n3 is still alive, so ours waits for its transmits.
    h.receive(2, { type: 'dead', Incarnation: 1, Node: 'n2', From: 'n2' })
    h.clock.advanceSync(1_000)
    expect(left()).toBe(0)
    // n3 leaves as well: nobody is left to tell, and the leave finishes now, not at its 5 s timeout.
    h.receive(3, { type: 'dead', Incarnation: 1, Node: 'n3', From: 'n3' })
    expect(left()).toBe(1)
    h.clock.advanceSync(5_000)
    expect(left()).toBe(1)
  })
})
