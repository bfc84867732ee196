/**
 * Relaying query acks and responses (spec §5.9, Serf relayResponse and kRandomMembers): with
 * RelayFactor r > 0 and at least r + 1 known members (every status, ourselves included), the
 * response is also sent, wrapped as `[9]{DestAddr, DestName}[5]{…}`, to up to r random members
 * that are alive, speak memberlist protocol ≥ 5 and are not us. Randomness is injected.
 */
import type { RandomSource } from '../../src/types/random.ts'
import { encodeSerfMessage } from '../../src/wire/serf.ts'
import type { SerfRelay } from '../../src/wire/serf.ts'
import type { SendEffect } from './effects.ts'

export interface RelayCandidate {
  name: string
  addr: Uint8Array
  port: number
  status: 'alive' | 'leaving' | 'left' | 'failed' | 'none'
  /** memberlist protocol max the member advertises (relay needs ≥ 5). */
  protocolMax: number
}

/**
 * Serf kRandomMembers: up to k members picked by at most 3·n random draws, skipping the filtered
 * and the already picked (so with small n the search is nearly exhaustive).
 */
export function kRandomMembers<M extends { name: string }>(k: number, members: readonly M[], skip: (m: M) => boolean, random: RandomSource): M[] {
  const n = members.length
  const picked: M[] = []
  for (let i = 0; i < 3 * n && picked.length < k; i++) {
    const m = members[random.int(n)]!
    if (skip(m)) continue
    if (picked.some((p) => p.name === m.name)) continue
    picked.push(m)
  }
  return picked
}

export type RelayPlan = { sends: SendEffect[]; tooLarge: boolean }

/**
 * The relay sends for one encoded query response `inner` (type byte included) meant for
 * `dest` (the query's Addr:Port and SourceNode). A wrapped message over `sizeLimit` is not relayed
 * (Serf: "relayed response exceeds limit"), and says so.
 */
export function planRelays(
  relayFactor: number,
  inner: Uint8Array,
  dest: { addr: Uint8Array; port: number; name: string },
  kind: 'relay-ack' | 'relay-response',
  ctx: { localName: string; members: readonly RelayCandidate[]; random: RandomSource; sizeLimit: number },
): RelayPlan {
  if (relayFactor === 0 || ctx.members.length < relayFactor + 1) return { sends: [], tooLarge: false }
  const message = encodeSerfMessage({ type: 'relay', DestAddr: { IP: dest.addr, Port: dest.port, Zone: '' }, DestName: dest.name, Message: inner })
  if (message.length > ctx.sizeLimit) return { sends: [], tooLarge: true }
  const via = kRandomMembers(relayFactor, ctx.members, (m) => m.status !== 'alive' || m.protocolMax < 5 || m.name === ctx.localName, ctx.random)
  return { sends: via.map((m) => ({ type: 'send', addr: m.addr, port: m.port, name: m.name, kind, message })), tooLarge: false }
}

/**
 * We are the relay (delegate NotifyMsg, relay type): forward the inner message, exactly as
 * received, as a UDP user message to DestAddr (named DestName). Serf does not look inside it.
 */
export function forwardRelay(msg: SerfRelay): SendEffect {
  return { type: 'send', addr: msg.DestAddr.IP, port: msg.DestAddr.Port, name: msg.DestName, kind: 'relay-forward', message: msg.Message.slice() }
}
