/**
 * What swim offers Serf's event layer and the node (issues 12 and 13), through the swim machine on
 * the simulated clock: Serf messages routed to serf-events, `swim.send-user`, name conflicts from
 * push/pull, the join's per-address errors, the live keyring and the coordinate ask.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { machineNodes } from './support/machine-nodes.ts'
import type { MachineNode } from './support/machine-nodes.ts'
import { assemblePacket, decodeDatagram, encodePushPullStream, encodeUser } from '../../../actors/swim/packets.ts'
import { encodeMessage } from '../../../src/wire/memberlist.ts'
import { DEFAULT_VSN } from '../../../actors/swim/messages.ts'
import { Keyring } from '../../../src/wire/keyring.ts'
import type { KeyringOp, KeyringReply, CoordinateReply } from '../../../actors/swim/protocol.ts'
import type { JoinCompletedMsg, NameConflictMsg } from '../../../actors/member-manager/protocol.ts'
import type { SerfMessageMsg } from '../../../actors/serf-events/protocol.ts'
import type { Stream } from '../../../src/transport/transport.ts'
import { dialFailure, joinAddressError, readFailure, remoteFailure } from '../../../actors/swim/join-errors.ts'
import { swim as swimDefinition } from '../../../actors/swim/definition.ts'

let h: ReturnType<typeof machineNodes> | undefined
afterEach(() => {
  h?.shutdown()
  h = undefined
})

const KEY_A = new Uint8Array(16).fill(1)
const KEY_B = new Uint8Array(16).fill(2)
const KEY_C = new Uint8Array(32).fill(3)
const ctx = (n: MachineNode) => n.actor.getSnapshot().context

/** A datagram with one user message carrying `serf` (`[serfType][body]`). */
const userDatagram = (serf: Uint8Array, keyring: Keyring | null = null) =>
  assemblePacket([encodeUser(serf)], { compress: false, crc: false, security: { keyring, verifyIncoming: true, verifyOutgoing: true } })

describe('Serf messages by gossip or UDP', () => {
  it('go to serf-events when it is configured (user event, query, response, relay), intents stay with member-manager', async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1, { peers: { serfEvents: 'serf-events' } })
    const raw = h.net.createTransport('10.0.0.9:7946')
    await h.clock.advance(100)
    for (const t of [3, 4, 5, 9, 1]) raw.sendPacket(n1.address, userDatagram(Uint8Array.of(t, 0x80)))
    await h.clock.advance(100)
    const routed = n1.to('serf-events', 'serf.message') as unknown as SerfMessageMsg[]
    expect(routed.map((m) => m.bytes[0])).toEqual([3, 4, 5, 9])
    expect(routed[0]).toEqual({ type: 'serf.message', bytes: Uint8Array.of(3, 0x80), from: '10.0.0.9:7946' })
    // The join intent (type 1) went to member-manager as before.
    expect(n1.to('member-manager', 'member.user-message').map((m) => (m as unknown as { bytes: Uint8Array }).bytes[0])).toEqual([1])
    expect(ctx(n1).serfMessagesRouted).toBe(4)
  })

  it('go to member-manager when no serfEvents peer is configured', async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1)
    const raw = h.net.createTransport('10.0.0.9:7946')
    await h.clock.advance(100)
    raw.sendPacket(n1.address, userDatagram(Uint8Array.of(3, 0x80)))
    await h.clock.advance(100)
    expect(n1.to('member-manager', 'member.user-message')).toHaveLength(1)
    expect(n1.to('serf-events')).toHaveLength(0)
    expect(ctx(n1).serfMessagesRouted).toBe(0)
  })
})

describe('swim.send-user', () => {
  it('sends one user message by UDP, sealed with the node keyring, and counts sent and too large', async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1, { config: { keys: [KEY_A] } })
    const raw = h.net.createTransport('10.0.0.9:7946')
    const got: Uint8Array[] = []
    raw.onPacket((p) => void got.push(p.bytes))
    await h.clock.advance(100)
    n1.actor.send({ type: 'swim.send-user', addr: Uint8Array.of(10, 0, 0, 9), port: 7946, bytes: Uint8Array.of(5, 0x81, 0xa1, 0x41, 1) })
    // Too large for one packet (udpBufferSize 1400 with the 29 bytes of the sealing): refused, nothing sent.
    n1.actor.send({ type: 'swim.send-user', addr: Uint8Array.of(10, 0, 0, 9), port: 7946, bytes: new Uint8Array(1400).fill(5) })
    await h.clock.advance(100)
    expect(got).toHaveLength(1)
    expect(() => decodeDatagram(got[0]!)).toThrow() // sealed
    const msgs = decodeDatagram(got[0]!, { keyring: new Keyring([KEY_A]), verifyIncoming: true, verifyOutgoing: true }).messages
    expect(msgs).toEqual([{ type: 'user', Payload: Uint8Array.of(5, 0x81, 0xa1, 0x41, 1) }])
    expect(ctx(n1).counters).toMatchObject({ userMessagesSent: 1, userMessagesTooLarge: 1, userMessagesFailed: 0 })
  })
})

