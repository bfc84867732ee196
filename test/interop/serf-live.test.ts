/**
 * Live check against real Debian `serf agent`s: bytes made by our encoder are accepted by Go.
 *
 * A push/pull join (plain, LZW-compressed, and compressed+encrypted for an agent with -encrypt)
 * announces a fake member with tags; `serf members` must then list it alive with those tags (nobody
 * answers the agent's probes, so it turns failed a few seconds later: only the first observation is
 * asserted). The agent's push/pull reply is decoded with our codec and must name the agent. A UDP
 * packet (CRC + compound of two Serf user events) must move the agent's event clock. A query we
 * encode must come back as an ack and a handler response, decoded with our codec.
 */
import { createSocket } from 'node:dgram'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Keyring,
  QueryFlag,
  WireCodecError,
  buildPacket,
  buildStream,
  decodePacket,
  decodeSerfMessage,
  decodeTags,
  encodeMessage,
  encodePushPull,
  encodeSerfMessage,
  encodeTags,
  flattenPacket,
  formatIp,
  parseIp,
  readStream,
} from '../../src/wire/index.ts'
import type { PushNodeState, PushPullStream, SerfQueryResponse, StreamNode } from '../../src/wire/index.ts'
import { freeGossipPort } from '../support/ports.ts'
import { SerfAgent, ensureSerf, stopAgents, waitUntil } from '../support/serf.ts'

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 100 + i)).toString('base64')
const VSN = Uint8Array.from([1, 5, 2, 2, 5, 5])
/** Bound on one TCP exchange with the agent (its own TCP timeout is 10 s). */
const EXCHANGE_TIMEOUT_MS = 5_000

/** Sends one stream message and reads the agent's single reply message (decoded with our codec). */
function exchange(port: number, request: Uint8Array, keyring: Keyring | null = null): Promise<StreamNode> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let received = Buffer.alloc(0)
    let done = false
    const finish = (err: Error | undefined, node?: StreamNode): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(node!)
    }
    const timer = setTimeout(() => finish(new Error(`no complete reply within ${EXCHANGE_TIMEOUT_MS} ms (${received.length} bytes)`)), EXCHANGE_TIMEOUT_MS)
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      try {
        finish(undefined, readStream(received, { keyring }).node)
      } catch (err) {
        // A truncated message just needs more bytes; anything else is a real decode failure.
        if (!(err instanceof WireCodecError && err.code === 'ERR_WIRE_TRUNCATED')) finish(err as Error)
      }
    })
    socket.on('error', (err) => finish(err))
    socket.on('close', () => finish(new Error(`connection closed after ${received.length} bytes without a complete reply`)))
  })
}

function unwrap(node: StreamNode): StreamNode {
  return node.type === 'encrypt' || node.type === 'compress' ? unwrap(node.inner as StreamNode) : node
}

/** A push/pull join announcing `name` at 127.0.0.1:port with tags, plus Serf state with its join LTime. */
function joinRequest(name: string, port: number, tags: Record<string, string>): Uint8Array {
  const state: PushNodeState = { Name: name, Addr: parseIp('127.0.0.1'), Port: port, Meta: encodeTags(tags), Incarnation: 1, State: 0, Vsn: VSN }
  const userState = encodeSerfMessage({
    type: 'pushPull',
    LTime: 2n,
    StatusLTimes: new Map([[name, 1n]]),
    LeftMembers: [],
    EventLTime: 1n,
    Events: null,
    QueryLTime: 1n,
  })
  return encodePushPull({ Join: true, NodeStates: [state], UserState: userState })
}

/** The agent's reply must be a push/pull that lists the agent itself at its address with its tags. */
function expectReplyNamesAgent(reply: StreamNode, agent: SerfAgent, tags: Record<string, string>): PushPullStream {
  const msg = unwrap(reply)
  if (msg.type !== 'pushPull') throw new Error(`agent replied ${msg.type}`)
  expect(msg.Join).toBe(true) // echoed from our request
  const self = msg.NodeStates.find((s) => s.Name === agent.name)
  expect(self).toBeDefined()
  expect(`${formatIp(self!.Addr)}:${self!.Port}`).toBe(agent.bindAddr)
  expect(self!.State).toBe(0)
  expect(Array.from(self!.Vsn)).toEqual(Array.from(VSN))
  expect({ ...decodeTags(self!.Meta) }).toEqual(tags)
  const serf = decodeSerfMessage(msg.UserState)
  if (serf.type !== 'pushPull') throw new Error(`user state is ${serf.type}`)
  expect(serf.StatusLTimes.has(agent.name)).toBe(true)
  return msg
}

/** Waits for the first listing of `name` and returns it (the status is asserted by the caller). */
function firstSighting(agent: SerfAgent, name: string) {
  return agent.waitForMember(name, () => true, 5_000)
}

