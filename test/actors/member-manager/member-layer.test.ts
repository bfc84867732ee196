import { describe, expect, it } from 'vitest'
import { MemberLayer } from '../../../actors/member-manager/member-layer.ts'
import type { MemberLayerPorts } from '../../../actors/member-manager/member-layer.ts'
import { createSerfConfig } from '../../../actors/member-manager/config.ts'
import type { SerfInit } from '../../../actors/member-manager/config.ts'
import type { Broadcast } from '../../../actors/gossip-queue/protocol.ts'
import type { MemberManagerOutbound } from '../../../actors/member-manager/protocol.ts'
import type { SnapshotterIn } from '../../../actors/snapshotter/protocol.ts'
import { decodeSerfMessage, encodeSerfMessage } from '../../../src/wire/index.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { node } from './fixtures.ts'

function layer(init: Partial<SerfInit> = {}) {
  let now = 0
  const emitted: MemberManagerOutbound[] = []
  const enqueued: Broadcast[] = []
  const sizes: number[] = []
  const snaps: SnapshotterIn[] = []
  const prunes: Array<[string, number]> = []
  const ports: MemberLayerPorts = {
    now: () => now,
    random: createSeededRandom(3),
    emit: (m) => void emitted.push(m),
    enqueue: (b) => void enqueued.push(b),
    clusterSize: (n) => void sizes.push(n),
    snapshot: (m) => void snaps.push(m),
    schedulePrune: (name, ms) => void prunes.push([name, ms]),
  }
  const l = new MemberLayer(createSerfConfig({ nodeName: 'self', ...init }), ports)
  l.start()
  return { l, emitted, enqueued, sizes, snaps, prunes, setNow: (t: number) => (now = t), events: () => emitted.filter((e) => e.type === 'member.event') }
}

const join = (Node: string, LTime: bigint) => encodeSerfMessage({ type: 'join', Node, LTime })
const leave = (Node: string, LTime: bigint, Prune = false) => encodeSerfMessage({ type: 'leave', Node, LTime, Prune })

