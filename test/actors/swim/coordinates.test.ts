/**
 * Serf's ping delegate in swim's core (spec §7): our acks carry our coordinate, a probe acked
 * directly within probeTimeoutMs feeds the Vivaldi client with its RTT and the peer's coordinate,
 * a relayed ack (indirect probe) does not, an unusable payload is counted and changes nothing, and
 * a reaped member's coordinate is forgotten. Table-driven where the rule is a table.
 */
import { describe, expect, it } from 'vitest'
import { harness } from './harness.ts'
import { decodeCoordinatePayload, encodeCoordinatePayload } from '../../../src/coordinate/coordinate-codec.ts'
import { newCoordinate } from '../../../src/coordinate/coordinate.ts'
import { createCoordinateConfig } from '../../../src/coordinate/config.ts'

const config = createCoordinateConfig({})
/** A coordinate 5 ms from the origin on the first axis (what a peer would send). */
const peerCoordinate = () => {
  const c = newCoordinate(config)
  return { ...c, Vec: [0.005, ...c.Vec.slice(1)] }
}

describe('swim coordinates (ping delegate)', () => {
  it('answers a ping with an ack carrying our coordinate, encoded once per change', () => {
    const h = harness()
    h.receive(2, { type: 'ping', SeqNo: 7, Node: 'self', SourceAddr: new Uint8Array(0), SourcePort: 0, SourceNode: 'n2' })
    h.receive(2, { type: 'ping', SeqNo: 8, Node: 'self', SourceAddr: new Uint8Array(0), SourcePort: 0, SourceNode: 'n2' })
    const acks = h.sent.flatMap((s) => s.messages).filter((m) => m.type === 'ack')
    expect(acks).toHaveLength(2)
    for (const a of acks) expect(decodeCoordinatePayload(a.type === 'ack' ? a.Payload : null, config)).toEqual(h.node.coordinates.coordinate)
    expect(h.node.ackPayload()).toBe(h.node.ackPayload()) // cached until the coordinate moves
  })

  it.each([
    // [what the ack carries, when it arrives (ms after the ping), counter that moves, coordinate kept]
    ['a coordinate, directly', 'coordinate', 20, 'coordinateUpdates', true],
    ['no payload (a peer without the delegate)', 'none', 20, 'coordinateAcksWithout', false],
    ['a wrong version byte', 'bad-version', 20, 'coordinateRejected', false],
    ['garbage', 'garbage', 20, 'coordinateRejected', false],
  ] as const)('a probe acked with %s', (_what, payload, afterMs, counter, kept) => {
    const h = harness()
    h.node.prober.tick()
    const target = h.lastPingTarget()
    h.clock.advanceSync(afterMs)
    const bytes =
      payload === 'coordinate' ? encodeCoordinatePayload(peerCoordinate()) : payload === 'none' ? null : payload === 'bad-version' ? Uint8Array.of(9, 0x80) : Uint8Array.of(1, 0xc1, 0xc1)
    h.receive(target, { type: 'ack', SeqNo: h.seqOfLastPing(), Payload: bytes })
    const c = h.node.counters
    const moved = { coordinateUpdates: c.coordinateUpdates, coordinateAcksWithout: c.coordinateAcksWithout, coordinateRejected: c.coordinateRejected }
    expect(moved).toEqual({ coordinateUpdates: 0, coordinateAcksWithout: 0, coordinateRejected: 0, [counter]: 1 })
    expect(h.node.coordinates.coordinateOf(`n${target}`) !== undefined).toBe(kept)
    if (counter === 'coordinateRejected') expect(c.lastCoordinateError).toMatch(/^ERR_COORDINATE_/)
    if (kept) {
      // Our coordinate moved (an RTT of 20 ms to a peer 5 ms away), and so did our ack payload.
      expect(h.node.coordinates.coordinate.Vec.some((x) => x !== 0)).toBe(true)
      expect(decodeCoordinatePayload(h.node.ackPayload(), config)).toEqual(h.node.coordinates.coordinate)
      expect(h.node.coordinates.estimateRttMs('self', `n${target}`)).toBeGreaterThan(0)
    }
  })

  it('an ack that comes after the probe timeout (the indirect phase) completes the probe but feeds no sample', () => {
    const h = harness()
    h.node.prober.tick()
    const target = h.lastPingTarget()
    h.clock.advanceSync(h.node.config.probeTimeoutMs + 1)
    h.receive(target, { type: 'ack', SeqNo: h.seqOfLastPing(), Payload: encodeCoordinatePayload(peerCoordinate()) })
    expect(h.node.counters.probesAcked).toBe(1)
    expect(h.node.counters.coordinateUpdates).toBe(0)
    expect(h.node.coordinates.coordinateOf(`n${target}`)).toBeUndefined()
  })

  it('a reaped member is forgotten with its coordinate', () => {
    const h = harness({ peers: 2 })
    h.node.prober.tick()
    const target = h.lastPingTarget()
    h.receive(target, { type: 'ack', SeqNo: h.seqOfLastPing(), Payload: encodeCoordinatePayload(peerCoordinate()) })
    const name = `n${target}`
    expect(h.node.coordinates.coordinateOf(name)).toBeDefined()
    const other = target === 2 ? 3 : 2
    h.receive(other, { type: 'dead', Incarnation: 1, Node: name, From: name })
    h.clock.advanceSync(31_000) // past gossipToTheDead
    for (let round = 0; round < 4 && h.node.table.get(name) !== undefined; round++) {
      h.node.prober.tick()
      h.receive(h.lastPingTarget(), { type: 'ack', SeqNo: h.seqOfLastPing(), Payload: null })
    }
    expect(h.node.table.get(name)).toBeUndefined()
    expect(h.node.coordinates.coordinateOf(name)).toBeUndefined()
    expect(h.node.coordinates.stats().cachedPeers).toBe(0)
  })
})
