/**
 * One SwimNode ("self", 10.0.0.1) on fake ports for unit tests of the swim core: a simulated clock
 * for its timers, a recorder for what it sends (decoded), no network. Peers n2..n{peers+1} are
 * introduced by alive messages. No ticker is started: tests call `node.prober.tick()` (or advance
 * the clock past timers the node armed itself), so only what a test provokes is sent.
 */
import { createSwimConfig } from '../../../actors/swim/config.ts'
import type { SwimInit } from '../../../actors/swim/config.ts'
import { DEFAULT_VSN } from '../../../actors/swim/messages.ts'
import { assemblePacket, decodeDatagram } from '../../../actors/swim/packets.ts'
import type { PacketRequest, PacketSent, SwimOutput, SwimPorts } from '../../../actors/swim/ports.ts'
import { SwimNode } from '../../../actors/swim/swim-node.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { encodeMessage } from '../../../src/wire/memberlist.ts'
import type { GossipMessage } from '../../../src/wire/memberlist.ts'
import { keyedTimers } from './support/keyed-timers.ts'

export const ip = (i: number): Uint8Array => Uint8Array.of(10, i >> 8, i & 0xff, 1)
export const addrOf = (i: number): string => `10.${i >> 8}.${i & 0xff}.1:7946`
const empty = new Uint8Array(0)

export interface Sent {
  atMs: number
  to: string
  messages: GossipMessage[]
  req: PacketRequest
}

export interface HarnessOptions {
  init?: SwimInit
  /** Peers introduced at the start (n2..n{peers+1}). */
  peers?: number
  /** Replaces the recorder as the ports' sendPacket, and says what became of the packet (the recorder still records). */
  sendPacket?: (req: PacketRequest) => PacketSent
}

export type WireMsg = Parameters<typeof encodeMessage>[0]

export function harness(options: HarnessOptions = {}) {
  const clock = new SimulatedClock()
  const timers = keyedTimers(clock, (key) => node.onTimer(key))
  const sent: Sent[] = []
  const outputs: Array<{ atMs: number; out: SwimOutput }> = []
  let seed = 1
  const ports: SwimPorts = {
    now: () => clock.now(),
    random: () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646,
    setTimer: timers.setTimer,
    cancelTimer: timers.cancelTimer,
    // No network: a packet with messages is 'sent' (recorded), a gossip-only one is 'empty' (no broadcasts queued here).
    sendPacket: (req) => {
      if (req.messages.length > 0) sent.push({ atMs: clock.now(), to: req.to, messages: decodeDatagram(assemblePacket(req.messages, { compress: false, crc: false })).messages, req })
      if (options.sendPacket !== undefined) return options.sendPacket(req)
      return { result: req.messages.length > 0 ? 'sent' : 'empty', piggybacked: 0 }
    },
    enqueueBroadcast: () => {},
    dial: () => {},
    localUserState: (_join, cb) => cb(empty),
    mergeRemoteUserState: () => {},
    emit: (out) => outputs.push({ atMs: clock.now(), out }),
  }
  const node = new SwimNode(createSwimConfig(options.init ?? {}), { name: 'self', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 }, ports)
  const receive = (fromPeer: number, ...messages: WireMsg[]) => {
    node.onPacket(addrOf(fromPeer), assemblePacket(messages.map((m) => encodeMessage(m)), { compress: false, crc: false }))
  }
  const alive = (i: number, inc: number) => ({ type: 'alive', Incarnation: inc, Node: `n${i}`, Addr: ip(i), Port: 7946, Meta: empty, Vsn: DEFAULT_VSN }) as const
  const peers = options.peers ?? 4
  for (let i = 2; i <= peers + 1; i++) receive(i, alive(i, 1))
  /** The peer index the probe in flight pings (from the last direct ping sent). */
  const lastPingTarget = (): number => {
    for (let i = sent.length - 1; i >= 0; i--) {
      const ping = sent[i]!.messages.find((m) => m.type === 'ping')
      if (ping !== undefined && ping.type === 'ping') return Number(ping.Node.slice(1))
    }
    throw new Error('no ping sent')
  }
  const seqOfLastPing = (): number => {
    for (let i = sent.length - 1; i >= 0; i--) {
      const ping = sent[i]!.messages.find((m) => m.type === 'ping')
      if (ping !== undefined && ping.type === 'ping') return ping.SeqNo
    }
    throw new Error('no ping sent')
  }
  return { clock, node, sent, outputs, receive, alive, lastPingTarget, seqOfLastPing }
}
