/**
 * Golden vectors from real Debian `serf agent`s (test/fixtures/serf, see its README): every vector
 * decodes with the wire codec, names the agents that were running (names, advertised addresses,
 * tags, version vector), and re-encodes to the captured bytes exactly: CRC, LZW compression and
 * AES-GCM (same key and nonce) included.
 *
 * Where Go writes a map in random order (Serf's push/pull StatusLTimes), a byte mismatch is allowed
 * only for a map of two or more entries, and then the re-encoding must have the same length and
 * decode to the same value. Tags inside Meta are bytes to memberlist, so packets carrying them still
 * compare byte for byte; only their decoded form is compared as a set.
 */
import { describe, expect, it } from 'vitest'
import {
  Keyring,
  decodeCoordinatePayload,
  decodePacket,
  decodeSerfMessage,
  decodeStream,
  decodeTags,
  encodePacket,
  encodeSerfMessage,
  encodeStream,
  flattenPacket,
  formatIp,
  readStream,
  toJson,
} from '../../src/wire/index.ts'
import type { GossipMessage, PacketNode, PushPullStream, SerfMessage, StreamNode } from '../../src/wire/index.ts'
import { fromHexText, hexOf, loadFixtures, packetSignature, streamSignature } from './golden-fixtures.ts'
import type { Fixture, FixtureVector } from './golden-fixtures.ts'

const SERF_VSN = [1, 5, 2, 2, 5, 5]
const TEXT = new TextDecoder()

const fixtures = loadFixtures()

