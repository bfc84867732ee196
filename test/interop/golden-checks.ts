/**
 * What a golden vector must agree with (test/interop/golden-vectors.test.ts): per message type, the
 * names, advertised addresses, tags and versions of the agents recorded in the fixture, and exact
 * re-encoding of nested Serf messages. Go's random map order is allowed only where Go writes a map
 * (StatusLTimes, Member.Tags): there a byte mismatch must still decode to the same value.
 */
import { expect } from 'vitest'
import {
  Keyring,
  decodeCoordinatePayload,
  decodePacket,
  decodeSerfMessage,
  decodeStream,
  decodeTags,
  encodeSerfMessage,
  flattenPacket,
  formatIp,
  toJson,
} from '../../src/wire/index.ts'
import type { GossipMessage, PacketNode, PushPullStream, SerfMessage, StreamNode } from '../../src/wire/index.ts'
import { fromHexText, hexOf } from './golden-fixtures.ts'
import type { Fixture, FixtureVector } from './golden-fixtures.ts'

const SERF_VSN = [1, 5, 2, 2, 5, 5]
export const TEXT = new TextDecoder()


/** What one fixture's vectors must agree with. */
export class Env {
  readonly names: Set<string>
  readonly keyring: Keyring | null
  constructor(readonly fx: Fixture) {
    this.names = new Set(fx.agents.map((a) => a.name))
    this.keyring = fx.key === null ? null : Keyring.fromBase64([fx.key])
  }
  /** Serf node name of a from/to identity (they differ only for a duplicate name). */
  nameOf(id: string | null): string | undefined {
    return this.fx.agents.find((a) => a.id === id)?.name
  }
  /** Advertised addresses of the agents called `name` (two in the conflict scenario). */
  addrsOf(name: string): string[] {
    return this.fx.agents.filter((a) => a.name === name).map((a) => a.advertise)
  }
  /** Tag sets `name` had: at start, and after each `serf tags` action. */
  tagSetsOf(name: string): Array<Record<string, string>> {
    const updates = this.fx.actions.filter((a) => a.action === 'tags' && this.nameOf(String(a['node'])) === name).map((a) => a['tags'] as Record<string, string>)
    return [...this.fx.agents.filter((a) => a.name === name).map((a) => a.tags), ...updates]
  }
  expectName(name: string): void {
    expect(this.names, `node name ${JSON.stringify(name)}`).toContain(name)
  }
  expectAddr(name: string, ip: Uint8Array, port: number): void {
    expect(ip.length).toBe(4) // a 0.9.4 agent bound to an IPv4 address sends 4 bytes (spec §1.8)
    expect(this.addrsOf(name)).toContain(`${formatIp(ip)}:${port}`)
  }
  expectTags(name: string, meta: Uint8Array): void {
    // Go writes the tag map in random order; compare the decoded tags as a set.
    expect(this.tagSetsOf(name)).toContainEqual({ ...decodeTags(meta) })
  }
}

export function decodeUdp(env: Env, v: FixtureVector): PacketNode {
  return decodePacket(fromHexText(v.hex), { keyring: env.keyring })
}

export function decodeTcp(env: Env, v: FixtureVector): StreamNode {
  return decodeStream(fromHexText(v.hex), { keyring: env.keyring })
}

export function streamMessage(node: StreamNode): StreamNode {
  return node.type === 'encrypt' || node.type === 'compress' ? streamMessage(node.inner as StreamNode) : node
}

