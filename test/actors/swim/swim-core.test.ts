/**
 * swim's core at the seam: `step(input)` returns its effects as plain data (no port is called
 * during a step) and its state as plain data that later steps never change; a send's result comes
 * back as an input (counted, and a gossip tick goes on or stops with it); so does the answer to
 * its user-state ask (Serf's push/pull state).
 */
import { describe, expect, it } from 'vitest'
import { decodeCoordinatePayload } from '../../../src/coordinate/coordinate-codec.ts'
import { createSwimConfig } from '../../../actors/swim/config.ts'
import { DEFAULT_VSN } from '../../../actors/swim/messages.ts'
import { assemblePacket, decodeDatagram } from '../../../actors/swim/packets.ts'
import type { SendPacketEffect, SwimEffect, SwimEnv } from '../../../actors/swim/effects.ts'
import type { Stream } from '../../../src/transport/transport.ts'
import { tryReadStream } from '../../../actors/swim/packets.ts'
import { SwimCore } from '../../../actors/swim/swim-core.ts'
import { encodeMessage } from '../../../src/wire/memberlist.ts'
import type { GossipMessage } from '../../../src/wire/memberlist.ts'

const empty = new Uint8Array(0)
const peer = (i: number) => ({ addr: Uint8Array.of(10, 0, 0, i), address: `10.0.0.${i}:7946` })

/** A core whose env records every call outside a step; `now` is settable. */
function core() {
  let now = 0
  let seed = 7
  const outside: SwimEffect[][] = []
  const env: SwimEnv = {
    now: () => now,
    random: () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646,
    run: (effects) => void outside.push(effects),
  }
  const c = new SwimCore(createSwimConfig({}), { name: 'self', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 }, env)
  const packet = (from: number, ...messages: GossipMessage[]) =>
    c.step({ type: 'packet', from: peer(from).address, bytes: assemblePacket(messages.map((m) => encodeMessage(m)), { compress: false, crc: false }) })
  const alive = (i: number): GossipMessage => ({ type: 'alive', Incarnation: 1, Node: `n${i}`, Addr: peer(i).addr, Port: 7946, Meta: empty, Vsn: DEFAULT_VSN })
  const ping = (from: number, seq: number): GossipMessage => ({ type: 'ping', SeqNo: seq, Node: 'self', SourceAddr: peer(from).addr, SourcePort: 7946, SourceNode: `n${from}` })
  return { c, packet, alive, ping, outside, advance: (ms: number) => void (now += ms) }
}

const sends = (effects: SwimEffect[]): SendPacketEffect[] => effects.filter((e): e is SendPacketEffect => e.type === 'send-packet')

describe('SwimCore.step: effects as plain data', () => {
  it('a ping gives one send-packet effect with the ack to its source, and nothing is called during the step', () => {
    const t = core()
    const { effects } = t.packet(2, t.ping(2, 41))
    expect(t.outside).toEqual([]) // no env.run: every effect came back from the step
    const [ack, ...rest] = sends(effects)
    expect(rest).toEqual([])
    expect(ack).toMatchObject({ type: 'send-packet', to: peer(2).address, piggyback: true, crc: false })
    const [msg] = decodeDatagram(assemblePacket(ack!.messages, { compress: false, crc: false })).messages
    // Serf's ping delegate: the ack carries our (fresh) coordinate.
    expect(msg).toMatchObject({ type: 'ack', SeqNo: 41 })
    expect(decodeCoordinatePayload((msg as { Payload: Uint8Array | null }).Payload, { dimensionality: 8 })).toEqual(t.c.coordinates.coordinate)
    // Plain data: the effects survive a structured clone unchanged (no functions, no class instances).
    expect(structuredClone(effects)).toEqual(effects)
  })

  it('a new member gives a broadcast and member outputs, in the order decided', () => {
    const t = core()
    const { effects } = t.packet(2, t.alive(2))
    // fastJoinPropagation: the gossip tick is armed for the news, right after it is queued.
    expect(effects.map((e) => (e.type === 'output' ? `output:${e.output.type}` : e.type))).toEqual(['enqueue-broadcast', 'set-timer', 'output:node-joined', 'output:cluster-size'])
    expect(structuredClone(effects)).toEqual(effects)
  })

  it('timers are effects: start arms the three tickers', () => {
    const t = core()
    const keys = t.c.step({ type: 'start' }).effects.flatMap((e) => (e.type === 'set-timer' ? [e.key] : []))
    expect(keys).toEqual(['probe-tick', 'gossip-tick', 'push-pull-tick'])
  })
})

describe('SwimCore.step: the state', () => {
  it('is plain data that later steps never change; the next state has the new counts', () => {
    const t = core()
    const first = t.packet(2, t.ping(2, 1)).state
    const frozen = structuredClone(first)
    const second = t.packet(2, t.ping(2, 2)).state
    expect(first).toEqual(frozen) // the state handed out kept its values
    expect(second.counters.packetsIn).toBe(first.counters.packetsIn + 1)
    expect(second).not.toBe(first)
  })

  it('carries the scalar state: members, incarnation', () => {
    const t = core()
    expect(t.packet(2, t.alive(2), t.alive(3)).state).toMatchObject({ numNodes: 3, incarnation: 1, healthScore: 0 })
  })
})