/** What one fixture's vectors must agree with. */
class Env {
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

function decodeUdp(env: Env, v: FixtureVector): PacketNode {
  return decodePacket(fromHexText(v.hex), { keyring: env.keyring })
}

function decodeTcp(env: Env, v: FixtureVector): StreamNode {
  return decodeStream(fromHexText(v.hex), { keyring: env.keyring })
}

function streamMessage(node: StreamNode): StreamNode {
  return node.type === 'encrypt' || node.type === 'compress' ? streamMessage(node.inner as StreamNode) : node
}

function checkGossip(env: Env, v: FixtureVector, msg: GossipMessage): void {
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

function checkPushPull(env: Env, v: FixtureVector, pp: PushPullStream): void {
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
function expectCleanJson(node: PacketNode | StreamNode): void {
  const text = JSON.stringify(toJson(node))
  expect(text).not.toMatch(/"error":/)
  expect(JSON.parse(text)).toHaveProperty('type')
}

function everyUdpMessage(env: Env): Array<{ v: FixtureVector; msg: GossipMessage }> {
  return env.fx.vectors
    .filter((v) => v.transport === 'udp')
    .flatMap((v) => flattenPacket(decodeUdp(env, v)).messages.map((msg) => ({ v, msg })))
}

function everySerfMessage(env: Env): SerfMessage[] {
  return everyUdpMessage(env).flatMap(({ msg }) => {
    if (msg.type !== 'user') return []
    const serf = decodeSerfMessage(msg.Payload)
    return serf.type === 'relay' ? [serf, decodeSerfMessage(serf.Message)] : [serf]
  })
}

function tcpMessages(env: Env): Array<{ v: FixtureVector; node: StreamNode }> {
  return env.fx.vectors.filter((v) => v.transport === 'tcp').map((v) => ({ v, node: streamMessage(decodeTcp(env, v)) }))
}

describe('golden vectors from serf 0.9.4', () => {
  it('has every capture scenario', () => {
    expect(fixtures.map((f) => f.scenario)).toEqual([
      'compressed',
      'conflict',
      'encrypted',
      'failure',
      'leave',
      'plain',
      'pushpull-state',
      'query',
      'stream-errors-encrypted',
      'stream-errors',
      'tags-update',
      'user-events',
    ])
    for (const fx of fixtures) expect(fx.vectors.length).toBeGreaterThan(fx.scenario.startsWith('stream-errors') ? 0 : 5)
  })

  for (const fx of fixtures) {
    const env = new Env(fx)
    describe(fx.scenario, () => {
      for (const v of fx.vectors) {
        it(`${v.id} ${v.signature} decodes, names the agents and re-encodes byte for byte`, () => {
          const bytes = fromHexText(v.hex)
          if (v.transport === 'udp') {
            const node = decodeUdp(env, v)
            expect(`udp:${packetSignature(node)}`).toBe(v.signature)
            expect(hexOf(encodePacket(node, { keyring: env.keyring }))).toBe(v.hex)
            const flat = flattenPacket(node)
            expect(flat.invalid).toEqual([])
            expect(flat.truncated).toBe(0)
            for (const msg of flat.messages) checkGossip(env, v, msg)
            expectCleanJson(node)
          } else {
            const read = readStream(bytes, { keyring: env.keyring })
            expect(read.bytesRead).toBe(bytes.length) // one message per direction, nothing after it
            expect(`tcp:${v.role}:${streamSignature(read.node)}`).toBe(v.signature)
            expect(hexOf(encodeStream(read.node, { keyring: env.keyring }))).toBe(v.hex)
            expectCleanJson(read.node)
            const msg = streamMessage(read.node)
            if (msg.type === 'pushPull') checkPushPull(env, v, msg)
            else if (msg.type === 'ping') checkGossip(env, v, msg)
            else if (msg.type === 'err') expect(msg.Error.length).toBeGreaterThan(0)
            else throw new Error(`unexpected ${msg.type} stream`)
          }
        })
      }
    })
  }
})

describe('golden vectors cover their scenario', () => {
  const env = (name: string): Env => new Env(fixtures.find((f) => f.scenario === name)!)

  it('plain: join push/pull both ways, alive, join intent, ping and a coordinate ack, CRC on gossip', () => {
    const e = env('plain')
    const tcp = tcpMessages(e)
    expect(tcp.map(({ v, node }) => `${v.role}:${node.type}`).sort()).toEqual(['reply:pushPull', 'request:pushPull'])
    const types = new Set(everyUdpMessage(e).map(({ msg }) => msg.type))
    for (const t of ['alive', 'ping', 'ack', 'user']) expect(types).toContain(t)
    expect(everySerfMessage(e).some((m) => m.type === 'join')).toBe(true)
    const acks = everyUdpMessage(e).flatMap(({ msg }) => (msg.type === 'ack' ? [msg] : []))
    expect(acks.some((a) => decodeCoordinatePayload(a.Payload) !== null)).toBe(true)
    expect(e.fx.vectors.some((v) => v.transport === 'udp' && decodeUdp(e, v).type === 'hasCrc')).toBe(true)
  })

  it('compressed: every stream and some packets are LZW-compressed', () => {
    const e = env('compressed')
    for (const v of e.fx.vectors.filter((x) => x.transport === 'tcp')) expect(decodeTcp(e, v).type).toBe('compress')
    expect(e.fx.vectors.filter((v) => v.transport === 'udp' && v.signature.includes('compress(')).length).toBeGreaterThan(2)
  })

  it('encrypted: everything is sealed, opens only with the key, and carries key queries', () => {
    const e = env('encrypted')
    for (const v of e.fx.vectors) {
      const node = v.transport === 'udp' ? decodeUdp(e, v) : decodeTcp(e, v)
      expect(node.type).toBe('encrypt')
      const withoutKey = (): unknown => (v.transport === 'udp' ? decodePacket(fromHexText(v.hex)) : decodeStream(fromHexText(v.hex)))
      expect(withoutKey).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_WIRE_/) }))
    }
    const serf = everySerfMessage(e)
    expect(serf.some((m) => m.type === 'query' && m.Name === '_serf_install-key')).toBe(true)
    expect(serf.some((m) => m.type === 'query' && m.Name === '_serf_list-keys')).toBe(true)
    expect(serf.some((m) => m.type === 'userEvent' && m.Name === 'deploy')).toBe(true)
  })

  it('pushpull-state: the join reply carries the left member and the buffered user event', () => {
    const e = env('pushpull-state')
    const reply = tcpMessages(e).find(({ v }) => v.role === 'reply')
    if (reply?.node.type !== 'pushPull') throw new Error('no push/pull reply captured')
    const state = decodeSerfMessage(reply.node.UserState)
    if (state.type !== 'pushPull') throw new Error('no Serf state')
    expect(state.LeftMembers).toContain('b')
    // a answers c's join with its state from before the merge, so c is not in it yet.
    expect([...state.StatusLTimes.keys()].sort()).toEqual(['a', 'b'])
    const events = (state.Events ?? []).flatMap((slot) => slot?.Events ?? [])
    expect(events.map((ev) => ({ name: ev.Name, payload: TEXT.decode(ev.Payload ?? new Uint8Array(0)) }))).toContainEqual({ name: 'deploy', payload: 'v1' })
    expect(reply.node.NodeStates.find((s) => s.Name === 'b')?.State).toBe(3) // left
  })

  it('user-events: coalesced, uncoalesced, empty and larger payloads', () => {
    const events = everySerfMessage(env('user-events')).flatMap((m) => (m.type === 'userEvent' ? [m] : []))
    const seen = new Set(events.map((ev) => `${ev.Name}/${String(ev.CC)}/${ev.Payload?.length ?? 0}`))
    expect(seen).toEqual(new Set(['deploy/true/13', 'restart/false/0', 'config/false/240']))
  })