export function checkGossip(env: Env, v: FixtureVector, msg: GossipMessage): void {
  switch (msg.type) {
    case 'ping':
      expect(msg.Node).toBe(env.nameOf(v.to))
      expect(msg.SourceNode).toBe(env.nameOf(v.from))
      env.expectAddr(msg.SourceNode, msg.SourceAddr, msg.SourcePort)
      expect(msg.SeqNo).toBeGreaterThan(0)
      return
    case 'indirectPing':
      env.expectName(msg.Node)
      env.expectAddr(msg.Node, msg.Target, msg.Port)
      expect(msg.SourceNode).toBe(env.nameOf(v.from))
      env.expectAddr(msg.SourceNode, msg.SourceAddr, msg.SourcePort)
      expect(msg.Nack).toBe(true) // peers' PMax is 5 ≥ 4
      return
    case 'ack': {
      expect(msg.SeqNo).toBeGreaterThan(0)
      const coordinate = decodeCoordinatePayload(msg.Payload)
      if (coordinate !== null) {
        expect(coordinate.Vec).toHaveLength(8)
        expect(Number.isFinite(coordinate.Error) && Number.isFinite(coordinate.Height)).toBe(true)
      }
      return
    }
    case 'nack':
      expect(msg.SeqNo).toBeGreaterThan(0)
      return
    case 'alive':
      env.expectName(msg.Node)
      env.expectAddr(msg.Node, msg.Addr, msg.Port)
      expect(Array.from(msg.Vsn)).toEqual(SERF_VSN)
      expect(msg.Incarnation).toBeGreaterThanOrEqual(1)
      env.expectTags(msg.Node, msg.Meta)
      return
    case 'suspect':
    case 'dead':
      env.expectName(msg.Node)
      env.expectName(msg.From)
      expect(msg.Incarnation).toBeGreaterThanOrEqual(1)
      return
    case 'user': {
      const serf = decodeSerfMessage(msg.Payload)
      expect(hexOf(encodeSerfMessage(serf))).toBe(hexOf(msg.Payload))
      checkSerf(env, serf)
      return
    }
  }
}

function eventActions(env: Env): Array<{ name: string; payload: string; coalesce: boolean }> {
  return env.fx.actions
    .filter((a) => a.action === 'event')
    .map((a) => ({ name: String(a['name']), payload: String(a['payload']), coalesce: a['coalesce'] === true }))
}

function checkSerf(env: Env, msg: SerfMessage): void {
  switch (msg.type) {
    case 'join':
    case 'leave':
      env.expectName(msg.Node)
      expect(msg.LTime).toBeGreaterThan(0n)
      return
    case 'userEvent': {
      const sent = eventActions(env).map((e) => ({ name: e.name, payload: e.payload, cc: e.coalesce }))
      expect(sent).toContainEqual({ name: msg.Name, payload: TEXT.decode(msg.Payload ?? new Uint8Array(0)), cc: msg.CC })
      expect(msg.LTime).toBeGreaterThan(0n)
      return
    }
    case 'query': {
      env.expectName(msg.SourceNode)
      env.expectAddr(msg.SourceNode, msg.Addr, msg.Port)
      expect(msg.Timeout).toBeGreaterThan(0n)
      if (msg.Name === '_serf_conflict') {
        env.expectName(TEXT.decode(msg.Payload ?? new Uint8Array(0))) // the contested name, raw
      } else if (msg.Name.startsWith('_serf_')) {
        const request = decodeSerfMessage(msg.Payload ?? new Uint8Array(0))
        expect(request.type).toBe('keyRequest')
        expect(hexOf(encodeSerfMessage(request))).toBe(hexOf(msg.Payload!))
      } else {
        expect(msg.Name).toBe('whoami')
      }
      for (const filter of msg.Filters ?? []) {
        if (filter.type === 'node') filter.Nodes.forEach((n) => env.expectName(n))
        else expect(filter).toMatchObject({ type: 'tag', Tag: 'role', Expr: 'web' })
      }
      return
    }
    case 'queryResponse': {
      env.expectName(msg.From)
      const payload = msg.Payload ?? new Uint8Array(0)
      if (msg.Flags === 1) expect(payload.length).toBe(0) // an ack carries nothing
      else if (payload[0] === 6) checkConflictResponse(env, payload)
      else if (payload[0] === 8) {
        const response = decodeSerfMessage(payload)
        expect(response.type).toBe('keyResponse')
        expect(hexOf(encodeSerfMessage(response))).toBe(hexOf(payload))
      } else expect(TEXT.decode(payload)).toBe(`i am ${msg.From}`)
      return
    }
    case 'relay': {
      env.expectName(msg.DestName)
      env.expectAddr(msg.DestName, msg.DestAddr.IP, msg.DestAddr.Port)
      const inner = decodeSerfMessage(msg.Message)
      expect(inner.type).toBe('queryResponse')
      expect(hexOf(encodeSerfMessage(inner))).toBe(hexOf(msg.Message))
      checkSerf(env, inner)
      return
    }
    default:
      throw new Error(`unexpected Serf message ${msg.type} in a UDP packet`)
  }
}