describe('swim.send-user to a member', () => {
  it('reaches a member and an outsider, the outsider getting a bare user message (no CRC: it is no member)', async () => {
    h = machineNodes(6)
    const n1 = h.add('n1', 1)
    const n2 = h.add('n2', 2, { join: ['10.0.0.1:7946'] })
    await h.clock.advance(2_000)
    const before = n1.actor.getSnapshot().context.counters.userMessagesSent
    const raw = h.net.createTransport('10.0.0.9:7946')
    const datagrams: Uint8Array[] = []
    // Watch what n1 sends to n2 by sending to an outsider too: the outsider's copy has no CRC.
    raw.onPacket((p) => void datagrams.push(p.bytes))
    n1.actor.send({ type: 'swim.send-user', addr: Uint8Array.of(10, 0, 0, 2), port: 7946, bytes: Uint8Array.of(5, 0x80) })
    n1.actor.send({ type: 'swim.send-user', addr: Uint8Array.of(10, 0, 0, 9), port: 7946, bytes: Uint8Array.of(5, 0x80) })
    await h.clock.advance(10)
    expect(datagrams).toHaveLength(1)
    expect(datagrams[0]![0]).toBe(8) // bare user message: the outsider is no member
    expect(ctx(n1).counters.userMessagesSent).toBe(before + 2)
    // n2 got its copy (with the CRC: decodes, and reaches its member-manager).
    expect(n2.to('member-manager', 'member.user-message').some((m) => (m as unknown as { bytes: Uint8Array }).bytes[0] === 5)).toBe(true)
  })
})

describe('name conflicts', () => {
  const claim = (name: string) => ({ name, addr: Uint8Array.of(10, 0, 0, 77), port: 7946, meta: new Uint8Array(0), incarnation: 9, state: 'alive' as const, vsn: DEFAULT_VSN })

  it('a push/pull carrying our name at another address reaches member-manager as a name conflict', async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1)
    const peer = h.net.createTransport('10.0.0.9:7946')
    peer.onStream((s: Stream) => {
      s.onData(() => {})
      s.onEnd(() => {})
      s.write(encodePushPullStream(true, [claim('peer'), claim('n1')], new Uint8Array(0), false))
      s.end()
    })
    await h.clock.advance(100)
    n1.actor.send({ type: 'swim.join', addresses: ['10.0.0.9:7946'] })
    await h.clock.advance(200)
    const conflicts = n1.to('member-manager', 'member.name-conflict') as unknown as NameConflictMsg[]
    expect(conflicts).toHaveLength(1)
    expect(conflicts[0]!.existing.name).toBe('n1')
    expect(conflicts[0]!.other).toEqual({ addr: Uint8Array.of(10, 0, 0, 77), port: 7946 })
    expect(ctx(n1).counters.conflicts).toBe(1)
  })

  it('so does an alive by gossip (the same message, from the same rule)', async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1)
    const raw = h.net.createTransport('10.0.0.9:7946')
    await h.clock.advance(100)
    const alive = encodeMessage({ type: 'alive', Incarnation: 9, Node: 'n1', Addr: Uint8Array.of(10, 0, 0, 77), Port: 7946, Meta: new Uint8Array(0), Vsn: DEFAULT_VSN })
    raw.sendPacket(n1.address, assemblePacket([alive], { compress: false, crc: false }))
    await h.clock.advance(100)
    expect(n1.to('member-manager', 'member.name-conflict')).toHaveLength(1)
    expect(ctx(n1).counters.conflicts).toBe(1)
  })
})