  it('query: plain, node-filtered and tag-filtered queries, acks, responses and relays', () => {
    const serf = everySerfMessage(env('query'))
    const queries = serf.flatMap((m) => (m.type === 'query' ? [m] : []))
    expect(queries.some((q) => q.Filters === null && q.Flags === 1)).toBe(true)
    expect(queries.some((q) => q.Filters?.some((f) => f.type === 'node' && f.Nodes.join() === 'b'))).toBe(true)
    expect(queries.some((q) => q.RelayFactor === 1 && q.Filters?.some((f) => f.type === 'tag'))).toBe(true)
    const responses = serf.flatMap((m) => (m.type === 'queryResponse' ? [m] : []))
    expect(responses.some((r) => r.Flags === 1)).toBe(true)
    expect(responses.some((r) => r.Flags === 0 && (r.Payload?.length ?? 0) > 0)).toBe(true)
    expect(serf.some((m) => m.type === 'relay')).toBe(true)
  })

  it('leave: a Serf leave intent for c, then dead with From == Node', () => {
    const e = env('leave')
    expect(everySerfMessage(e).some((m) => m.type === 'leave' && m.Node === 'c' && !m.Prune)).toBe(true)
    expect(everyUdpMessage(e).some(({ msg }) => msg.type === 'dead' && msg.Node === 'c' && msg.From === 'c')).toBe(true)
  })

  it('stream-errors: the agent answers a corrupt or unknown compression with err, compressed (and sealed)', () => {
    const errors = (name: string): string[] =>
      tcpMessages(env(name)).map(({ v, node }) => {
        expect(v.role).toBe('reply')
        if (node.type !== 'err') throw new Error(`expected err, got ${node.type}`)
        return node.Error
      })
    const plain = errors('stream-errors')
    expect(plain).toHaveLength(2)
    expect(plain[0]).toMatch(/lzw: invalid code/)
    expect(plain[1]).toMatch(/unknown algorithm 1/)
    const e = env('stream-errors-encrypted')
    expect(e.fx.vectors.every((v) => decodeTcp(e, v).type === 'encrypt')).toBe(true)
    expect(errors('stream-errors-encrypted')).toEqual(['Encryption is configured but remote state is not encrypted'])
  })

  it('tags-update: an alive for a with a higher incarnation and the new tags', () => {
    const alives = everyUdpMessage(env('tags-update')).flatMap(({ msg }) => (msg.type === 'alive' && msg.Node === 'a' ? [msg] : []))
    const updated = alives.filter((m) => decodeTags(m.Meta)['zone'] === 'z2')
    expect(updated.length).toBeGreaterThan(0)
    expect({ ...decodeTags(updated[0]!.Meta) }).toEqual({ role: 'web', zone: 'z2' })
    expect(updated.every((m) => m.Incarnation >= 2)).toBe(true)
  })

  it('conflict: the twin asks _serf_conflict about "b" and a answers with its view of the original b', () => {
    const e = env('conflict')
    const serf = everySerfMessage(e)
    expect(serf.some((m) => m.type === 'query' && m.Name === '_serf_conflict' && TEXT.decode(m.Payload ?? new Uint8Array(0)) === 'b')).toBe(true)
    const members = serf.flatMap((m) => {
      if (m.type !== 'queryResponse' || m.Payload?.[0] !== 6) return []
      const response = decodeSerfMessage(m.Payload)
      return response.type === 'conflictResponse' && response.Member !== null ? [response.Member] : []
    })
    expect(members.length).toBeGreaterThan(0)
    const original = e.fx.agents.find((a) => a.id === 'b')!
    expect(members.map((m) => `${m.Name}@${formatIp(m.Addr)}:${m.Port}`)).toContain(`b@${original.advertise}`)
    expect(members.every((m) => m.Status === 1)).toBe(true) // alive
  })

  it('failure: indirect probes with nack, TCP fallback ping, suspect and dead for the killed node', () => {
    const e = env('failure')
    const msgs = everyUdpMessage(e).map(({ msg }) => msg)
    expect(msgs.some((m) => m.type === 'indirectPing' && m.Node === 'c' && m.Nack)).toBe(true)
    expect(msgs.some((m) => m.type === 'nack')).toBe(true)
    expect(msgs.some((m) => m.type === 'suspect' && m.Node === 'c' && m.From !== 'c')).toBe(true)
    expect(msgs.some((m) => m.type === 'dead' && m.Node === 'c' && m.From !== 'c')).toBe(true)
    expect(tcpMessages(e).some(({ v, node }) => v.to === 'c' && node.type === 'ping' && node.Node === 'c')).toBe(true)
  })
})