describe('serf agent accepts what our encoder sends', () => {
  const plainTags = { role: 'agent', dc: 'lo' }
  let plain: SerfAgent | undefined
  let sealed: SerfAgent | undefined
  let scratch: string | undefined

  beforeAll(async () => {
    ensureSerf()
    scratch = mkdtempSync(join(tmpdir(), 'serf-live-'))
    const handler = join(scratch, 'whoami.sh')
    writeFileSync(handler, '#!/bin/sh\nprintf "i am %s" "$SERF_SELF_NAME"\n')
    chmodSync(handler, 0o755)
    ;[plain, sealed] = await Promise.all([
      SerfAgent.start({ name: 'live-a', tags: plainTags, eventHandlers: [`query:whoami=${handler}`] }),
      SerfAgent.start({ name: 'live-k', encryptKey: KEY, tags: { role: 'sealed' } }),
    ])
  })

  afterAll(async () => {
    await stopAgents([plain, sealed], { signal: 'SIGKILL' })
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
  })

  it('lists a member announced by a plaintext push/pull join, and its reply names the agent', async () => {
    const port = await freeGossipPort()
    const tags = { role: 'ts', zone: 'z1' }
    const reply = await exchange(plain!.bindPort, joinRequest('ts-plain', port, tags))
    expect(reply.type).toBe('compress') // the agent compresses every stream by default
    expectReplyNamesAgent(reply, plain!, plainTags)
    const member = await firstSighting(plain!, 'ts-plain')
    expect(member).toMatchObject({ status: 'alive', addr: `127.0.0.1:${port}`, tags, protocol: { min: 2, max: 5, version: 5 } })
  })

  it('lists a member announced by an LZW-compressed push/pull join', async () => {
    const port = await freeGossipPort()
    const tags = { role: 'ts', codec: 'lzw' }
    const reply = await exchange(plain!.bindPort, buildStream(joinRequest('ts-lzw', port, tags), { compress: true }))
    expectReplyNamesAgent(reply, plain!, plainTags)
    const member = await firstSighting(plain!, 'ts-lzw')
    expect(member).toMatchObject({ status: 'alive', addr: `127.0.0.1:${port}`, tags })
  })

  it('lists a member announced by a compressed and encrypted join, and refuses a plaintext one', async () => {
    const keyring = Keyring.fromBase64([KEY])
    const port = await freeGossipPort()
    const tags = { role: 'ts', sealed: 'yes' }
    const reply = await exchange(sealed!.bindPort, buildStream(joinRequest('ts-sealed', port, tags), { compress: true, keyring }), keyring)
    expect(reply.type).toBe('encrypt')
    expectReplyNamesAgent(reply, sealed!, { role: 'sealed' })
    const member = await firstSighting(sealed!, 'ts-sealed')
    expect(member).toMatchObject({ status: 'alive', addr: `127.0.0.1:${port}`, tags })

    // Without encryption the agent answers with an (encrypted) error and ignores the state.
    const refused = await exchange(sealed!.bindPort, joinRequest('ts-clear', await freeGossipPort(), tags), keyring)
    const err = unwrap(refused)
    expect(err.type).toBe('err')
    expect(err.type === 'err' && err.Error).toMatch(/encrypt/i)
    expect((await sealed!.members()).map((m) => m.name)).not.toContain('ts-clear')
  })

  it('answers a query we encode: its ack and its handler output come back to our UDP socket', async () => {
    const socket = createSocket('udp4')
    const responses: SerfQueryResponse[] = []
    socket.on('message', (datagram) => {
      for (const msg of flattenPacket(decodePacket(datagram)).messages) {
        if (msg.type !== 'user') continue
        const serf = decodeSerfMessage(msg.Payload)
        if (serf.type === 'queryResponse') responses.push(serf)
      }
    })
    try {
      await new Promise<void>((resolve) => socket.bind({ address: '127.0.0.1', port: 0 }, () => resolve()))
      const query = encodeSerfMessage({
        type: 'query',
        LTime: 50n,
        ID: 4242,
        Addr: parseIp('127.0.0.1'),
        Port: socket.address().port,
        SourceNode: 'ts-asker',
        Filters: null,
        Flags: QueryFlag.ack,
        RelayFactor: 0,
        Timeout: 3_000_000_000n, // ns
        Name: 'whoami',
        Payload: new TextEncoder().encode('from-ts'),
      })
      const packet = buildPacket([encodeMessage({ type: 'user', Payload: query })], { crc: true })
      socket.send(packet, plain!.bindPort, '127.0.0.1')
      await waitUntil('an ack and a response', () => (responses.length >= 2 ? true : undefined), 5_000)
      const ack = responses.find((r) => r.Flags === QueryFlag.ack)
      const answer = responses.find((r) => r.Flags === 0)
      expect(ack).toMatchObject({ From: 'live-a', ID: 4242, LTime: 50n })
      expect(answer).toMatchObject({ From: 'live-a', ID: 4242, LTime: 50n })
      expect(new TextDecoder().decode(answer!.Payload ?? new Uint8Array(0))).toBe('i am live-a')
    } finally {
      socket.close()
    }
  })

  it('takes user events from a UDP packet with CRC and compound', async () => {
    const before = BigInt((await plain!.info()).serf['event_time'] ?? '0')
    const event = (lTime: bigint, name: string): Uint8Array =>
      encodeMessage({ type: 'user', Payload: encodeSerfMessage({ type: 'userEvent', LTime: lTime, Name: name, Payload: new TextEncoder().encode('from-ts'), CC: false }) })
    const lTime = before + 40n
    const packet = buildPacket([event(lTime - 1n, 'ts-one'), event(lTime, 'ts-two')], { crc: true })
    const socket = createSocket('udp4')
    try {
      await new Promise<void>((resolve, reject) => socket.send(packet, plain!.bindPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())))
    } finally {
      socket.close()
    }
    // Receiving an event witnesses its LTime: the event clock moves past the larger one.
    const eventTime = await waitUntil(
      'the agent event clock to pass our LTime',
      async () => {
        const t = BigInt((await plain!.info()).serf['event_time'] ?? '0')
        return t > lTime ? t : undefined
      },
      5_000,
    )
    expect(eventTime).toBe(lTime + 1n)
  })
})