/** `[6]Member` answering _serf_conflict: the responder's view of the contested name. */
function checkConflictResponse(env: Env, payload: Uint8Array): void {
  const response = decodeSerfMessage(payload)
  if (response.type !== 'conflictResponse') throw new Error(`expected conflictResponse, got ${response.type}`)
  const member = response.Member
  if (member !== null) {
    env.expectName(member.Name)
    env.expectAddr(member.Name, member.Addr, member.Port)
    expect(env.tagSetsOf(member.Name)).toContainEqual(Object.fromEntries(member.Tags))
    expect([member.ProtocolMin, member.ProtocolMax, member.ProtocolCur, member.DelegateMin, member.DelegateMax, member.DelegateCur]).toEqual(SERF_VSN)
  }
  const reencoded = encodeSerfMessage(response)
  if (hexOf(reencoded) !== hexOf(payload)) {
    // Member.Tags is a Go map (random order): only a map of 2+ entries may differ, and only in order.
    expect(member?.Tags.size ?? 0).toBeGreaterThan(1)
    expect(reencoded.length).toBe(payload.length)
    expect(decodeSerfMessage(reencoded)).toEqual(response)
  }
}

export function checkPushPull(env: Env, v: FixtureVector, pp: PushPullStream): void {
  expect(pp.Join).toBe(true) // every captured push/pull is a join (periodic ones come after 30 s)
  expect(pp.Nodes).toBe(pp.NodeStates.length)
  for (const s of pp.NodeStates) {
    env.expectName(s.Name)
    env.expectAddr(s.Name, s.Addr, s.Port)
    expect(Array.from(s.Vsn)).toEqual(SERF_VSN)
    expect([0, 1, 2, 3]).toContain(s.State)
    env.expectTags(s.Name, s.Meta)
  }
  expect(pp.NodeStates.map((s) => s.Name)).toContain(env.nameOf(v.from)) // the sender lists itself
  const state = decodeSerfMessage(pp.UserState)
  if (state.type !== 'pushPull') throw new Error(`user state is ${state.type}`)
  expect(state.LTime).toBeGreaterThan(0n)
  for (const name of state.StatusLTimes.keys()) env.expectName(name)
  for (const name of state.LeftMembers ?? []) env.expectName(name)
  expect(state.Events).toHaveLength(512) // the whole ring buffer, nil slots included (spec §2.5)
  const reencoded = encodeSerfMessage(state)
  if (hexOf(reencoded) !== hexOf(pp.UserState)) {
    // Go's map order is random: only a StatusLTimes of 2+ entries may differ, and only in order.
    expect(state.StatusLTimes.size).toBeGreaterThan(1)
    expect(reencoded.length).toBe(pp.UserState.length)
    expect(decodeSerfMessage(reencoded)).toEqual(state)
  }
}

/** The `gossamer decode` view of a real vector: valid JSON, no nested payload left undecoded. */
export function expectCleanJson(node: PacketNode | StreamNode): void {
  const text = JSON.stringify(toJson(node))
  expect(text).not.toMatch(/"error":/)
  expect(JSON.parse(text)).toHaveProperty('type')
}

export function everyUdpMessage(env: Env): Array<{ v: FixtureVector; msg: GossipMessage }> {
  return env.fx.vectors
    .filter((v) => v.transport === 'udp')
    .flatMap((v) => flattenPacket(decodeUdp(env, v)).messages.map((msg) => ({ v, msg })))
}

export function everySerfMessage(env: Env): SerfMessage[] {
  return everyUdpMessage(env).flatMap(({ msg }) => {
    if (msg.type !== 'user') return []
    const serf = decodeSerfMessage(msg.Payload)
    return serf.type === 'relay' ? [serf, decodeSerfMessage(serf.Message)] : [serf]
  })
}

export function tcpMessages(env: Env): Array<{ v: FixtureVector; node: StreamNode }> {
  return env.fx.vectors.filter((v) => v.transport === 'tcp').map((v) => ({ v, node: streamMessage(decodeTcp(env, v)) }))
}
