/**
 * member-manager machine on a simulated clock (no sleeps): messages in, sends and replies out.
 */
import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import { createMemberManagerMachine } from '../../../actors/member-manager/machine.ts'
import type { MemberManagerContext, MemberManagerInput } from '../../../actors/member-manager/machine.ts'
import { membersOf } from '../../../actors/member-manager/member-reads.ts'
import type { AckReply, JoinAddressError, LocalStateReply, MemberEventMsg, MembersReply, MemberStatsReply } from '../../../actors/member-manager/protocol.ts'
import type { GossipQueueInbound } from '../../../actors/gossip-queue/protocol.ts'
import { encodeSerfMessage, decodeSerfMessage } from '../../../src/wire/index.ts'
import { fakeEnv } from '../gossip-queue/fake-env.ts'
import { node } from './fixtures.ts'

const S = 1000
const H = 3600 * S

function start(config: Partial<MemberManagerInput['config']> = {}, seed = 1) {
  const f = fakeEnv('member-manager', seed)
  const input: MemberManagerInput = {
    config: { nodeName: 'self', ...config },
    peers: { swim: 'swim', gossipQueue: 'gossip-queue', snapshotter: 'snapshotter', events: 'events', serfEvents: 'serf-events' },
  }
  const actor = createActor(createMemberManagerMachine(f.env), { clock: f.clock, input }).start()
  const members = (statuses?: MembersReply['members'][number]['status'][]) => {
    const t = f.ask<MembersReply>()
    actor.send(statuses === undefined ? { type: 'member.members', replyTo: t } : { type: 'member.members', statuses, replyTo: t })
    return f.replyFor(t)!
  }
  const stats = () => {
    const t = f.ask<MemberStatsReply>()
    actor.send({ type: 'member.stats', replyTo: t })
    return f.replyFor(t)!
  }
  const events = () => f.sentOf('member.event').filter((s) => s.to === 'events').map((s) => s.msg as unknown as MemberEventMsg).map((m) => `${m.event}:${m.members[0]!.name}`)
  const serfSizes = () =>
    f.sent
      .filter((s) => s.to === 'gossip-queue' && s.msg.type === 'gossip.cluster-size')
      .map((s) => (s.msg as unknown as Extract<GossipQueueInbound, { type: 'gossip.cluster-size' }>).numNodes)
  const joined = (name: string, tags: Record<string, string> = {}) => actor.send({ type: 'member.node-joined', node: node(name, tags) })
  const userMsg = (bytes: Uint8Array) => actor.send({ type: 'member.user-message', bytes })
  return { ...f, actor, members, stats, events, serfSizes, joined, userMsg }
}

const join = (Node: string, LTime: bigint) => encodeSerfMessage({ type: 'join', Node, LTime })
const leave = (Node: string, LTime: bigint) => encodeSerfMessage({ type: 'leave', Node, LTime, Prune: false })

