import { describe, expect, it } from 'vitest'
import { SimCluster } from '../../sim/cluster.ts'
import { Keyring } from '../../src/wire/keyring.ts'
import { decodePacket } from '../../src/wire/packet.ts'

const key = (fill: number) => new Uint8Array(32).fill(fill)
const k1 = key(1)
const k2 = key(2)

describe('encryption on the send and receive paths (spec §3)', () => {
  it('an encrypted cluster converges; probes and gossip keep it converged, nothing refused', () => {
    const c = new SimCluster({ seed: 21, swim: { keyring: new Keyring([k1]) } })
    c.addNode('n1')
    for (const n of ['n2', 'n3', 'n4']) c.addNode(n, ['n1'])
    expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined()
    c.run(10_000)
    expect(c.converged()).toBe(true)
    const sent = [...c.nodes.values()].reduce((s, n) => s + n.packetsSent, 0)
    expect(sent).toBeGreaterThan(50)
    for (const n of c.nodes.values()) {
      expect(n.swim.counters.packetsUndecryptable).toBe(0)
      expect(n.swim.counters.packetsIn).toBeGreaterThan(0)
      // The memory transport's outcome reaches swim's counters: every datagram confirmed sent.
      expect(n.swim.counters.packetsSent).toBe(n.packetsSent)
      expect(n.swim.counters.sendUnconfirmed).toBe(0)
    }
    expect(c.get('n2').swim.counters.pushPullsStarted).toBeGreaterThan(0)
  })

  it('receive accepts any key in the ring: primaries differ, the rings overlap', () => {
    const c = new SimCluster({ seed: 22, swim: { keyring: new Keyring([k1, k2]) } })
    c.addNode('n1')
    c.addNode('n2', ['n1'], { keyring: new Keyring([k2, k1]) })
    c.addNode('n3', ['n1'])
    expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined()
    for (const n of c.nodes.values()) expect(n.swim.counters.packetsUndecryptable).toBe(0)
  })

  it('a node with another key, or none, is refused and counted; it never joins', () => {
    const c = new SimCluster({ seed: 23, swim: { keyring: new Keyring([k1]) } })
    c.addNode('n1')
    c.addNode('n2', ['n1'])
    expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined()
    const stranger = c.addNode('x', ['n1'], { keyring: new Keyring([k2]) })
    const plain = c.addNode('p', ['n1'], { keyring: null })
    c.run(20_000)
    expect(c.get('n1').stateOf('x')).toBeUndefined()
    expect(c.get('n1').stateOf('p')).toBeUndefined()
    expect(stranger.swim.counters.pushPullsFailed + plain.swim.counters.pushPullsFailed).toBeGreaterThanOrEqual(2)
    expect(c.get('n1').swim.counters.streamsMalformed).toBeGreaterThanOrEqual(2)
  })

  it('sealed datagrams decode only with the key, and carry the 29-byte overhead inside the 1400 budget', () => {
    const c = new SimCluster({ seed: 24, swim: { keyring: new Keyring([k1]) } })
    c.addNode('n1')
    for (const n of ['n2', 'n3']) c.addNode(n, ['n1'])
    c.runUntil(() => c.converged(), 30_000)
    // Capture what n1 sends next by wrapping its transport.
    const n1 = c.get('n1')
    const captured: Uint8Array[] = []
    const orig = n1.transport.sendPacket.bind(n1.transport)
    n1.transport.sendPacket = (to, bytes) => {
      captured.push(bytes)
      return orig(to, bytes)
    }
    c.run(5_000)
    expect(captured.length).toBeGreaterThan(5)
    for (const b of captured) {
      expect(b.length).toBeLessThanOrEqual(1400)
      expect(() => decodePacket(b)).toThrow()
      expect(decodePacket(b, { keyring: new Keyring([k2, k1]) }).type).toBe('encrypt')
      expect(() => decodePacket(b, { keyring: new Keyring([k2]) })).toThrow()
    }
  })
})