describe('a join that reaches no one', () => {
  it('reports each address with a code and memberlist text, logged at warn', async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1)
    await h.clock.advance(100)
    n1.actor.send({ type: 'swim.join', addresses: ['10.0.0.9:7946'] })
    await h.clock.advance(200)
    const done = n1.to('member-manager', 'member.join-completed') as unknown as JoinCompletedMsg[]
    expect(done).toEqual([
      { type: 'member.join-completed', numJoined: 0, errors: [{ address: '10.0.0.9:7946', code: 'ERR_JOIN_UNREACHABLE', message: 'Failed to join 10.0.0.9: dial tcp 10.0.0.9:7946: connect: connection refused' }] },
    ])
    expect(n1.logged).toContainEqual({ level: 'warn', obj: { code: 'ERR_JOIN_UNREACHABLE', address: '10.0.0.9:7946' }, msg: 'Failed to join 10.0.0.9: dial tcp 10.0.0.9:7946: connect: connection refused' })
  })

  it('a wrong key and a plaintext node joining an encrypted one: ERR_JOIN_DECRYPT (our errResp says why); a good join has no errors', async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1, { config: { keys: [KEY_A] } })
    const wrong = h.add('n2', 2, { config: { keys: [KEY_B] } })
    const plain = h.add('n3', 3)
    const good = h.add('n4', 4, { config: { keys: [KEY_A] } })
    await h.clock.advance(100)
    for (const n of [wrong, plain, good]) n.actor.send({ type: 'swim.join', addresses: [n1.address] })
    await h.clock.advance(2_000)
    const result = (n: MachineNode) => (n.to('member-manager', 'member.join-completed') as unknown as JoinCompletedMsg[])[0]!
    expect(result(wrong).numJoined).toBe(0)
    // n1 cannot open their push/pulls and answers memberlist's errResp, sealed with its key.
    expect(result(wrong).errors).toEqual([{ address: n1.address, code: 'ERR_JOIN_DECRYPT', message: 'Failed to join 10.0.0.1: Reading remote state failed: No installed keys could decrypt the message' }])
    expect(result(plain).errors).toEqual([
      { address: n1.address, code: 'ERR_JOIN_DECRYPT', message: 'Failed to join 10.0.0.1: Reading remote state failed: Remote state is encrypted and encryption is not configured' },
    ])
    expect(ctx(n1).counters.errRepliesSent).toBe(2)
    expect(result(good)).toEqual({ type: 'member.join-completed', numJoined: 1 })
  })
})

describe('join failure mapping (join-errors.ts)', () => {
  it.each([
    [{ code: 'ERR_TRANSPORT_DIAL', message: 'dial 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1' }, 'ERR_JOIN_UNREACHABLE', 'dial tcp 127.0.0.1:1: connect: connection refused'],
    [{ code: 'ERR_TRANSPORT_DIAL', message: 'dial 127.0.0.1:1: timeout after 10000 ms' }, 'ERR_JOIN_TIMEOUT', 'dial tcp 127.0.0.1:1: i/o timeout'],
    [{ code: 'ERR_TRANSPORT_DIAL', message: 'dial 127.0.0.1:1: connect EHOSTUNREACH 127.0.0.1:1' }, 'ERR_JOIN_UNREACHABLE', 'dial tcp 127.0.0.1:1: connect: no route to host'],
  ])('a dial error %j is %s', (err, code, detail) => {
    expect(dialFailure('127.0.0.1:1', err)).toEqual({ code, detail })
  })

  it.each([
    ['ERR_WIRE_DECRYPT', 'ERR_JOIN_DECRYPT', 'Reading remote state failed: No installed keys could decrypt the message'],
    ['ERR_WIRE_ENCRYPTION_REQUIRED', 'ERR_JOIN_DECRYPT', 'Reading remote state failed: Encryption is configured but remote state is not encrypted'],
    ['ERR_TRANSPORT_TIMEOUT', 'ERR_JOIN_TIMEOUT', 'Reading remote state failed: i/o timeout'],
    ['ERR_TRANSPORT_CLOSED', 'ERR_JOIN_CLOSED', 'Reading remote state failed: EOF'],
    ['ERR_WIRE_BAD_LENGTH', 'ERR_JOIN_PROTOCOL', 'Reading remote state failed: bad'],
  ])('a read error %s is %s', (wire, code, detail) => {
    expect(readFailure({ code: wire, message: 'bad' })).toEqual({ code, detail })
  })

  it('an encrypted reply while we have no keyring says so, as memberlist does', () => {
    expect(readFailure({ code: 'ERR_WIRE_ENCRYPTION_REQUIRED', message: 'encrypted stream and no keyring' })).toEqual({
      code: 'ERR_JOIN_DECRYPT',
      detail: 'Reading remote state failed: Remote state is encrypted and encryption is not configured',
    })
  })

  it('a remote errResp about keys is ERR_JOIN_DECRYPT; the address is named by its IP as memberlist does', () => {
    expect(remoteFailure('No installed keys could decrypt the message')).toEqual({ code: 'ERR_JOIN_DECRYPT', detail: 'Remote error: No installed keys could decrypt the message' })
    expect(remoteFailure('something else')).toMatchObject({ code: 'ERR_JOIN_REMOTE' })
    expect(joinAddressError('[::1]:7946', { code: 'ERR_JOIN_UNREACHABLE', detail: 'x' })).toEqual({ address: '[::1]:7946', code: 'ERR_JOIN_UNREACHABLE', message: 'Failed to join ::1: x' })
  })
})

