/**
 * Golden vectors from real Debian `serf agent`s (test/fixtures/serf, see its README): every vector
 * decodes with the wire codec, names the agents that were running (names, advertised addresses,
 * tags, version vector), and re-encodes to the captured bytes exactly: CRC, LZW compression and
 * AES-GCM (same key and nonce) included.
 *
 * Where Go writes a map in random order (push/pull StatusLTimes, Member.Tags in conflict responses;
 * see golden-checks.ts), a byte mismatch is allowed only for a map of two or more entries, and then
 * the re-encoding must have the same length and decode to the same value. Tags inside Meta are bytes
 * to memberlist, so packets carrying them still compare byte for byte; only their decoded form is
 * compared as a set.
 */
import { describe, expect, it } from 'vitest'
import { decodeCoordinatePayload, decodePacket, decodeSerfMessage, decodeStream, decodeTags, encodePacket, encodeStream, flattenPacket, formatIp, readStream } from '../../src/wire/index.ts'
import { Env, TEXT, checkGossip, checkPushPull, decodeTcp, decodeUdp, everySerfMessage, everyUdpMessage, expectCleanJson, streamMessage, tcpMessages } from './golden-checks.ts'
import { fromHexText, hexOf, loadFixtures, packetSignature, streamSignature } from './golden-fixtures.ts'

const fixtures = loadFixtures()

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