describe('MemberLayer', () => {
  it('starts each clock at 1 and tells swim its Meta', () => {
    const { l, emitted } = layer({ tags: { role: 'web' } })
    expect(l.clock.time()).toBe(1n)
    expect(emitted[0]).toEqual({ type: 'member.local-meta-changed', meta: l.localMeta() })
  })

  it('rebroadcasts a fresh intent byte-exact on the intent queue, and not a stale one', () => {
    const { l, enqueued } = layer()
    l.nodeJoined(node('a'))
    const msg = join('a', 5n)
    l.userMessage(msg)
    expect(enqueued).toEqual([{ queue: 'serf-intent', message: msg, unique: true }])
    expect(enqueued[0]!.message).not.toBe(msg) // a copy
    l.userMessage(join('a', 5n))
    l.userMessage(join('a', 4n))
    expect(enqueued).toHaveLength(1)
    expect(l.stats()).toMatchObject({ intentsStale: 2, intentsRebroadcast: 1 })
  })

  it('reports in its stats what it dropped or ignored: evicted and expired intents, ignored notices, bad Meta', () => {
    const { l, setNow } = layer({ maxRecentIntents: 2, recentIntentTimeoutMs: 1000 })
    for (const [n, t] of [['u1', 1n], ['u2', 2n], ['u3', 3n]] as const) l.userMessage(join(n, t)) // u1 evicted
    l.nodeUpdated(node('nobody'))
    l.nodeLeft(node('nobody'))
    l.nodeJoined({ ...node('bad'), meta: Uint8Array.of(0xff, 0x81) })
    setNow(1001)
    l.reapTick() // u2 and u3 expire
    expect(l.stats()).toMatchObject({ intentsEvicted: 1, intentsExpired: 2, intentsBuffered: 0, ignoredNotices: 2, malformedMeta: 1, flaps: 0, leaveRefutations: 0 })
  })

  it('buffers intents for unknown members and applies them when swim reports the node', () => {
    const { l, events } = layer()
    l.userMessage(leave('early', 9n))
    expect(l.stats().intentsBuffered).toBe(1)
    l.nodeJoined(node('early'))
    expect(l.table.get('early')?.member.status).toBe('leaving')
    l.nodeLeft(node('early'))
    expect(events().map((e) => (e as { event: string }).event)).toEqual(['member-join', 'member-leave'])
  })

  it('refutes a leave intent about itself by broadcasting a join at the current clock', () => {
    const { l, enqueued } = layer()
    l.nodeJoined(node('self'))
    l.userMessage(leave('self', 7n))
    expect(l.table.get('self')?.member.status).toBe('alive')
    expect(enqueued).toHaveLength(1)
    const m = decodeSerfMessage(enqueued[0]!.message)
    expect(m).toMatchObject({ type: 'join', Node: 'self' })
    expect((m as { LTime: bigint }).LTime).toBe(8n) // clock witnessed 7 → 8
    expect(l.stats().leaveRefutations).toBe(1)
  })

  it('counts malformed Serf messages and passes other Serf types through unchanged', () => {
    const { l, emitted } = layer()
    l.userMessage(new Uint8Array(0))
    l.userMessage(Uint8Array.of(1, 0xc1))
    const ev = encodeSerfMessage({ type: 'userEvent', LTime: 3n, Name: 'deploy', Payload: Uint8Array.of(1), CC: false })
    l.userMessage(ev)
    expect(l.stats()).toMatchObject({ malformedMessages: 2, passedThrough: 1 })
    expect(emitted.at(-1)).toEqual({ type: 'serf.message', bytes: ev, from: '' })
  })

  it('sends the snapshotter alive / not-alive and the last used clock', () => {
    const { l, snaps } = layer()
    l.nodeJoined(node('a'))
    l.userMessage(join('a', 10n))
    l.nodeLeft(node('a'))
    expect(snaps).toEqual([
      { type: 'snapshot.member-alive', name: 'a', addr: Uint8Array.of(127, 0, 0, 1), port: 7946 },
      { type: 'snapshot.clock', ltime: 10n },
      { type: 'snapshot.member-not-alive', name: 'a' },
    ])
  })

  it('tells gossip-queue the Serf member count whenever it changes, from the one table', () => {
    const { l, sizes, setNow } = layer({ reconnectTimeoutMs: 1000 })
    l.nodeJoined(node('a'))
    l.nodeJoined(node('b'))
    l.nodeLeft(node('b')) // failed still counts
    setNow(1001)
    l.reapTick()
    expect(sizes).toEqual([1, 2, 1])
    expect(sizes.at(-1)).toBe(l.members().counts.total)
  })

  it('builds push/pull user state and merges a remote one (left members as leave, others as join)', () => {
    const a = layer()
    a.l.nodeJoined(node('self'))
    a.l.nodeJoined(node('x'))
    a.l.nodeJoined(node('y'))
    a.l.userMessage(join('x', 4n))
    a.l.userMessage(leave('y', 6n))
    a.l.nodeLeft(node('y')) // leaving → left
    const state = a.l.localUserState(false)
    const pp = decodeSerfMessage(state)
    expect(pp).toMatchObject({ type: 'pushPull', LeftMembers: ['y'] })
    expect((pp as { Events: unknown[] }).Events).toHaveLength(512)

    const b = layer()
    b.l.nodeJoined(node('x'))
    b.l.nodeJoined(node('y'))
    b.l.mergeRemoteState(state, true)
    expect(a.l.clock.time()).toBe(7n)
    // Witnessing remote − 1 gives 7; the synthesized leave for y at StatusLTime + 1 = 7 then moves it to 8.
    expect(b.l.clock.time()).toBe(8n)
    expect(b.l.table.get('x')?.statusLTime).toBe(4n)
    expect(b.l.table.get('y')?.member.status).toBe('leaving') // leave at StatusLTime + 1
    expect(b.l.table.get('y')?.statusLTime).toBe(7n)
    expect(b.emitted.at(-1)).toMatchObject({ type: 'serf.merge-remote-events', join: true, eventLTime: 1n, queryLTime: 1n })
  })

  it('rejects tags that do not fit node Meta and keeps the old ones', () => {
    const { l, emitted } = layer({ tags: { a: '1' } })
    expect(() => l.setTags({ big: 'x'.repeat(600) })).toThrow(/512/)
    expect(l.localTags).toEqual({ a: '1' })
    l.setTags({ a: '2' })
    expect(emitted.at(-1)).toEqual({ type: 'member.local-meta-changed', meta: l.localMeta() })
  })

  it('broadcasts a join intent after a successful join only', () => {
    const { l, enqueued } = layer()
    l.nodeJoined(node('self'))
    l.joinCompleted(0)
    expect(enqueued).toEqual([])
    const before = l.clock.time()
    l.joinCompleted(2)
    expect(decodeSerfMessage(enqueued[0]!.message)).toEqual({ type: 'join', Node: 'self', LTime: before })
    expect(l.clock.time()).toBe(before + 1n)
    expect(l.table.get('self')?.statusLTime).toBe(before)
  })

  it('broadcasts no join intent after a reconnect join (Serf reconnect calls only memberlist.Join); a user join still does', () => {
    const { l, enqueued } = layer()
    l.nodeJoined(node('self'))
    const before = l.clock.time()
    l.joinCompleted(1, true)
    expect(enqueued).toEqual([])
    expect(l.clock.time()).toBe(before)
    l.joinCompleted(1)
    expect(enqueued.map((b) => decodeSerfMessage(b.message))).toEqual([{ type: 'join', Node: 'self', LTime: before }])
    expect(l.stats().joinsWithoutIntent).toEqual({ reconnect: 1, notAlive: 0 })
  })

  it('keeps a graceful leave a leave at the peers when a reconnect tick and joins happen during it', () => {
    // Two layers: `a` leaves, `b` is a peer; intents travel from a to b by hand, as gossip carries them.
    const a = layer({ nodeName: 'a' })
    const b = layer({ nodeName: 'b' })
    for (const x of [a, b]) for (const n of ['a', 'b', 'c', 'd']) x.l.nodeJoined(node(n))
    // Two failed of four: numFailed / numAlive = 1, so every tick of an alive node tries a reconnect.
    for (const x of [a, b]) for (const n of ['c', 'd']) x.l.nodeLeft(node(n))
    const reconnects = () => a.emitted.filter((e) => e.type === 'member.reconnect').length
    a.l.reconnectTick()
    expect(reconnects()).toBe(1)

    a.l.beginLeave('member-manager')
    for (const x of a.enqueued) b.l.userMessage(x.message)
    expect(b.l.table.get('a')?.member.status).toBe('leaving')
    a.l.reconnectTick() // paused while leaving
    expect(reconnects()).toBe(1)
    // The reconnect asked before the leave completes now, and so does a user's join: no intent either way.
    a.l.joinCompleted(1, true)
    a.l.joinCompleted(1)
    expect(a.enqueued.map((x) => decodeSerfMessage(x.message).type)).toEqual(['leave'])
    expect(a.l.stats().joinsWithoutIntent).toEqual({ reconnect: 1, notAlive: 1 })
    expect(a.l.table.get('a')?.member.status).toBe('leaving')

    // memberlist's dead-with-From=self reaches b: leaving becomes left.
    b.l.nodeLeft(node('a'))
    expect(b.l.table.get('a')?.member.status).toBe('left')
    expect(b.events().at(-1)).toMatchObject({ event: 'member-leave', members: [{ name: 'a', status: 'left' }] })

    // What the skipped intent would have done: a join at a's current time undoes the leave at a peer,
    // and the same memberlist leave then reads as a failure.
    const c = layer({ nodeName: 'c2' })
    for (const n of ['a', 'b']) c.l.nodeJoined(node(n))
    c.l.userMessage(a.enqueued[0]!.message)
    c.l.userMessage(join('a', a.l.clock.time()))
    c.l.nodeLeft(node('a'))
    expect(c.l.table.get('a')?.member.status).toBe('failed')
  })

  it('begins a leave: own status leaving, leave intent queued with a notify only if others are alive', () => {
    const alone = layer()
    alone.l.nodeJoined(node('self'))
    expect(alone.l.beginLeave('member-manager').waitForBroadcast).toBe(false)
    expect(alone.enqueued[0]!.notify).toBeUndefined()

    const { l, enqueued, snaps } = layer()
    l.nodeJoined(node('self'))
    l.nodeJoined(node('peer'))
    const r = l.beginLeave('member-manager')
    expect(r.waitForBroadcast).toBe(true)
    expect(enqueued[0]!.notify).toEqual({ to: 'member-manager', id: r.notifyId })
    expect(decodeSerfMessage(enqueued[0]!.message)).toMatchObject({ type: 'leave', Node: 'self', Prune: false })
    expect(l.table.get('self')?.member.status).toBe('leaving')
    expect(snaps).toContainEqual({ type: 'snapshot.leave' })
  })

  it('reports a name conflict about another node as an event, counts it and leaves the table alone', () => {
    const { l, emitted, enqueued, snaps, sizes } = layer()
    l.nodeJoined(node('self'))
    l.nodeJoined({ ...node('web'), incarnation: 3 })
    const before = { emitted: emitted.length, enqueued: enqueued.length, snaps: snaps.length, sizes: sizes.length }
    const tableBefore = l.members()
    l.nameConflict({ ...node('web'), incarnation: 3 }, { addr: Uint8Array.of(10, 0, 0, 2), port: 7946 })
    expect(emitted.slice(before.emitted)).toEqual([
      {
        type: 'member.conflict',
        name: 'web',
        existing: { addr: Uint8Array.of(127, 0, 0, 1), port: 7946, incarnation: 3 },
        other: { addr: Uint8Array.of(10, 0, 0, 2), port: 7946 },
        local: false,
        warning: { code: 'ERR_MEMBER_NAME_CONFLICT', message: expect.stringContaining('10.0.0.2:7946') },
      },
    ])
    expect(l.stats().nameConflicts).toEqual({ remote: 1, local: 0 })
    // No membership write: no broadcast, snapshot record or size change, the same table.
    expect([enqueued.length, snaps.length, sizes.length]).toEqual([before.enqueued, before.snaps, before.sizes])
    expect(l.members()).toEqual(tableBefore)
  })

  it('reports a name conflict about ourselves flagged local and unresolved: no query, no shutdown', () => {
    const { l, emitted, enqueued } = layer()
    l.nodeJoined(node('self'))
    l.nameConflict(node('self'), { addr: Uint8Array.of(10, 0, 0, 7), port: 7000 })
    l.nameConflict(node('self'), { addr: Uint8Array.of(10, 0, 0, 7), port: 7000 })
    const conflicts = emitted.filter((e) => e.type === 'member.conflict')
    expect(conflicts).toHaveLength(2)
    expect(conflicts[0]).toMatchObject({ name: 'self', local: true, warning: { code: 'ERR_MEMBER_NAME_CONFLICT_VOTE' } })
    expect(l.stats().nameConflicts).toEqual({ remote: 0, local: 2 })
    // Resolution (the _serf_conflict query) is the queries issue's: nothing is queued, we stay alive.
    expect(enqueued).toEqual([])
    expect(l.localState).toBe('alive')
    expect(l.table.get('self')?.member.status).toBe('alive')
  })

  it('says a local name conflict is not resolved because resolution is disabled, when it is', () => {
    const { l, emitted } = layer({ enableNameConflictResolution: false })
    l.nameConflict(node('self'), { addr: Uint8Array.of(10, 0, 0, 7), port: 7000 })
    expect(emitted.at(-1)).toMatchObject({ type: 'member.conflict', local: true, warning: { code: 'ERR_MEMBER_NAME_CONFLICT_RESOLUTION_DISABLED' } })
    expect(l.stats().nameConflicts.local).toBe(1)
  })

  it('schedules a prune for a leave with Prune about a leaving member', () => {
    const { l, prunes, events } = layer({ broadcastTimeoutMs: 5000, leavePropagateDelayMs: 1000 })
    l.nodeJoined(node('p'))
    l.userMessage(leave('p', 3n, true))
    expect(prunes).toEqual([['p', 6000]])
    l.pruneDue('p')
    expect(l.table.get('p')).toBeUndefined()
    expect(events().at(-1)).toMatchObject({ event: 'member-reap' })
  })
})