describe('SwimCore.step: a send result is an input', () => {
  /** A core that knows n2..n5, with its gossip tick's first packet. */
  function gossiping() {
    const t = core()
    t.packet(2, t.alive(2), t.alive(3), t.alive(4), t.alive(5))
    const [first] = sends(t.c.step({ type: 'timer', key: 'gossip-tick' }).effects)
    return { t, first: first! }
  }

  it('counts the result per cause', () => {
    const t = core()
    const [ack] = sends(t.packet(2, t.ping(2, 1)).effects)
    const state = t.c.step({ type: 'packet-sent', effect: ack!, sent: { result: 'failed', piggybacked: 0, errorCode: 'ERR_TRANSPORT_CLOSED' } }).state
    expect(state.counters).toMatchObject({ sendFailed: 1, lastSendErrorCode: 'ERR_TRANSPORT_CLOSED', packetsSent: 0 })
  })

  it('a gossip packet that went sends the next one; an empty fill ends the tick, counted', () => {
    const { t, first } = gossiping()
    expect(first.gossip).toMatchObject({ index: 0 })
    expect(first.gossip!.targets).toHaveLength(3) // gossipNodes on LAN
    const [second] = sends(t.c.step({ type: 'packet-sent', effect: first, sent: { result: 'sent', piggybacked: 1 } }).effects)
    expect(second).toMatchObject({ messages: [], piggyback: true, gossip: { index: 1 } })
    expect(second!.to).not.toBe(first.to)
    const end = t.c.step({ type: 'packet-sent', effect: second!, sent: { result: 'empty', piggybacked: 0 } })
    expect(end.effects).toEqual([])
    expect(end.state.counters).toMatchObject({ gossipEmpty: 1, packetsSent: 1 })
  })
})

describe("SwimCore.step: Serf's user state is asked as an effect and answered as an input", () => {
  /** A stream that records what is written to it and never answers. */
  function quietStream(): { stream: Stream; written: Uint8Array[] } {
    const written: Uint8Array[] = []
    const stream: Stream = {
      local: '10.0.0.1:7946',
      remote: peer(2).address,
      write: (b) => {
        written.push(b)
        return true
      },
      end: () => {},
      close: () => {},
      setDeadline: () => {},
      onData: () => {},
      onEnd: () => {},
    }
    return { stream, written }
  }

  it('a join asks for the user state as it dials (an effect with an id); the answer, as an input, is written once the stream is open', () => {
    const t = core()
    const joined = t.c.step({ type: 'join', addresses: [peer(2).address] }).effects
    const dial = joined.find((e) => e.type === 'dial')
    expect(dial).toMatchObject({ type: 'dial', to: peer(2).address })
    // The ask goes out with the dial, in the same step (the two waits overlap), as data, not a callback.
    const asks = joined.filter((e) => e.type === 'ask-user-state')
    expect(asks).toEqual([{ type: 'ask-user-state', id: expect.any(Number), join: true }])
    expect(structuredClone(asks)).toEqual(asks)
    const userState = Uint8Array.of(2, 0x81, 0xa1, 0x78, 1)
    const answered = t.c.step({ type: 'user-state', id: (asks[0] as { id: number }).id, bytes: userState })
    expect(answered.state.counters.userStatesUnmatched).toBe(0)
    // No stream yet: nothing written until the dial completes, then the state goes at once.
    const { stream, written } = quietStream()
    t.c.dialed((dial as { id: number }).id, undefined, stream)
    expect(written).toHaveLength(1)
    const sent = tryReadStream(written[0]!)
    expect(sent).toMatchObject({ done: true, message: { type: 'pushPull', Join: true } })
    expect((sent as { message: { UserState: Uint8Array } }).message.UserState).toEqual(userState)
  })

  it('an answer no ask waits for (again, or after the stop) changes nothing and is counted', () => {
    const t = core()
    const joined = t.c.step({ type: 'join', addresses: [peer(2).address] }).effects
    const dial = joined.find((e) => e.type === 'dial')
    const { stream, written } = quietStream()
    t.c.dialed((dial as { id: number }).id, undefined, stream)
    const [ask] = joined.filter((e) => e.type === 'ask-user-state') as Array<{ id: number }>
    t.c.step({ type: 'user-state', id: ask!.id, bytes: empty })
    const again = t.c.step({ type: 'user-state', id: ask!.id, bytes: empty })
    expect(again.effects).toEqual([])
    expect(again.state.counters.userStatesUnmatched).toBe(1)
    expect(written).toHaveLength(1)

    // An ask still waiting when the node stops: its late answer writes nothing to the stream.
    const s = core()
    const joined2 = s.c.step({ type: 'join', addresses: [peer(2).address] }).effects
    const dial2 = joined2.find((e) => e.type === 'dial')
    const held = quietStream()
    s.c.dialed((dial2 as { id: number }).id, undefined, held.stream)
    const [late] = joined2.filter((e) => e.type === 'ask-user-state') as Array<{ id: number }>
    s.c.step({ type: 'stop' })
    const after = s.c.step({ type: 'user-state', id: late!.id, bytes: empty })
    expect(after.effects).toEqual([])
    expect(after.state.counters.userStatesUnmatched).toBe(1)
    expect(held.written).toEqual([])
  })
})
