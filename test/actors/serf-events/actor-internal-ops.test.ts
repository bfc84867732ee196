/**
 * serf-events' internal queries on the real runtime (inline, simulated clock), with the real
 * member-manager, a fake swim that runs memberlist's keyring rules for `swim.keyring` and keeps
 * its `swim.send-user`s, and a fake gossip queue that keeps what is broadcast (so the test can
 * answer the queries this node sends): the key queries answered through the keyring ask, the
 * `serf.key-operation` ask, and the `_serf_conflict` vote ending in `serf.name-conflict-lost`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import { ActorSystem, SimulatedClock, defineActor } from '../../../src/runtime/index.ts'
import type { ActorEnv } from '../../../src/types/actor-env.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { serfEvents } from '../../../actors/serf-events/definition.ts'
import { encodeConflictResponse } from '../../../actors/serf-events/conflict-response.ts'
import { applyKeyringOp } from '../../../actors/serf-events/key-ring-ops.ts'
import type { KeyOperationReply, KeyOperationResponse, SerfEventsEmitted, SwimSendUserMsg } from '../../../actors/serf-events/protocol.ts'
import type { KeyResponse } from '../../../src/node/api.ts'
import type { KeyringMsg } from '../../../actors/swim/protocol.ts'
import type { GossipQueueInbound } from '../../../actors/gossip-queue/protocol.ts'
import { Keyring } from '../../../src/wire/keyring.ts'
import { decodeSerfMessage, encodeSerfMessage } from '../../../src/wire/serf.ts'
import type { SerfQuery, SerfQueryResponse } from '../../../src/wire/serf.ts'
import { node } from '../member-manager/fixtures.ts'

const K1 = new Uint8Array(32).fill(1)
const K2 = new Uint8Array(16).fill(2)
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64')

// The reply's response is the node API's KeyResponse, both ways (a compile-time check: tsc fails if they drift).
export const toApi = (r: KeyOperationResponse): KeyResponse => r
export const fromApi = (r: KeyResponse): KeyOperationResponse => r

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

type SwimCtx = { sent: SwimSendUserMsg[]; ring: Keyring | null; asks: number }

/** A fake swim with a live keyring (memberlist's rules, key-ring-ops.ts) and a log of user messages. */
const fakeSwim = defineActor({
  name: 'fake-swim-keyring',
  machine: (env: ActorEnv) =>
    setup({ types: {} as { context: SwimCtx; events: SwimSendUserMsg | KeyringMsg | { type: 'member.local-meta-changed' } } }).createMachine({
      context: { sent: [], ring: new Keyring([K1]), asks: 0 },
      on: {
        'swim.send-user': { actions: assign({ sent: ({ context, event }) => [...context.sent, event as SwimSendUserMsg] }) },
        'swim.keyring': {
          actions: assign(({ context, event }) => {
            const e = event as KeyringMsg
            const r = applyKeyringOp(context.ring, e.op === 'list' ? { kind: 'list' } : { kind: e.op, key: e.key! })
            const reply = r.reply.ok ? { type: 'swim.keyring-reply' as const, ok: true as const, keys: r.ring!.keys.slice(), primary: r.ring!.keys[0]! } : { type: 'swim.keyring-reply' as const, ok: false as const, message: r.reply.message, code: 'ERR_KEYRING' }
            env.reply(e.replyTo, reply)
            return { ring: r.ring, asks: context.asks + 1 }
          }),
        },
      },
    }),
})

/** A fake gossip queue: keeps the enqueued broadcasts. */
const fakeQueue = defineActor({
  name: 'fake-gossip-queue',
  machine: () =>
    setup({ types: {} as { context: { queued: Uint8Array[] }; events: GossipQueueInbound } }).createMachine({
      context: { queued: [] },
      on: { 'gossip.enqueue': { actions: assign({ queued: ({ context, event }) => [...context.queued, (event as Extract<GossipQueueInbound, { type: 'gossip.enqueue' }>).broadcast.message] }) } },
    }),
})