describe('the live keyring', () => {
  it("follows memberlist's rules and messages", async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1, { config: { keys: [KEY_A] } })
    const plain = h.add('n2', 2)
    await h.clock.advance(100)
    const op = (n: MachineNode, o: string, key?: Uint8Array) => n.ask<KeyringReply>({ type: 'swim.keyring', op: o as KeyringOp, ...(key === undefined ? {} : { key }) })
    expect(op(plain, 'install', KEY_B)).toEqual({ type: 'swim.keyring-reply', ok: false, code: 'ERR_SWIM_KEYRING_DISABLED', message: 'No keyring to modify (encryption not enabled)' })
    expect(op(plain, 'list')).toEqual({ type: 'swim.keyring-reply', ok: false, code: 'ERR_SWIM_KEYRING_DISABLED', message: 'Keyring is empty (encryption not enabled)' })
    expect(op(n1, 'install', new Uint8Array(7))).toMatchObject({ ok: false, code: 'ERR_SWIM_KEY_SIZE', message: 'key size must be 16, 24 or 32 bytes' })
    expect(op(n1, 'use', KEY_B)).toMatchObject({ ok: false, code: 'ERR_SWIM_KEY_UNKNOWN', message: 'Requested key is not in the keyring' })
    expect(op(n1, 'remove', KEY_A)).toMatchObject({ ok: false, code: 'ERR_SWIM_KEY_PRIMARY', message: 'Removing the primary key is not allowed' })
    expect(op(n1, 'install', KEY_B)).toEqual({ type: 'swim.keyring-reply', ok: true, keys: [KEY_A, KEY_B], primary: KEY_A })
    expect(op(n1, 'install', KEY_C)).toMatchObject({ ok: true, keys: [KEY_A, KEY_B, KEY_C] })
    expect(op(n1, 'use', KEY_C)).toMatchObject({ ok: true, keys: [KEY_C, KEY_A, KEY_B], primary: KEY_C })
    expect(op(n1, 'remove', KEY_B)).toMatchObject({ ok: true, keys: [KEY_C, KEY_A] })
    expect(op(n1, 'remove', KEY_B)).toMatchObject({ ok: true, keys: [KEY_C, KEY_A] }) // absent: a no-op, as in memberlist
    expect(op(n1, 'list')).toMatchObject({ ok: true, keys: [KEY_C, KEY_A], primary: KEY_C })
    expect(op(n1, 'rotate' as never)).toMatchObject({ ok: false, code: 'ERR_SWIM_KEYRING_REQUEST' })
    expect(ctx(n1)).toMatchObject({ keyringChanges: 4, keyringRefused: 4, liveKeys: [KEY_C, KEY_A], config: { keyring: { keys: 2 } } })
    expect(ctx(plain)).toMatchObject({ keyringRefused: 2, liveKeys: undefined })
  })

  it('rotates the key of two nodes while they keep probing each other, and a node with the old key is shut out', async () => {
    h = machineNodes(3)
    const n1 = h.add('n1', 1, { config: { keys: [KEY_A] } })
    const n2 = h.add('n2', 2, { config: { keys: [KEY_A] }, join: ['10.0.0.1:7946'] })
    const changed: Uint8Array[][] = []
    n1.actor.on('swim.keyring-changed', (e) => void changed.push(e.keys))
    await h.clock.advance(5_000)
    expect(ctx(n1).numNodes).toBe(2)
    const op = (n: MachineNode, o: string, key: Uint8Array) => expect(n.ask<KeyringReply>({ type: 'swim.keyring', op: o as KeyringOp, key }).ok).toBe(true)
    const before = { n1: ctx(n1).counters.probesAcked, n2: ctx(n2).counters.probesAcked }
    // serf keys -install, then -use, then -remove, with probes running between the steps.
    op(n1, 'install', KEY_B)
    await h.clock.advance(2_000)
    op(n2, 'install', KEY_B)
    await h.clock.advance(2_000)
    op(n1, 'use', KEY_B) // n1 seals with B from its next packet; n2 opens it with B
    await h.clock.advance(3_000)
    op(n2, 'use', KEY_B)
    await h.clock.advance(2_000)
    op(n1, 'remove', KEY_A)
    op(n2, 'remove', KEY_A)
    await h.clock.advance(5_000)
    for (const n of [n1, n2]) {
      expect(ctx(n).counters.packetsUndecryptable).toBe(0)
      expect(ctx(n).counters.probesFailed).toBe(0)
      expect(ctx(n).numNodes).toBe(2)
    }
    expect(ctx(n1).counters.probesAcked).toBeGreaterThan(before.n1 + 10)
    expect(ctx(n2).counters.probesAcked).toBeGreaterThan(before.n2 + 10)
    expect(changed).toEqual([[KEY_A, KEY_B], [KEY_B, KEY_A], [KEY_B]])
    // A node still on the old key reaches no one, and its packets do not open.
    const old = h.add('n3', 3, { config: { keys: [KEY_A] }, join: ['10.0.0.1:7946'] })
    await h.clock.advance(3_000)
    expect(ctx(old).numNodes).toBe(1)
    expect(ctx(n1).counters.packetsUndecryptable + ctx(n1).counters.streamsMalformed).toBeGreaterThan(0)
  })
})