describe('member-manager machine', () => {
  it('buffers intents that arrive before the member is known and applies them when it appears', () => {
    const m = start()
    m.userMsg(leave('early', 20n))
    expect(m.members().members).toEqual([])
    expect(m.stats().intentsBuffered).toBe(1)
    m.joined('early')
    expect(m.members().members[0]).toMatchObject({ name: 'early', status: 'leaving' })
    m.actor.send({ type: 'member.node-left', node: node('early') })
    expect(m.members().members[0]!.status).toBe('left') // a buffered leave makes it left, not failed
    expect(m.events()).toEqual(['member-join:early', 'member-leave:early'])
    m.actor.stop()
  })

  it('ignores intents with a stale LTime and does not rebroadcast them', () => {
    const m = start()
    m.joined('a')
    m.userMsg(join('a', 10n))
    m.userMsg(join('a', 10n))
    m.userMsg(leave('a', 9n))
    const intents = m.sent.filter((s) => s.to === 'gossip-queue' && s.msg.type === 'gossip.enqueue')
    expect(intents).toHaveLength(1)
    expect(m.members().members[0]!.status).toBe('alive')
    expect(m.stats().intentsStale).toBe(2)
    m.actor.stop()
  })

  it('maps leave to left and failure to failed, then reaps them from the one table so every count agrees', async () => {
    const m = start({ reconnectTimeoutMs: 1 * H, tombstoneTimeoutMs: 2 * H, reapIntervalMs: 15 * S, reconnectIntervalMs: 10 * H })
    for (const n of ['self', 'a', 'b', 'c']) m.joined(n)
    m.userMsg(leave('a', 5n))
    m.actor.send({ type: 'member.node-left', node: node('a') }) // graceful: left
    m.actor.send({ type: 'member.node-left', node: node('b') }) // crash: failed
    expect(m.members().counts).toEqual({ alive: 2, leaving: 0, left: 1, failed: 1, total: 4 })
    expect(m.members(['failed']).members.map((x) => x.name)).toEqual(['b'])

    m.clock.advanceSync(1 * H) // not strictly past reconnectTimeout at the last tick before it
    expect(m.members().counts.failed).toBe(1)
    m.clock.advanceSync(15 * S)
    let r = m.members()
    expect(r.counts).toEqual({ alive: 2, leaving: 0, left: 1, failed: 0, total: 3 })
    expect(r.members.map((x) => x.name).sort()).toEqual(['a', 'c', 'self'])

    m.clock.advanceSync(1 * H)
    r = m.members()
    expect(r.counts).toEqual({ alive: 2, leaving: 0, left: 0, failed: 0, total: 2 })
    expect(r.members.length).toBe(r.counts.total)
    expect(m.stats().counts).toEqual(r.counts)
    await Promise.resolve() // the size goes at the end of the turn (once, the latest)
    expect(m.serfSizes().at(-1)).toBe(2) // gossip-queue was told the same count
    expect(m.events().filter((e) => e.startsWith('member-reap'))).toEqual(['member-reap:b', 'member-reap:a'])
    expect(m.sentOf('snapshot.member-not-alive').map((s) => (s.msg as unknown as { name: string }).name)).toEqual(['a', 'b'])
    // Each event as Serf logs it (serf.go: EventMember<Kind>: name [ip]), at info under `serf`.
    m.actor.send({ type: 'member.node-updated', node: node('c', { role: 'db' }) })
    const serfLines = m.logs.filter((l) => l.level === 'info' && (l.obj as { subsystem?: string }).subsystem === 'serf').map((l) => l.msg)
    expect(serfLines).toEqual([
      ...['self', 'a', 'b', 'c'].map((n) => `EventMemberJoin: ${n} 127.0.0.1`),
      'EventMemberLeave: a 127.0.0.1',
      'EventMemberFailed: b 127.0.0.1',
      'EventMemberReap: b',
      'EventMemberReap: a',
      'EventMemberUpdate: c',
    ])
    m.actor.stop()
  })

  it('attempts reconnects to failed members on the reconnect timer and counts them', () => {
    const m = start({ reconnectIntervalMs: 30 * S, reapIntervalMs: 10 * H }, 42)
    for (const n of ['self', 'a', 'b']) m.joined(n)
    m.clock.advanceSync(30 * S)
    expect(m.sentOf('member.reconnect')).toEqual([]) // nobody failed
    m.actor.send({ type: 'member.node-left', node: node('a') })
    m.actor.send({ type: 'member.node-left', node: node('b') })
    // failed 2, alive 1: probability 2 ≥ 1, so every tick tries one of them.
    m.clock.advanceSync(5 * 30 * S)
    const attempts = m.sentOf('member.reconnect')
    expect(attempts).toHaveLength(5)
    expect(m.stats().reconnectAttempts).toBe(5)
    for (const a of attempts) {
      expect(a.to).toBe('swim')
      expect(['a', 'b']).toContain((a.msg as unknown as { name: string }).name)
    }
    m.actor.stop()
  })

  it('reconnects with probability numFailed / numAlive (seeded, so reproducible)', () => {
    const run = (seed: number) => {
      const m = start({ reconnectIntervalMs: 1 * S, reapIntervalMs: 10 * H }, seed)
      for (let i = 0; i < 10; i++) m.joined(`n${i}`)
      m.actor.send({ type: 'member.node-left', node: node('n0') }) // 1 failed of 9 alive
      m.clock.advanceSync(900 * S)
      const n = m.stats().reconnectAttempts
      m.actor.stop()
      return n
    }
    const a = run(5)
    expect(run(5)).toBe(a)
    // 900 ticks at p = 1/9: mean 100, sd ≈ 9.4; ±40 is over 4 sd.
    expect(a).toBeGreaterThan(60)
    expect(a).toBeLessThan(140)
  })

  it('emits member-update when tags change, and sends new Meta to swim on set-tags', () => {
    const m = start({ tags: { role: 'web' } })
    m.joined('self', { role: 'web' })
    m.joined('a', { v: '1' })
    m.actor.send({ type: 'member.node-updated', node: node('a', { v: '2' }) })
    const update = m.sentOf('member.event').filter((s) => s.to === 'events').map((s) => s.msg as unknown as MemberEventMsg).find((e) => e.event === 'member-update')
    expect(update?.members[0]).toMatchObject({ name: 'a', tags: { v: '2' } })

    const ok = m.ask<AckReply>()
    m.actor.send({ type: 'member.set-tags', tags: { role: 'db' }, replyTo: ok })
    expect(m.replyFor(ok)).toEqual({ type: 'member.ack' })
    const metas = m.sentOf('member.local-meta-changed')
    expect(metas.at(-1)!.to).toBe('swim')

    const bad = m.ask<AckReply>()
    m.actor.send({ type: 'member.set-tags', tags: { huge: 'x'.repeat(1000) }, replyTo: bad })
    expect(m.failures.at(-1)).toMatchObject({ to: bad, error: { code: 'ERR_MEMBER_TAGS_TOO_LARGE' } })
    m.actor.stop()
  })

  it('leaves gracefully: intent spread, then memberlist leave, then the propagate delay', () => {
    const m = start({ broadcastTimeoutMs: 5 * S, leavePropagateDelayMs: 1 * S })
    m.joined('self')
    m.joined('peer')
    const t = m.ask<AckReply>()
    m.actor.send({ type: 'member.leave', replyTo: t })
    const enq = m.sent.filter((s) => s.msg.type === 'gossip.enqueue').at(-1)!.msg as unknown as Extract<GossipQueueInbound, { type: 'gossip.enqueue' }>
    expect(decodeSerfMessage(enq.broadcast.message)).toMatchObject({ type: 'leave', Node: 'self' })
    expect(enq.broadcast.notify?.to).toBe('member-manager')
    expect(m.sentOf('snapshot.leave')).toHaveLength(1)
    expect(m.sentOf('member.swim-leave')).toEqual([])

    m.clock.advanceSync(2 * S)
    m.actor.send({ type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'other', outcome: 'transmitted' })
    expect(m.sentOf('member.swim-leave')).toEqual([])
    m.actor.send({ type: 'gossip.broadcast-finished', queue: 'serf-intent', id: enq.broadcast.notify!.id, outcome: 'transmitted' })
    // swim waits for its dead broadcast up to Serf's BroadcastTimeout (Serf passes it to memberlist.Leave).
    expect(m.sentOf('member.swim-leave')).toEqual([{ to: 'swim', msg: { type: 'member.swim-leave', timeoutMs: 5 * S } }])

    const again = m.ask<AckReply>()
    m.actor.send({ type: 'member.leave', replyTo: again })
    expect(m.failures.at(-1)).toMatchObject({ to: again, error: { code: 'ERR_MEMBER_LEAVE_IN_PROGRESS' } })

    m.actor.send({ type: 'member.swim-left' })
    m.clock.advanceSync(999)
    expect(m.replyFor(t)).toBeUndefined()
    m.clock.advanceSync(1)
    expect(m.replyFor(t)).toEqual({ type: 'member.ack' })
    expect(m.actor.getSnapshot().matches({ running: { lifecycle: 'left' } })).toBe(true)
    expect(m.actor.getSnapshot().context.leaveBroadcastTimeouts).toBe(0)
    m.actor.stop()
  })

  it('goes on with the leave when the intent is not confirmed within BroadcastTimeout (counted)', () => {
    const m = start({ broadcastTimeoutMs: 5 * S, leavePropagateDelayMs: 1 * S })
    m.joined('self')
    m.joined('peer')
    const t = m.ask<AckReply>()
    m.actor.send({ type: 'member.leave', replyTo: t })
    m.clock.advanceSync(5 * S)
    expect(m.sentOf('member.swim-leave')).toHaveLength(1)
    m.clock.advanceSync(10 * S + 1 * S) // swim never answers: its guard timeout, then the delay
    expect(m.replyFor(t)).toEqual({ type: 'member.ack' })
    expect(m.actor.getSnapshot().context).toMatchObject({ leaveBroadcastTimeouts: 1, swimLeaveTimeouts: 1 })
    expect(m.stats().leaveTimeouts).toEqual({ broadcast: 1, swim: 1 })
    // Serf's Leave would return "timeout while waiting for graceful leave" here; we say so in the log.
    expect(m.logs.filter((l) => l.level === 'warn').map((l) => (l.obj as { code: string }).code)).toEqual([
      'ERR_MEMBER_LEAVE_BROADCAST_TIMEOUT',
      'ERR_MEMBER_SWIM_LEAVE_TIMEOUT',
    ])
    m.actor.stop()
  })

  it('pauses the reconnect timer once leaving, and broadcasts a join intent only for a user join while alive', () => {
    const m = start({ reconnectIntervalMs: 30 * S, reapIntervalMs: 10 * H, broadcastTimeoutMs: 5 * S, leavePropagateDelayMs: 1 * S })
    for (const n of ['self', 'peer', 'c', 'd']) m.joined(n)
    for (const n of ['c', 'd']) m.actor.send({ type: 'member.node-left', node: node(n) }) // p = 2 / 2: every tick
    const joinIntents = () =>
      m.sentOf('gossip.enqueue')
        .map((x) => decodeSerfMessage((x.msg as unknown as Extract<GossipQueueInbound, { type: 'gossip.enqueue' }>).broadcast.message))
        .filter((x) => x.type === 'join')
    m.clock.advanceSync(30 * S)
    expect(m.sentOf('member.reconnect')).toHaveLength(1)
    // swim reports the reconnect's join as such: no intent (Serf's reconnect calls only memberlist.Join).
    m.actor.send({ type: 'member.join-completed', numJoined: 1, reconnect: true })
    expect(joinIntents()).toEqual([])
    // A user's join does broadcast one.
    m.actor.send({ type: 'member.join-completed', numJoined: 1 })
    expect(joinIntents()).toHaveLength(1)

    m.actor.send({ type: 'member.leave' })
    expect(m.actor.getSnapshot().matches({ running: { reconnector: 'paused' } })).toBe(true)
    m.clock.advanceSync(3 * S)
    m.actor.send({ type: 'member.join-completed', numJoined: 1, reconnect: true })
    m.actor.send({ type: 'member.join-completed', numJoined: 1 }) // a user's join that finishes during the leave
    m.clock.advanceSync(10 * 30 * S) // leave times out and completes; no reconnect tick runs
    expect(m.actor.getSnapshot().matches({ running: { lifecycle: 'left' } })).toBe(true)
    expect(m.sentOf('member.reconnect')).toHaveLength(1)
    expect(joinIntents()).toHaveLength(1)
    expect(m.stats()).toMatchObject({ reconnectAttempts: 1, joinsWithoutIntent: { reconnect: 2, notAlive: 1 } })
    m.actor.stop()
  })

  it('stops waiting for its intent to spread once the last other member has left too (two nodes leaving at once)', () => {
    const m = start({ broadcastTimeoutMs: 5 * S, leavePropagateDelayMs: 1 * S })
    m.joined('self')
    m.joined('peer')
    m.joined('other')
    const t = m.ask<AckReply>()
    m.actor.send({ type: 'member.leave', replyTo: t })
    // peer leaves at the same time: its intent (leaving, still up to hear ours), then its memberlist leave.
    m.userMsg(leave('peer', 10n))
    m.actor.send({ type: 'member.node-left', node: node('peer') })
    m.clock.advanceSync(1 * S)
    expect(m.sentOf('member.swim-leave')).toEqual([]) // other is alive: the intent still waits
    m.actor.send({ type: 'member.node-left', node: node('other') })
    // Nobody is left to hear the intent: the memberlist leave goes now, not at BroadcastTimeout.
    expect(m.sentOf('member.swim-leave')).toHaveLength(1)
    m.actor.send({ type: 'member.swim-left' })
    m.clock.advanceSync(1 * S)
    expect(m.replyFor(t)).toEqual({ type: 'member.ack' })
    expect(m.actor.getSnapshot().context.leaveBroadcastTimeouts).toBe(0)
    m.actor.stop()
  })

  it("answers a join swim handed over once the join's members are in its table", () => {
    const m = start()
    m.joined('self')
    m.joined('peer') // the join's node change, before its completion in swim's feed
    const t = m.ask<{ type: 'swim.join-reply'; numJoined: number; errors: JoinAddressError[] }>()
    const errors = [{ address: '10.0.0.9:7946', code: 'ERR_JOIN_TIMEOUT' as const, message: 'Failed to join 10.0.0.9: i/o timeout' }]
    m.actor.send({ type: 'member.join-completed', numJoined: 1, errors, replyTo: t })
    expect(m.replyFor(t)).toEqual({ type: 'swim.join-reply', numJoined: 1, errors })
    expect(m.members().members.map((x) => x.name)).toContain('peer')
    m.actor.stop()
  })

  it('skips the broadcast wait when nobody else is alive', () => {
    const m = start()
    m.joined('self')
    m.actor.send({ type: 'member.leave' })
    expect(m.sentOf('member.swim-leave')).toHaveLength(1)
    m.actor.stop()
  })

  it('answers push/pull local state and passes unhandled Serf messages through', () => {
    const m = start()
    m.joined('self')
    const t = m.ask<LocalStateReply>()
    m.actor.send({ type: 'member.local-state', join: true, replyTo: t })
    expect(decodeSerfMessage(m.replyFor(t)!.bytes)).toMatchObject({ type: 'pushPull' })
    const ev = encodeSerfMessage({ type: 'userEvent', LTime: 1n, Name: 'x', Payload: null, CC: false })
    m.userMsg(ev)
    expect(m.sentOf('serf.message')).toEqual([{ to: 'serf-events', msg: { type: 'serf.message', bytes: ev, from: '' } }])
    m.actor.stop()
  })

  it("gives serf-events every member event (its member feed) and carries serf-events' slice in push/pull", () => {
    const m = start()
    m.joined('self')
    m.joined('p')
    expect(m.sentOf('member.event').filter((s) => s.to === 'serf-events').map((s) => (s.msg as unknown as MemberEventMsg).members[0]!.name)).toEqual(['self', 'p'])
    const slot = { LTime: 41n, Events: [{ Name: 'deploy', Payload: null }] }
    m.actor.send({ type: 'member.event-state', eventLTime: 42n, events: [slot], queryLTime: 9n })
    const t = m.ask<LocalStateReply>()
    m.actor.send({ type: 'member.local-state', join: false, replyTo: t })
    expect(decodeSerfMessage(m.replyFor(t)!.bytes)).toMatchObject({ type: 'pushPull', EventLTime: 42n, QueryLTime: 9n, Events: [slot] })
    m.actor.stop()
  })

  it('prunes a leaving member after BroadcastTimeout + LeavePropagateDelay on the actor clock', () => {
    const m = start({ broadcastTimeoutMs: 5 * S, leavePropagateDelayMs: 1 * S })
    m.joined('p')
    m.userMsg(encodeSerfMessage({ type: 'leave', Node: 'p', LTime: 3n, Prune: true }))
    m.clock.advanceSync(6 * S - 1)
    expect(m.members().counts.total).toBe(1)
    m.clock.advanceSync(1)
    expect(m.members().counts.total).toBe(0)
    expect(m.events()).toEqual(['member-join:p', 'member-reap:p'])
    m.actor.stop()
  })

  it('sends a name conflict about another node to the event stream as a warning, and counts it', () => {
    const m = start()
    m.joined('self')
    m.joined('web')
    const before = m.members()
    m.actor.send({ type: 'member.name-conflict', existing: node('web'), other: { addr: Uint8Array.of(10, 0, 0, 2), port: 7946 } })
    const sent = m.sentOf('member.conflict')
    expect(sent).toHaveLength(1)
    expect(sent[0]!.to).toBe('events')
    expect(sent[0]!.msg).toMatchObject({ name: 'web', local: false, warning: { code: 'ERR_MEMBER_NAME_CONFLICT' } })
    expect(m.logs.filter((l) => l.level === 'warn')).toEqual([
      { level: 'warn', obj: { code: 'ERR_MEMBER_NAME_CONFLICT', node: 'web', local: false }, msg: expect.stringContaining('127.0.0.1:7946') },
    ])
    expect(m.stats().nameConflicts).toEqual({ remote: 1, local: 0 })
    expect(m.members()).toEqual(before)
    m.actor.stop()
  })

  it('reports a name conflict about ourselves (logged as an error), hands the vote to serf-events and stays alive', () => {
    const m = start()
    m.joined('self')
    m.joined('peer')
    m.actor.send({ type: 'member.name-conflict', existing: node('self'), other: { addr: Uint8Array.of(10, 0, 0, 3), port: 9000 } })
    expect(m.sentOf('member.conflict').map((s) => s.msg)).toMatchObject([{ name: 'self', local: true, warning: { code: 'ERR_MEMBER_NAME_CONFLICT_VOTE' } }])
    expect(m.logs.filter((l) => l.level === 'error').map((l) => l.obj)).toEqual([{ code: 'ERR_MEMBER_NAME_CONFLICT_VOTE', node: 'self', local: true }])
    expect(m.stats().nameConflicts).toEqual({ remote: 0, local: 1 })
    // serf-events holds the _serf_conflict vote; member-manager broadcasts nothing and does not leave.
    expect(m.sentOf('serf.name-conflict')).toEqual([{ to: 'serf-events', msg: { type: 'serf.name-conflict', other: { addr: Uint8Array.of(10, 0, 0, 3), port: 9000 } } }])
    expect(m.sentOf('gossip.enqueue')).toEqual([])
    expect(m.sentOf('member.swim-leave')).toEqual([])
    expect(m.actor.getSnapshot().matches({ running: { lifecycle: 'alive' } })).toBe(true)
    m.actor.stop()
  })

  it('with enableNameConflictResolution off, a conflict about ourselves is only reported: no vote handed over', () => {
    const m = start({ enableNameConflictResolution: false })
    m.joined('self')
    m.actor.send({ type: 'member.name-conflict', existing: node('self'), other: { addr: Uint8Array.of(10, 0, 0, 3), port: 9000 } })
    expect(m.sentOf('member.conflict').map((s) => s.msg)).toMatchObject([{ local: true, warning: { code: 'ERR_MEMBER_NAME_CONFLICT_RESOLUTION_DISABLED' } }])
    expect(m.sentOf('serf.name-conflict')).toEqual([])
    m.actor.stop()
  })

  it('revives counters from a snapshot persisted before the name-conflict counters existed', () => {
    const m = start()
    m.joined('self')
    const persisted = structuredClone(m.actor.getPersistedSnapshot()) as unknown as { context: { core: { counters: Record<string, number> } } }
    m.actor.stop()
    delete persisted.context.core.counters['nameConflictsRemote']
    delete persisted.context.core.counters['nameConflictsLocal']
    const f = fakeEnv('member-manager', 1)
    const revived = createActor(createMemberManagerMachine(f.env), { clock: f.clock, input: { config: { nodeName: 'self' } }, snapshot: persisted as never }).start()
    revived.send({ type: 'runtime.restored', at: f.clock.now(), restarts: 1 })
    revived.send({ type: 'member.name-conflict', existing: node('x'), other: { addr: Uint8Array.of(10, 0, 0, 3), port: 1 } })
    const t = f.ask<MemberStatsReply>()
    revived.send({ type: 'member.stats', replyTo: t })
    expect(f.replyFor(t)!.nameConflicts).toEqual({ remote: 1, local: 0 })
    revived.stop()
  })

  it('witnesses the restored snapshot clock at start and tells swim its Meta', () => {
    const f = fakeEnv('member-manager')
    const actor = createActor(createMemberManagerMachine(f.env), { clock: f.clock, input: { config: { nodeName: 'self' }, restored: { clock: 41n } } }).start()
    const t = f.ask<MemberStatsReply>()
    actor.send({ type: 'member.stats', replyTo: t })
    expect(f.replyFor(t)!.memberTime).toBe(42n)
    expect(() => structuredClone(actor.getSnapshot().context)).not.toThrow()
    expect(f.sentOf('member.local-meta-changed')).toHaveLength(1)
    actor.send({ type: 'runtime.shutdown' })
    expect(actor.getSnapshot().status).toBe('done')
  })

  it('still schedules prunes after the context was replaced by an assign (leave in progress)', () => {
    const m = start({ broadcastTimeoutMs: 5 * S, leavePropagateDelayMs: 1 * S })
    m.joined('self')
    m.joined('peer')
    m.joined('p')
    m.actor.send({ type: 'member.leave' }) // assigns new context
    m.userMsg(encodeSerfMessage({ type: 'leave', Node: 'p', LTime: 30n, Prune: true }))
    m.clock.advanceSync(6 * S)
    expect(m.members().members.map((x) => x.name).sort()).toEqual(['peer', 'self'])
    m.actor.stop()
  })

  it('counts outbound messages that find no receiver', () => {
    const f = fakeEnv('member-manager', 1, ['gossip-queue'])
    const actor = createActor(createMemberManagerMachine(f.env), {
      clock: f.clock,
      input: { config: { nodeName: 'self' }, peers: { events: 'nobody-listens' } },
    }).start()
    actor.send({ type: 'member.node-joined', node: node('a') })
    const t = f.ask<MemberStatsReply>()
    actor.send({ type: 'member.stats', replyTo: t })
    // swim is unknown here (local meta at start), and so is the events receiver (member-join).
    expect(f.replyFor(t)!.undelivered).toBe(2)
    actor.stop()
  })

  it('restores the member table from a persisted snapshot (cloned across threads) and re-arms its timers', () => {
    const m = start({ reconnectTimeoutMs: 1 * H, reapIntervalMs: 15 * S, tags: { role: 'web' } })
    for (const n of ['self', 'a', 'b']) m.joined(n)
    m.userMsg(join('a', 7n))
    m.userMsg(leave('ghost', 3n)) // buffered intent
    m.actor.send({ type: 'member.node-left', node: node('b') }) // failed at t=0
    // What the runtime keeps: the persisted snapshot, copied as a worker would post it.
    const persisted = structuredClone(m.actor.getPersistedSnapshot())
    m.actor.stop()

    const f = fakeEnv('member-manager', 1)
    f.clock.advanceSync(30 * S) // the restart happens later on the same clock line
    const input: MemberManagerInput = { config: { nodeName: 'self' }, peers: { swim: 'swim', gossipQueue: 'gossip-queue', events: 'events' } }
    const revived = createActor(createMemberManagerMachine(f.env), { clock: f.clock, input, snapshot: persisted as never }).start()
    revived.send({ type: 'runtime.restored', at: f.clock.now(), restarts: 1 })
    const members = () => {
      const t = f.ask<MembersReply>()
      revived.send({ type: 'member.members', replyTo: t })
      return f.replyFor(t)!
    }
    expect(members().counts).toEqual({ alive: 2, leaving: 0, left: 0, failed: 1, total: 3 })
    const st = f.ask<MemberStatsReply>()
    revived.send({ type: 'member.stats', replyTo: st })
    expect(f.replyFor(st)).toMatchObject({ intentsBuffered: 1, memberTime: 8n })
    // Not started again: no second clock increment, no Meta re-announcement.
    expect(f.sentOf('member.local-meta-changed')).toEqual([])
    // The layer writes through the restored table: a stale intent is still stale.
    revived.send({ type: 'member.user-message', bytes: join('a', 7n) })
    expect(f.sent.filter((s) => s.msg.type === 'gossip.enqueue')).toEqual([])
    // And the re-armed reaper erases b once reconnectTimeout has passed.
    f.clock.advanceSync(1 * H)
    expect(members().counts).toEqual({ alive: 2, leaving: 0, left: 0, failed: 0, total: 2 })
    expect(f.sentOf('member.event').filter((s) => s.to === 'events').map((s) => (s.msg as unknown as MemberEventMsg).event)).toEqual(['member-reap'])
    // The context is the restored state, moved on by the core: the next persisted snapshot is current.
    const again = structuredClone(revived.getPersistedSnapshot()) as unknown as { context: MemberManagerContext }
    expect(membersOf(again.context.core).members.map((x) => x.name).sort()).toEqual(['a', 'self'])
    revived.stop()
  })

  it('re-arms a scheduled prune on restore, for the time it had left', () => {
    const m = start({ broadcastTimeoutMs: 5 * S, leavePropagateDelayMs: 1 * S })
    for (const n of ['self', 'p']) m.joined(n)
    m.clock.advanceSync(1 * S)
    m.userMsg(encodeSerfMessage({ type: 'leave', Node: 'p', LTime: 3n, Prune: true })) // due at 7 s
    expect(m.actor.getSnapshot().context.prunes).toEqual([{ name: 'p', dueAt: 7 * S }])
    m.clock.advanceSync(2 * S)
    const persisted = structuredClone(m.actor.getPersistedSnapshot())
    m.actor.stop() // the crash: its delayed prune event dies with it

    const f = fakeEnv('member-manager', 1)
    f.clock.advanceSync(3 * S)
    const revived = createActor(createMemberManagerMachine(f.env), {
      clock: f.clock,
      input: { config: { nodeName: 'self' }, peers: { events: 'events' } },
      snapshot: persisted as never,
    }).start()
    revived.send({ type: 'runtime.restored', at: f.clock.now(), restarts: 1 })
    const names = () => {
      const t = f.ask<MembersReply>()
      revived.send({ type: 'member.members', replyTo: t })
      return f.replyFor(t)!.members.map((x) => x.name).sort()
    }
    f.clock.advanceSync(4 * S - 1)
    expect(names()).toEqual(['p', 'self'])
    f.clock.advanceSync(1) // 7 s: due as first scheduled
    expect(names()).toEqual(['self'])
    expect(f.sentOf('member.event').filter((s) => s.to === 'events').map((x) => (x.msg as unknown as MemberEventMsg).event)).toEqual(['member-reap'])
    expect(revived.getSnapshot().context.prunes).toEqual([])
    revived.stop()
  })

  it('restores a snapshot persisted before pending prunes were kept', () => {
    const m = start()
    m.joined('self')
    const persisted = structuredClone(m.actor.getPersistedSnapshot()) as unknown as { context: Record<string, unknown> }
    m.actor.stop()
    delete persisted.context['prunes']
    const f = fakeEnv('member-manager', 1)
    const revived = createActor(createMemberManagerMachine(f.env), { clock: f.clock, input: { config: { nodeName: 'self' } }, snapshot: persisted as never }).start()
    revived.send({ type: 'runtime.restored', at: f.clock.now(), restarts: 1 })
    revived.send({ type: 'member.node-joined', node: node('p') })
    revived.send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'p', LTime: 3n, Prune: true }) })
    expect(revived.getSnapshot().status).toBe('active')
    expect(revived.getSnapshot().context.prunes).toHaveLength(1)
    revived.stop()
  })

  it('persists a detached copy: the record the runtime keeps does not follow the live table', () => {
    const f = fakeEnv('member-manager', 1)
    const machine = createMemberManagerMachine(f.env)
    const input: MemberManagerInput = { config: { nodeName: 'self' } }
    const first = createActor(machine, { clock: f.clock, input }).start()
    first.send({ type: 'member.node-joined', node: node('a') })
    const record = first.getPersistedSnapshot() // kept as is, as the runtime keeps it in one thread
    first.send({ type: 'member.node-joined', node: node('later') })
    first.send({ type: 'member.user-message', bytes: join('a', 9n) })
    first.stop()
    const second = createActor(machine, { clock: f.clock, input, snapshot: record as never }).start()
    second.send({ type: 'runtime.restored', at: f.clock.now(), restarts: 1 })
    const st = f.ask<MemberStatsReply>()
    second.send({ type: 'member.stats', replyTo: st })
    expect(f.replyFor(st)).toMatchObject({ counts: { total: 1 }, memberTime: 1n })
    second.stop()
  })

  it('restarts in place from the persisted snapshot, not from the state the crashed instance reached', () => {
    const f = fakeEnv('member-manager', 1)
    const machine = createMemberManagerMachine(f.env) // the runtime builds it once per actor
    const input: MemberManagerInput = { config: { nodeName: 'self' }, peers: { swim: 'swim', gossipQueue: 'gossip-queue' } }
    const first = createActor(machine, { clock: f.clock, input }).start()
    for (const n of ['self', 'a']) first.send({ type: 'member.node-joined', node: node(n) })
    const persisted = structuredClone(first.getPersistedSnapshot())
    first.send({ type: 'member.node-joined', node: node('after-checkpoint') })
    first.stop()

    const second = createActor(machine, { clock: f.clock, input, snapshot: persisted as never }).start()
    second.send({ type: 'runtime.restored', at: f.clock.now(), restarts: 1 })
    const t = f.ask<MembersReply>()
    second.send({ type: 'member.members', replyTo: t })
    expect(f.replyFor(t)!.members.map((x) => x.name).sort()).toEqual(['a', 'self'])
    second.stop()
  })
})