/** Polls `check`, advancing the simulated clock by `stepMs` between polls (at most 500 polls). */
async function until(check: () => boolean | Promise<boolean>, clock: SimulatedClock, stepMs = 10): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await clock.advance(stepMs)
  }
  throw new Error('condition not met in time')
}

async function start() {
  const clock = new SimulatedClock()
  system = await ActorSystem.start({ logLevel: 'silent', seed: 9, clock })
  const gq = await system.spawn(fakeQueue, { id: 'gossip-queue', placement: 'inline' })
  const sw = await system.spawn(fakeSwim, { id: 'swim', placement: 'inline' })
  const mm = await system.spawn(memberManager, {
    id: 'member-manager',
    placement: 'inline',
    input: { config: { nodeName: 'self' }, peers: { swim: 'swim', gossipQueue: 'gossip-queue', serfEvents: 'serf-events' } },
    dependsOn: ['gossip-queue', 'swim'],
  })
  mm.send({ type: 'member.node-joined', node: node('self', {}, 7946) })
  mm.send({ type: 'member.node-joined', node: node('peer', {}, 7947) })
  const se = await system.spawn(serfEvents, { id: 'serf-events', placement: 'inline', input: { nodeName: 'self' }, dependsOn: ['gossip-queue', 'member-manager'] })
  const got: SerfEventsEmitted[] = []
  se.on('*', (e) => void got.push(e))
  await until(async () => (await se.ask({ type: 'serf.stats' })).members === 2, clock)
  const queries = async () => (await gq.getSnapshot()).context.queued.map((b) => decodeSerfMessage(b)).filter((m): m is SerfQuery => m.type === 'query')
  return { clock, sw, mm, se, got, queries }
}

const respond = (q: SerfQuery, from: string, payload: Uint8Array) => encodeSerfMessage({ type: 'queryResponse', LTime: q.LTime, ID: q.ID, From: from, Flags: 0, Payload: payload })

