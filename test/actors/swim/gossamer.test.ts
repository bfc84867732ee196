/**
 * Gossamer's own messages through swim (gossamer-route.ts), on the simulated clock and network:
 * `swim.send-gossamer` by UDP and by a TCP stream to a member named by the caller, sealed with the
 * node's keyring; received ones (datagram, compound part, stream) go to `peers.gossamer[channel]`
 * as `gossamer.message` and never to member-manager or serf-events; unknown members, missing
 * receivers and bad channels are counted.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { machineNodes } from './support/machine-nodes.ts'
import type { MachineNode } from './support/machine-nodes.ts'
import { assemblePacket, encodeStreamMessage, encodeUser } from '../../../actors/swim/packets.ts'
import { encodeGossamerMessage, GOSSAMER_MESSAGE_TYPE } from '../../../src/wire/gossamer-message.ts'
import type { GossamerMessageIn } from '../../../actors/swim/protocol.ts'
import { swim as swimDefinition } from '../../../actors/swim/definition.ts'
import { Keyring } from '../../../src/wire/keyring.ts'
import { encodeStream } from '../../../src/wire/stream.ts'

let h: ReturnType<typeof machineNodes> | undefined
afterEach(() => {
  h?.shutdown()
  h = undefined
})

const KEY = new Uint8Array(16).fill(7)
const ctx = (n: MachineNode) => n.actor.getSnapshot().context
const receivers = { gossamer: { election: 'election', assignment: 'assignment' } }
const body = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff)

async function pair(config: Record<string, unknown> = {}) {
  h = machineNodes()
  const n1 = h.add('n1', 1, { peers: receivers, config })
  const n2 = h.add('n2', 2, { peers: receivers, config, join: ['10.0.0.1:7946'] })
  await h.clock.advance(2_000)
  expect(ctx(n1).numNodes).toBe(2)
  return { n1, n2, clock: h.clock }
}

describe('swim.send-gossamer', () => {
  it('UDP: the member named gets the body on its channel receiver, from = the sender name; nothing reaches member-manager or serf-events', async () => {
    const { n1, n2, clock } = await pair({ keys: [KEY] })
    n1.actor.send({ type: 'swim.send-gossamer', to: 'n2', bytes: encodeGossamerMessage('election', body(40)), reliable: false })
    await clock.advance(50)
    const got = n2.to('election', 'gossamer.message') as unknown as GossamerMessageIn[]
    expect(got).toEqual([{ type: 'gossamer.message', from: 'n1', channel: 'election', body: body(40) }])
    expect(n2.to('member-manager', 'member.user-message')).toHaveLength(0)
    expect(n2.to('serf-events')).toHaveLength(0)
    expect(ctx(n1).gossamerSent).toBe(1)
    expect(ctx(n2).gossamerReceived).toBe(1)
  })

  it('reliable: a TCP stream carries a large body (over one datagram) to the assignment receiver', async () => {
    const { n1, n2, clock } = await pair({ keys: [KEY] })
    const big = body(200_000)
    n1.actor.send({ type: 'swim.send-gossamer', to: 'n2', bytes: encodeGossamerMessage('assignment', big), reliable: true })
    await clock.advance(500)
    const got = n2.to('assignment', 'gossamer.message') as unknown as GossamerMessageIn[]
    expect(got).toHaveLength(1)
    expect(got[0]!.channel).toBe('assignment')
    expect(got[0]!.body).toEqual(big)
    expect(ctx(n1)).toMatchObject({ gossamerSent: 1, gossamerFailed: 0 })
    expect(ctx(n2).gossamerReceived).toBe(1)
  })

  it('an unknown, or own, member name is counted and nothing is sent', async () => {
    const { n1, n2, clock } = await pair()
    n1.actor.send({ type: 'swim.send-gossamer', to: 'nobody', bytes: encodeGossamerMessage('election', body(4)), reliable: false })
    n1.actor.send({ type: 'swim.send-gossamer', to: 'n1', bytes: encodeGossamerMessage('election', body(4)), reliable: true })
    await clock.advance(100)
    expect(ctx(n1)).toMatchObject({ gossamerSent: 0, gossamerUnknownMember: 2 })
    expect(n2.to('election')).toHaveLength(0)
  })

  it('a reliable send whose dial fails is counted (the member went away)', async () => {
    const { n1, n2, clock } = await pair()
    n2.actor.send({ type: 'runtime.shutdown' })
    await clock.advance(10)
    n1.actor.send({ type: 'swim.send-gossamer', to: 'n2', bytes: encodeGossamerMessage('assignment', body(10)), reliable: true })
    await clock.advance(12_000)
    expect(ctx(n1).gossamerFailed).toBe(1)
  })

  it('is refused by validation without an envelope, with a bad `reliable`, or oversized', () => {
    const v = swimDefinition.validate!
    expect(v({ type: 'swim.send-gossamer', to: 'n2', bytes: Uint8Array.of(3, 1, 2), reliable: false } as never)).toMatch(/Gossamer envelope/)
    expect(v({ type: 'swim.send-gossamer', to: '', bytes: encodeGossamerMessage('election', body(1)), reliable: false } as never)).toMatch(/member name/)
    expect(v({ type: 'swim.send-gossamer', to: 'n2', bytes: encodeGossamerMessage('election', body(1)), reliable: 'yes' } as never)).toMatch(/reliable/)
    expect(v({ type: 'swim.send-gossamer', to: 'n2', bytes: encodeGossamerMessage('assignment', body(5 * 1024 * 1024)), reliable: true } as never)).toMatch(/over/)
    expect(v({ type: 'swim.send-gossamer', to: 'n2', bytes: encodeGossamerMessage('election', body(1)), reliable: true } as never)).toBeUndefined()
  })
})

describe('received Gossamer messages', () => {
  const datagram = (payloads: Uint8Array[], keyring: Keyring | null = null) =>
    assemblePacket(payloads.map(encodeUser), { compress: false, crc: false, security: { keyring, verifyIncoming: true, verifyOutgoing: true } })

  it('a compound part goes to its receiver (from = ip:port of a non-member), Serf parts beside it go on as before', async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1, { peers: { ...receivers, serfEvents: 'serf-events' } })
    const raw = h.net.createTransport('10.0.0.9:7946')
    await h.clock.advance(100)
    raw.sendPacket(n1.address, datagram([encodeGossamerMessage('election', body(3)), Uint8Array.of(4, 0x80), Uint8Array.of(1, 0x80)]))
    await h.clock.advance(100)
    expect(n1.to('election')).toEqual([{ type: 'gossamer.message', from: '10.0.0.9:7946', channel: 'election', body: body(3) }])
    expect(n1.to('serf-events', 'serf.message')).toHaveLength(1)
    expect(n1.to('member-manager', 'member.user-message')).toHaveLength(1)
    expect(ctx(n1).gossamerReceived).toBe(1)
  })

  it('bad channel, missing channel byte and channel without receiver are counted and dropped', async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1, { peers: { gossamer: { election: 'election' } } })
    const raw = h.net.createTransport('10.0.0.9:7946')
    await h.clock.advance(100)
    raw.sendPacket(n1.address, datagram([Uint8Array.of(GOSSAMER_MESSAGE_TYPE, 99, 1), Uint8Array.of(GOSSAMER_MESSAGE_TYPE), encodeGossamerMessage('assignment', body(2))]))
    await h.clock.advance(100)
    expect(ctx(n1)).toMatchObject({ gossamerBadChannel: 2, gossamerNoReceiver: 1, gossamerReceived: 0 })
    expect(n1.to('member-manager', 'member.user-message')).toHaveLength(0)
    expect(n1.to('election')).toHaveLength(0)
  })

  it('a TCP stream with one user message is routed too (memberlist SendReliable from a foreign sender)', async () => {
    h = machineNodes()
    const n1 = h.add('n1', 1, { peers: receivers })
    const raw = h.net.createTransport('10.0.0.9:7946')
    await h.clock.advance(100)
    const dialing = raw.dial(n1.address, 1000)
    await h.clock.advance(10)
    const stream = await dialing
    const payload = encodeGossamerMessage('assignment', body(9))
    stream.write(encodeStreamMessage(encodeStream({ type: 'user', UserMsgLen: payload.length, Payload: payload }), false))
    stream.end()
    await h.clock.advance(100)
    const got = n1.to('assignment') as unknown as GossamerMessageIn[]
    expect(got).toHaveLength(1)
    expect(got[0]!.body).toEqual(body(9))
    expect(got[0]!.from.startsWith('10.0.0.9:')).toBe(true)
  })
})
