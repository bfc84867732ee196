import { describe, expect, it } from 'vitest'
import { createCoordinateConfig, decodeCoordinatePayload, NetworkCoordinates, PeerCoordinates } from '../../src/coordinate/index.ts'
import type { Coordinate } from '../../src/coordinate/index.ts'
import { createSeededRandom } from '../../src/types/random.ts'
import { capturedAcks } from './captured.ts'

const config = createCoordinateConfig()
const node = (name: string, seed = 1): NetworkCoordinates => new NetworkCoordinates(name, config, createSeededRandom(seed))
const at = (x: number): Coordinate => ({ Vec: [x, 0, 0, 0, 0, 0, 0, 0], Error: 1, Adjustment: 0, Height: 1e-5 })

describe('NetworkCoordinates (the ping delegate)', () => {
  it("acks with our coordinate in Serf's payload form", () => {
    const a = node('a')
    expect(decodeCoordinatePayload(a.ackPayload(), config)).toEqual(a.coordinate)
    expect(a.ackPayload()).toHaveLength(130)
  })

  it('learns from an agent: a captured Serf ack updates us and caches the agent, and both can be estimated', () => {
    const serfAck = capturedAcks().find((x) => x.id === 'compressed-17')!
    const g = node('gossamer')
    const outcome = g.onPingComplete('a', serfAck.payload, 0.8)
    expect(outcome.type).toBe('updated')
    expect(g.coordinateOf('a')).toEqual(decodeCoordinatePayload(serfAck.payload, config))
    expect(g.coordinateOf('gossamer')).toEqual(g.coordinate)
    const rtt = g.estimateRttMs('gossamer', 'a')!
    expect(rtt).toBeGreaterThan(0)
    expect(rtt).toBe(g.estimateRttMs('a', 'gossamer'))
    expect(g.estimateRttMs('a', 'unknown')).toBeNull()
  })

  it('converges on a two-node loopback exchange of real payload bytes', () => {
    const a = node('a', 1)
    const b = node('b', 2)
    for (let i = 0; i < 200; i++) {
      a.onPingComplete('b', b.ackPayload(), 4)
      b.onPingComplete('a', a.ackPayload(), 4)
    }
    expect(a.estimateRttMs('a', 'b')).toBeGreaterThan(3.6)
    expect(a.estimateRttMs('a', 'b')).toBeLessThan(4.4)
    expect(a.stats()).toMatchObject({ updates: 200, cachedPeers: 1, payloadsEmpty: 0, resets: 0 })
  })

  it('ignores an ack without a coordinate and counts refusals by code, changing nothing', () => {
    const a = node('a')
    const before = a.coordinate
    expect(a.onPingComplete('b', null, 1)).toEqual({ type: 'no-coordinate' })
    expect(a.onPingComplete('b', new Uint8Array(0), 1)).toEqual({ type: 'no-coordinate' })
    const bad = [Uint8Array.of(2, 0x80), Uint8Array.of(1, 0xc1), Uint8Array.of(1, 0x80)]
    expect(bad.map((p) => a.onPingComplete('b', p, 1))).toMatchObject([
      { type: 'rejected', error: { code: 'ERR_COORDINATE_VERSION' } },
      { type: 'rejected', error: { code: 'ERR_COORDINATE_MALFORMED' } },
      { type: 'rejected', error: { code: 'ERR_COORDINATE_DIMENSION' } },
    ])
    const good = node('b').ackPayload()
    expect(a.onPingComplete('b', good, 20_000)).toMatchObject({ type: 'rejected', error: { code: 'ERR_COORDINATE_RTT_RANGE' } })
    expect(a.coordinate).toEqual(before)
    expect(a.coordinateOf('b')).toBeUndefined()
    expect(a.stats()).toMatchObject({
      updates: 0,
      payloadsEmpty: 2,
      payloadsRejected: { ERR_COORDINATE_VERSION: 1, ERR_COORDINATE_MALFORMED: 1, ERR_COORDINATE_DIMENSION: 1 },
      rejectedRtt: 1,
    })
  })

  it('forgets a member with its latency samples and coordinate, never ourselves', () => {
    const a = node('a')
    a.onPingComplete('b', node('b').ackPayload(), 2)
    expect(a.coordinateOf('b')).toBeDefined()
    a.forget('b')
    a.forget('a')
    expect(a.coordinateOf('b')).toBeUndefined()
    expect(a.coordinateOf('a')).toEqual(a.coordinate)
    expect(a.stats()).toMatchObject({ cachedPeers: 0, filterNodes: 0 })
  })

  it('keeps at most maxPeers peer coordinates besides ours', () => {
    const a = new NetworkCoordinates('a', createCoordinateConfig({ maxPeers: 2 }), createSeededRandom(1))
    for (const peer of ['b', 'c', 'd']) a.onPingComplete(peer, node(peer).ackPayload(), 1)
    expect([a.coordinateOf('b'), a.coordinateOf('a')].map((c) => c !== undefined)).toEqual([false, true])
    expect(a.stats()).toMatchObject({ cachedPeers: 2, peerEvictions: 1, filterEvictions: 1 })
  })
})

describe('PeerCoordinates', () => {
  it('estimates between two known members and evicts the least recently set past its bound', () => {
    const p = new PeerCoordinates(2)
    p.set('x', at(0))
    p.set('y', at(0.004))
    expect(p.estimateRttMs('x', 'y')).toBeCloseTo(4.02, 5) // 4 ms apart + two 10 µs heights (truncated to whole ns)
    p.set('x', at(0.001)) // x is now the most recent
    p.set('z', at(0)) // drops y
    expect(p.nodes()).toEqual(['x', 'z'])
    expect([p.size, p.evictions]).toEqual([2, 1])
    expect(p.estimateRttMs('x', 'y')).toBeNull()
    p.set('w', { ...at(0), Vec: [0, 0] })
    expect(p.estimateRttMs('z', 'w')).toBeNull() // different dimensions: no estimate
  })

  it('hands out copies', () => {
    const p = new PeerCoordinates(4)
    const c = at(1)
    p.set('x', c)
    ;(c.Vec as number[])[0] = 99
    expect(p.get('x')!.Vec[0]).toBe(1)
  })
})