describe('serf-events internal queries on the runtime', () => {
  it("answers a peer's list-keys query through swim's keyring", async () => {
    const { sw, se, clock } = await start()
    const q = encodeSerfMessage({ type: 'query', LTime: 5n, ID: 2, Addr: Uint8Array.of(127, 0, 0, 1), Port: 7947, SourceNode: 'peer', Filters: null, Flags: 0, RelayFactor: 0, Timeout: 5_000_000_000n, Name: '_serf_list-keys', Payload: encodeSerfMessage({ type: 'keyRequest', Key: new Uint8Array(0) }) })
    se.send({ type: 'serf.message', bytes: q, from: '127.0.0.1:7947' })
    await until(async () => (await sw.getSnapshot()).context.sent.length === 1, clock)
    const [sent] = (await sw.getSnapshot()).context.sent
    expect(sent!.port).toBe(7947)
    const resp = decodeSerfMessage(sent!.bytes) as SerfQueryResponse
    expect(resp).toMatchObject({ LTime: 5n, ID: 2, From: 'self', Flags: 0 })
    expect(decodeSerfMessage(resp.Payload!)).toEqual({ type: 'keyResponse', Result: true, Message: '', Keys: [b64(K1)], PrimaryKey: b64(K1) })
  })

  it('serf.key-operation: installs on our own keyring, waits for the members, replies with Serf\'s tally', async () => {
    const { sw, se, clock, queries } = await start()
    const pending = se.ask({ type: 'serf.key-operation', kind: 'install', key: b64(K2) }, { timeoutMs: 60_000 })
    await until(async () => (await queries()).length === 1, clock)
    const [q] = await queries()
    expect(q!.Name).toBe('_serf_install-key')
    await until(async () => (await sw.getSnapshot()).context.asks === 1, clock)
    expect((await sw.getSnapshot()).context.ring!.keys).toEqual([K1, K2])
    se.send({ type: 'serf.message', bytes: respond(q!, 'peer', encodeSerfMessage({ type: 'keyResponse', Result: true, Message: '', Keys: null, PrimaryKey: '' })), from: '127.0.0.1:7947' })
    await clock.advance(10)
    const reply = (await pending) as KeyOperationReply
    expect(reply).toEqual({ type: 'serf.key-operation-reply', error: null, response: { messages: {}, numNodes: 2, numErr: 0, numResp: 2 } })

    // A bad key text: answered at once, nothing sent.
    const bad = (await se.ask({ type: 'serf.key-operation', kind: 'use', key: '!!' })) as KeyOperationReply
    expect(bad).toMatchObject({ code: 'ERR_KEY_BASE64', response: { numNodes: 0 } })
    expect(await queries()).toHaveLength(1)
    // A refused one is a coded error for the caller; nothing sent either.
    await expect(se.ask({ type: 'serf.key-operation', kind: 'list', relayFactor: 300 })).rejects.toMatchObject({ code: 'ERR_QUERY_INVALID' })
    expect(await queries()).toHaveLength(1)
  })

  it('a key operation one member does not answer: closed at the deadline, `1/2 nodes reported success`', async () => {
    const { se, clock } = await start()
    const pending = se.ask({ type: 'serf.key-operation', kind: 'list' }, { timeoutMs: 60_000 })
    let reply: KeyOperationReply | undefined
    void pending.then((r) => (reply = r as KeyOperationReply))
    await until(() => reply !== undefined, clock)
    expect(reply).toEqual({ type: 'serf.key-operation-reply', error: '1/2 nodes reported success', response: { messages: {}, keys: { [b64(K1)]: 1 }, numNodes: 2, numErr: 0, numResp: 1 } })
  })

  it('the minority side of a name conflict emits serf.name-conflict-lost; a vote nobody answers does not', async () => {
    const { mm, se, got, clock, queries } = await start()
    // member-manager learns that another address claims our name: it hands the conflict to serf-events.
    mm.send({ type: 'member.name-conflict', existing: node('self', {}, 7946), other: { addr: Uint8Array.of(10, 9, 9, 9), port: 7946 } })
    await until(async () => (await queries()).length === 1, clock)
    const [q] = await queries()
    expect(q).toMatchObject({ Name: '_serf_conflict', Payload: new TextEncoder().encode('self') })
    const elsewhere = encodeConflictResponse({ name: 'self', addr: Uint8Array.of(10, 9, 9, 9), port: 7946, tags: {}, status: 'alive', protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 })
    se.send({ type: 'serf.message', bytes: respond(q!, 'peer', elsewhere), from: '127.0.0.1:7947' })
    await until(() => got.some((e) => e.type === 'serf.name-conflict-lost'), clock)
    expect(got.find((e) => e.type === 'serf.name-conflict-lost')).toMatchObject({ name: 'self', responses: 1, matching: 0, quorum: 1, log: 'minority in name conflict resolution, quitting [0 / 1]' })
    const stats = await se.ask({ type: 'serf.stats' })
    expect(stats.counters).toMatchObject({ actor: { conflictVotes: 1, conflictMinority: 1 } })
    const mstats = await mm.ask({ type: 'member.stats' })
    expect(mstats).toMatchObject({ nameConflicts: { local: 1 } })
  })

  it('[0 / 0]: nobody answers the vote: we stay, and vote again after 5 s', async () => {
    const { mm, se, got, clock, queries } = await start()
    mm.send({ type: 'member.name-conflict', existing: node('self', {}, 7946), other: { addr: Uint8Array.of(10, 9, 9, 9), port: 7946 } })
    await until(async () => (await queries()).length === 1, clock)
    const actor = async () => (await se.ask({ type: 'serf.stats' })).counters.actor as Record<string, number>
    await until(async () => (await actor()).conflictInconclusive === 1, clock, 100)
    expect(got.some((e) => e.type === 'serf.name-conflict-lost')).toBe(false)
    await until(async () => (await queries()).length === 2, clock, 100)
    expect((await queries())[1]!.Name).toBe('_serf_conflict')
  })
})