describe('swim.coordinate', () => {
  it("answers ours without a node, and a peer's once a probe of it was acked with its coordinate", async () => {
    h = machineNodes(4)
    const n1 = h.add('n1', 1)
    h.add('n2', 2, { join: ['10.0.0.1:7946'] })
    await h.clock.advance(100)
    const ours = n1.ask<CoordinateReply>({ type: 'swim.coordinate' })
    expect(ours.coordinate?.Vec).toHaveLength(8)
    expect(n1.ask<CoordinateReply>({ type: 'swim.coordinate', node: 'n2' })).toEqual({ type: 'swim.coordinate-reply' })
    await h.clock.advance(10_000)
    const peer = n1.ask<CoordinateReply>({ type: 'swim.coordinate', node: 'n2' })
    expect(peer.coordinate?.Vec).toHaveLength(8)
    expect(ctx(n1).counters.coordinateUpdates).toBeGreaterThan(3)
    expect(ctx(n1).counters).toMatchObject({ coordinateRejected: 0, coordinateAcksWithout: 0 })
    // Two nodes 2 ms apart (1 ms each way): the estimate comes near that.
    const mine = n1.ask<CoordinateReply>({ type: 'swim.coordinate' }).coordinate!
    expect(mine.Vec.some((x) => x !== 0)).toBe(true)
  })
})

describe('the definition refuses malformed requests, naming what is wrong', () => {
  const ip = Uint8Array.of(127, 0, 0, 1)
  it.each([
    [{ type: 'swim.send-user', addr: Uint8Array.of(1, 2, 3), port: 7946, bytes: Uint8Array.of(3) }, /addr/],
    [{ type: 'swim.send-user', addr: ip, port: 0, bytes: Uint8Array.of(3) }, /port 1\.\.65535/],
    [{ type: 'swim.send-user', addr: ip, port: 7946, bytes: new Uint8Array(0) }, /non-empty/],
    [{ type: 'swim.send-user', addr: ip, port: 7946, bytes: 'x' }, /bytes/],
    [{ type: 'swim.keyring', op: 'install', key: 'base64?' }, /key must be a Uint8Array/],
    [{ type: 'swim.coordinate', node: 7 }, /node must be a string/],
  ])('%j', (msg, why) => {
    expect(swimDefinition.validate!(msg as never)).toMatch(why)
  })

  it.each([
    { type: 'swim.send-user', addr: ip, port: 7946, bytes: Uint8Array.of(3) },
    { type: 'swim.keyring', op: 'list' },
    { type: 'swim.keyring', op: 'whatever', key: Uint8Array.of(1) }, // answered by the actor, coded
    { type: 'swim.coordinate' },
    { type: 'swim.coordinate', node: 'n2' },
  ])('accepts %j', (msg) => {
    expect(swimDefinition.validate!(msg as never)).toBeUndefined()
  })
})
