/**
 * The assignment actor on the runtime, inline, on the simulated clock, with the membership
 * backend's messages relayed by a fake swim (real encoded envelopes): workers register and
 * campaign, the elected node runs the calculator and publishes to every registered member with
 * the gossamer tag, each worker accepts through its term guard and emits its partitions; on
 * failover the new leader starts from the last published assignment (restart) and moves only the
 * failed worker's partitions; stale, future, corrupt and oversized assignments are counted
 * refusals; bad registrations are coded errors naming the field.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, SimulatedClock } from '../../../src/runtime/index.ts'
import { assignment } from '../../../actors/assignment/definition.ts'
import type { AssignmentChangedMsg } from '../../../actors/assignment/protocol.ts'
import { createAssignment } from '../../../actors/assignment/assignment.ts'
import { encodeAssignment } from '../../../actors/assignment/assignment-codec.ts'
import { encodeGroupMessage } from '../../../actors/assignment/group-message.ts'
import { decodeGossamerMessage } from '../../../src/wire/gossamer-message.ts'
import { ANNOUNCE_RETRY_MS } from '../../../actors/assignment/actor-state.ts'
import { fakeElection, fakeNet, fakeSwim, leaderChange, linkKey, member, memberEvent, type FakeNet } from './actor-support.ts'

const TIMING = { coldStartWindowMs: 1_000, plannedScaleWindowMs: 1_000, restartWindowMs: 1_000, emergencyGraceMs: 500, minRebalanceIntervalMs: 0, maxMovesFraction: 1 }
const P = 12

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

async function cluster(names: string[], net: FakeNet = fakeNet()) {
  const clock = new SimulatedClock()
  system = await ActorSystem.start({ logLevel: 'silent', clock })
  const swimDef = fakeSwim(net)
  const electionDef = fakeElection(net)
  const refs: Record<string, Awaited<ReturnType<typeof spawnOne>>> = {}
  const changes: Record<string, AssignmentChangedMsg[]> = {}
  async function spawnOne(n: string) {
    return system!.spawn(assignment, { id: `assignment-${n}`, placement: 'inline', input: { self: n, calculator: TIMING, peers: { swim: `swim-${n}`, election: `election-${n}` } } })
  }
  for (const n of names) {
    await system.spawn(swimDef, { id: `swim-${n}`, placement: 'inline', input: { node: n } })
    await system.spawn(electionDef, { id: `election-${n}`, placement: 'inline', input: { node: n } })
    refs[n] = await spawnOne(n)
    changes[n] = []
    refs[n]!.on('assignment.changed', (e) => changes[n]!.push(e as AssignmentChangedMsg))
    // member-manager's view: every other node alive, with the gossamer tag.
    refs[n]!.send(memberEvent('member-join', ...names.filter((m) => m !== n).map((m) => member(m))))
  }
  return { clock, refs, changes, net, sys: system }
}

const mine = (c: AssignmentChangedMsg[]) => c.at(-1)?.assignment

describe('assignment actor (inline, simulated clock, membership backend)', () => {
  it('workers register and campaign; the leader publishes after the cold-start window; each worker gets a disjoint share', async () => {
    const { clock, refs, changes, net } = await cluster(['a', 'b', 'c'])
    for (const n of ['a', 'b', 'c']) expect(await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })).toMatchObject({ ok: true })
    expect(net.elections.filter((e) => e.type === 'election.campaign').map((e) => e.node).sort()).toEqual(['a', 'b', 'c'])
    refs['a']!.send(leaderChange('jobs', 'a', 7, true))
    for (const n of ['b', 'c']) refs[n]!.send(leaderChange('jobs', 'a', 7, false))
    await clock.advance(999)
    expect(changes['a']).toEqual([])
    expect((await refs['a']!.ask({ type: 'assignment.view', group: 'jobs' })).leading).toBe('cold-start')
    await clock.advance(1)
    const got = ['a', 'b', 'c'].map((n) => mine(changes[n]!))
    for (const m of got) expect(m).toMatchObject({ group: 'jobs', version: 1, term: 7, totalPartitions: P, workers: 3 })
    expect(got.map((m) => m!.leader)).toEqual(['a', 'a', 'a'])
    const all = got.flatMap((m) => m!.partitions).sort((x, y) => x - y)
    expect(all).toEqual(Array.from({ length: P }, (_, i) => i))
    for (const m of got) expect(m!.partitions.length).toBeGreaterThan(0)
    // Sent only to the registered members, reliably, as Gossamer assignment-channel messages.
    const pubs = net.sent.filter((s) => s.from === 'a' && decodeGossamerMessage(s.bytes).channel === 'assignment')
    expect(pubs.map((s) => s.to).sort()).toEqual(['b', 'c'])
  })

  it('failover: the takeover reaches the last assignment\'s workers before they have heard of the new leader (membership)', async () => {
    const { clock, refs, changes } = await cluster(['a', 'b', 'c'])
    for (const n of ['a', 'b', 'c']) await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    refs['a']!.send(leaderChange('jobs', 'a', 7, true))
    for (const n of ['b', 'c']) refs[n]!.send(leaderChange('jobs', 'a', 7, false))
    await clock.advance(1_000)
    expect(mine(changes['c']!)).toMatchObject({ version: 1, term: 7, leader: 'a' })
    // a crashes; b is elected for term 8. c has not heard of b yet (b's first renewal is up to a
    // third of a lease away), so it has not registered with b: the takeover must reach it anyway.
    for (const n of ['b', 'c']) refs[n]!.send(memberEvent('member-failed', member('a')))
    refs['b']!.send(leaderChange('jobs', 'b', 8, true))
    await clock.advance(0)
    expect(mine(changes['c']!)).toMatchObject({ version: 2, term: 8, leader: 'b' })
  })

  it('failover: the new leader starts from the last published assignment (restart) and moves only the failed worker\'s partitions; a stale term is refused and counted', async () => {
    const { clock, refs, changes, net } = await cluster(['a', 'b', 'c'])
    for (const n of ['a', 'b', 'c']) await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    refs['a']!.send(leaderChange('jobs', 'a', 7, true))
    for (const n of ['b', 'c']) refs[n]!.send(leaderChange('jobs', 'a', 7, false))
    await clock.advance(1_000)
    const before = { b: mine(changes['b']!)!.partitions, c: mine(changes['c']!)!.partitions }
    const stale = net.sent.find((s) => s.from === 'a' && s.to === 'c')!.bytes
    // a crashes: b and c see it fail; b is elected for term 8.
    for (const n of ['b', 'c']) refs[n]!.send(memberEvent('member-failed', member('a')))
    refs['b']!.send(leaderChange('jobs', 'b', 8, true))
    refs['c']!.send(leaderChange('jobs', 'b', 8, false))
    expect((await refs['b']!.ask({ type: 'assignment.view', group: 'jobs' })).leading).toBe('restart')
    // The takeover: published at once (c registers with b on hearing of it and gets it), not at the window's end.
    await clock.advance(0)
    expect(mine(changes['c']!)).toMatchObject({ version: 2, term: 8, leader: 'b' })
    await clock.advance(1_000)
    const after = { b: mine(changes['b']!)!, c: mine(changes['c']!)! }
    expect(after.b).toMatchObject({ version: 2, term: 8, leader: 'b', workers: 2 })
    expect(after.c).toMatchObject({ version: 2, term: 8, leader: 'b' })
    // Affinity: b and c keep what they had; a's partitions are split between them.
    expect(after.b.partitions).toEqual(expect.arrayContaining(before.b))
    expect(after.c.partitions).toEqual(expect.arrayContaining(before.c))
    expect([...after.b.partitions, ...after.c.partitions].sort((x, y) => x - y)).toEqual(Array.from({ length: P }, (_, i) => i))
    // The deposed leader's term-7 assignment arrives late at c: refused, counted, nothing emitted.
    const n = changes['c']!.length
    const { body } = decodeGossamerMessage(stale)
    refs['c']!.send({ type: 'gossamer.message', from: 'a', channel: 'assignment', body })
    const v = await refs['c']!.ask({ type: 'assignment.view', group: 'jobs' })
    expect(v.refused['stale-term']).toBe(1)
    expect(v.lastRefusal).toMatchObject({ code: 'ERR_ASSIGNMENT_STALE_TERM' })
    expect(changes['c']!.length).toBe(n)
    expect(v.mine).toMatchObject({ version: 2, term: 8 })
    // a's calculator is gone with its leadership once it hears of b.
    refs['a']!.send(leaderChange('jobs', 'b', 8, false))
    expect((await refs['a']!.ask({ type: 'assignment.view', group: 'jobs' })).leading).toBeNull()
  })

  it('a worker whose registration was lost tells the leader again, gets the one in force at once, then a planned rebalance after the window', async () => {
    const { clock, refs, changes, net } = await cluster(['a', 'b', 'c'])
    for (const n of ['a', 'b']) await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    refs['a']!.send(leaderChange('jobs', 'a', 1, true))
    refs['b']!.send(leaderChange('jobs', 'a', 1, false))
    await clock.advance(1_000)
    expect(mine(changes['a']!)).toMatchObject({ version: 1, workers: 2 })
    net.cut.add(linkKey('a', 'c')) // c's registration does not reach a yet
    await refs['c']!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    refs['c']!.send(leaderChange('jobs', 'a', 1, false))
    await clock.advance(0) // handled while the link is cut
    expect(net.sent.filter((x) => x.from === 'c').map((x) => x.to)).toEqual(['a'])
    expect(changes['c']).toEqual([])
    net.cut.clear()
    refs['c']!.send(leaderChange('jobs', 'a', 1, false)) // same leader: not announced again
    await clock.advance(ANNOUNCE_RETRY_MS - 1)
    expect(changes['c']).toEqual([])
    // No assignment of a's term came: c tells a again, and a answers with the one in force.
    await clock.advance(1)
    expect(mine(changes['c']!)).toMatchObject({ version: 1, partitions: [] })
    expect((await refs['c']!.getSnapshot()).context.stats.reannounced).toBe(1)
    await clock.advance(1_000)
    expect(mine(changes['c']!)).toMatchObject({ version: 2, workers: 3 })
    expect(mine(changes['c']!)!.partitions.length).toBeGreaterThan(0)
  })

  it('weight 0 drains a worker; partitions 0 and 10,000,000 are refused naming the field', async () => {
    const { clock, refs, changes } = await cluster(['a', 'b'])
    const zero = await refs['a']!.ask({ type: 'assignment.register', group: 'jobs', partitions: 0 })
    expect(zero).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('assignment.partitions') } })
    const huge = await refs['a']!.ask({ type: 'assignment.register', group: 'jobs', partitions: 10_000_000 })
    expect(huge).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('assignment.partitions') } })
    const neg = await refs['a']!.ask({ type: 'assignment.register', group: 'jobs', partitions: P, weight: -1 })
    expect(neg).toMatchObject({ ok: false, error: { code: 'ERR_ASSIGNMENT_INVALID_WORKER' } })
    await refs['a']!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    await refs['b']!.ask({ type: 'assignment.register', group: 'jobs', partitions: P, weight: 0 })
    refs['a']!.send(leaderChange('jobs', 'a', 3, true))
    refs['b']!.send(leaderChange('jobs', 'a', 3, false))
    await clock.advance(1_000)
    expect(mine(changes['a']!)!.partitions).toHaveLength(P)
    expect(mine(changes['b']!)).toMatchObject({ partitions: [], workers: 2 })
    // b stops draining: a planned rebalance gives it a share.
    await refs['b']!.ask({ type: 'assignment.register', group: 'jobs', partitions: P, weight: 1 })
    await clock.advance(1_000)
    expect(mine(changes['b']!)!.partitions.length).toBeGreaterThan(0)
  })

  it('future term, corrupt and oversized bytes, an unknown group, a mismatched registration: each a counted refusal, nothing emitted', async () => {
    const { refs, changes } = await cluster(['a', 'b'])
    await refs['b']!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    refs['b']!.send(leaderChange('jobs', 'a', 5, false))
    const a = (term: number, version = 1) => createAssignment({ version, term, partitions: P, workers: [{ id: 'b', weight: 1 }], owners: new Uint16Array(P) })
    const msg = (bytes: Uint8Array, group = 'jobs') => ({ type: 'gossamer.message' as const, from: 'a', channel: 'assignment' as const, body: encodeGroupMessage({ kind: 'assignment', group, sender: 'a', bytes }) })
    refs['b']!.send(msg(encodeAssignment(a(5 + 2_000_000))))
    const corrupt = encodeAssignment(a(5))
    corrupt[30] = corrupt[30]! ^ 0xff
    refs['b']!.send(msg(corrupt))
    refs['b']!.send(msg(encodeAssignment(a(5)), 'other'))
    refs['b']!.send({ type: 'gossamer.message', from: 'a', channel: 'assignment', body: Uint8Array.of(9, 9, 9) })
    refs['b']!.send({ type: 'gossamer.message', from: 'a', channel: 'assignment', body: new Uint8Array(5 * 1024 * 1024) })
    // A worker asking to join with another partition count is not counted by the leader.
    refs['b']!.send({ type: 'gossamer.message', from: 'a', channel: 'assignment', body: encodeGroupMessage({ kind: 'register', group: 'jobs', sender: 'a', registration: { partitions: 99, strategy: 'consistent-hash', weight: 1 } }) })
    const v = await refs['b']!.ask({ type: 'assignment.view', group: 'jobs' })
    expect(v.refused).toMatchObject({ 'future-term': 1, corrupt: 1 })
    expect(changes['b']).toEqual([])
    const stats = (await refs['b']!.getSnapshot()).context.stats
    expect(stats.refused).toMatchObject({ ERR_ASSIGNMENT_UNKNOWN_GROUP: 1, ERR_ASSIGNMENT_MESSAGE_CORRUPT: 1, ERR_ASSIGNMENT_OVERSIZED: 1, ERR_ASSIGNMENT_CONFIG_MISMATCH: 1 })
    // And a good one is still accepted after all that.
    refs['b']!.send(msg(encodeAssignment(a(5))))
    expect((await refs['b']!.ask({ type: 'assignment.view', group: 'jobs' })).mine).toMatchObject({ version: 1, term: 5, partitions: Array.from({ length: P }, (_, i) => i) })
  })

  it('sends nothing to members without the gossamer tag (a real serf agent), and a leave is a planned rebalance', async () => {
    const { clock, refs, net, changes } = await cluster(['a', 'b', 'c'])
    refs['a']!.send(memberEvent('member-update', member('c', false))) // c turns out to be a plain serf agent
    for (const n of ['a', 'b', 'c']) await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    refs['a']!.send(leaderChange('jobs', 'a', 2, true))
    for (const n of ['b', 'c']) refs[n]!.send(leaderChange('jobs', 'a', 2, false))
    await clock.advance(1_000)
    expect(net.sent.filter((s) => s.from === 'a').map((s) => s.to)).not.toContain('c')
    expect(mine(changes['b']!)!.workers).toBe(3)
    refs['a']!.send(memberEvent('member-leave', member('b')))
    await clock.advance(1_000)
    expect(mine(changes['a']!)).toMatchObject({ version: 2, workers: 2 })
  })
})
