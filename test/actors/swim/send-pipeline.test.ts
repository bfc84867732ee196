import { describe, expect, it } from 'vitest'
import { decodeDatagram } from '../../../actors/swim/packets.ts'
import type { PacketRequest, PacketResult } from '../../../actors/swim/ports.ts'
import { resultOfSend, sendPacketRequest } from '../../../actors/swim/send-pipeline.ts'
import type { FillFn } from '../../../actors/swim/send-pipeline.ts'
import { TransportError } from '../../../src/transport/transport.ts'
import { encodeMessage } from '../../../src/wire/memberlist.ts'
import { harness } from './harness.ts'

const ack = encodeMessage({ type: 'ack', SeqNo: 7, Payload: null })
const user = encodeMessage({ type: 'user', Payload: Uint8Array.of(1, 2, 3) })

function send(req: PacketRequest, emit: (to: string, bytes: Uint8Array) => unknown, fill: FillFn = () => []) {
  const reports: Array<[PacketResult, number, string | undefined]> = []
  const emitted: Uint8Array[] = []
  const sent = sendPacketRequest(
    req,
    {
      udpBufferSize: 1400,
      compress: false,
      fill,
      emit: (to, bytes) => {
        emitted.push(bytes)
        return emit(to, bytes)
      },
    },
  )
  reports.push([sent.result, sent.piggybacked, sent.errorCode])
  return { reports, emitted }
}

describe('sendPacketRequest: what became of a packet', () => {
  it.each([
    ['sent', 'sent'],
    ['too-large', 'too-large'],
    ['closed', 'closed'],
    [undefined, 'unconfirmed'],
    [true, 'unconfirmed'],
  ] as const)('transport answer %s -> %s', (answer, result) => {
    expect(resultOfSend(answer)).toBe(result)
    const { reports } = send({ to: '10.0.0.2:7946', messages: [ack], piggyback: false, crc: false }, () => answer)
    expect(reports).toEqual([[result, 0, undefined]])
  })

  it('a throwing transport is reported as failed with its code, not thrown to swim', () => {
    const { reports } = send({ to: 'nonsense', messages: [ack], piggyback: true, crc: false }, () => {
      throw new TransportError('ERR_TRANSPORT_ADDRESS', 'not a host:port address')
    })
    expect(reports).toEqual([['failed', 0, 'ERR_TRANSPORT_ADDRESS']])
  })

  it('a gossip-only request with an empty fill sends nothing and says so; a filled one counts its broadcasts', () => {
    const empty = send({ to: '10.0.0.2:7946', messages: [], piggyback: true, crc: false }, () => 'sent')
    expect(empty.emitted).toEqual([])
    expect(empty.reports).toEqual([['empty', 0, undefined]])
    const full = send({ to: '10.0.0.2:7946', messages: [ack], piggyback: true, crc: false }, () => 'sent', () => [user, user])
    expect(full.reports).toEqual([['sent', 2, undefined]])
    expect(decodeDatagram(full.emitted[0]!).messages.map((m) => m.type)).toEqual(['ack', 'user', 'user'])
  })
})

describe('SwimNode send counters', () => {
  it('counts each outcome of its sends per cause', () => {
    const answers: unknown[] = ['sent', 'too-large', 'closed', undefined, 'throw']
    const h = harness({
      sendPacket: (req) =>
        sendPacketRequest(req, {
          udpBufferSize: 1400,
          compress: false,
          fill: () => [],
          emit: () => {
            const a = answers.shift()
            if (a === 'throw') throw new TransportError('ERR_TRANSPORT_CLOSED', 'socket gone')
            return a
          },
        }),
    })
    // Five pings to us: five acks out, one per transport answer.
    for (let seq = 1; seq <= 5; seq++) h.receive(2, { type: 'ping', SeqNo: seq, Node: 'self', SourceAddr: Uint8Array.of(10, 0, 2, 1), SourcePort: 7946, SourceNode: 'n2' })
    expect(h.node.counters).toMatchObject({ packetsSent: 1, sendTooLarge: 1, sendClosed: 1, sendUnconfirmed: 1, sendFailed: 1, lastSendErrorCode: 'ERR_TRANSPORT_CLOSED' })
  })
})

describe('SwimNode gossip tick', () => {
  /** A node whose fill hands out `batches` one per ask, then nothing; counts the asks. */
  function gossiping(batches: number) {
    let asks = 0
    let left = batches
    const emitted: string[] = []
    const h = harness({
      sendPacket: (req) =>
        sendPacketRequest(req, {
          udpBufferSize: 1400,
          compress: false,
          fill: () => {
            asks++
            return left-- > 0 ? [user] : []
          },
          emit: (to) => {
            emitted.push(to)
            return 'sent'
          },
        }),
    })
    h.node.onTimer('gossip-tick')
    return { h, asks, emitted }
  }

  it('asks for one fill and sends nothing when there is nothing to gossip (memberlist gossip returns)', () => {
    const { h, asks, emitted } = gossiping(0)
    expect(asks).toBe(1)
    expect(emitted).toEqual([])
    expect(h.node.counters.gossipEmpty).toBe(1)
  })

  it('stops at the first empty fill; with enough to say it reaches gossipNodes (3) distinct members', () => {
    const two = gossiping(2)
    expect(two.asks).toBe(3)
    expect(two.emitted).toHaveLength(2)
    expect(two.h.node.counters).toMatchObject({ gossipEmpty: 1, packetsSent: 2 })
    const many = gossiping(10)
    expect(many.asks).toBe(3)
    expect(new Set(many.emitted).size).toBe(3)
    expect(many.h.node.counters.gossipEmpty).toBe(0)
  })
})
