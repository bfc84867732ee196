/**
 * The assignment actor with the `nats` backend's store port, on an in-memory store with the same
 * rules (store-port.ts), inline on the simulated clock: workers register through their keys, the
 * leader publishes to the group's key and every worker (the leader's own included) accepts it from
 * the watch; a new leader reads the store's assignment first and starts from it (restart); a
 * publication the store refuses because it holds a newer term ends the leadership (fenced); a
 * store that fails is counted and the publication retried.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, SimulatedClock } from '../../../src/runtime/index.ts'
import { assignment } from '../../../actors/assignment/definition.ts'
import { provideAssignmentStore } from '../../../actors/assignment/io/provide-store.ts'
import { assignmentKey, memoryAssignmentStore, workerKey } from '../../../actors/assignment/store-port.ts'
import type { AssignmentChangedMsg } from '../../../actors/assignment/protocol.ts'
import { decodeAssignment, encodeAssignment } from '../../../actors/assignment/assignment-codec.ts'
import type { RefOf } from '../../../src/node/compose.ts'
import { fakeElection, fakeNet, leaderChange, member, memberEvent } from './actor-support.ts'

const TIMING = { coldStartWindowMs: 1_000, plannedScaleWindowMs: 1_000, restartWindowMs: 1_000, emergencyGraceMs: 500, minRebalanceIntervalMs: 0, maxMovesFraction: 1, publishTimeoutMs: 2_000 }
const P = 16

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

async function cluster(names: string[]) {
  const clock = new SimulatedClock()
  system = await ActorSystem.start({ logLevel: 'silent', clock })
  const store = memoryAssignmentStore()
  const net = fakeNet()
  const electionDef = fakeElection(net)
  const refs: Record<string, unknown> = {}
  const changes: Record<string, AssignmentChangedMsg[]> = {}
  for (const n of names) {
    await system.spawn(electionDef, { id: `election-${n}`, placement: 'inline', input: { node: n } })
    const ref = await system.spawn(assignment, {
      id: `assignment-${n}`,
      placement: 'inline',
      input: { self: n, backend: 'nats', calculator: TIMING, peers: { election: `election-${n}` } },
      provide: provideAssignmentStore(async () => store.port()),
    })
    refs[n] = ref
    changes[n] = []
    ref.on('assignment.changed', (e) => changes[n]!.push(e as AssignmentChangedMsg))
    ref.send(memberEvent('member-join', ...names.filter((m) => m !== n).map((m) => member(m))))
  }
  await clock.advance(0)
  return { clock, refs: refs as unknown as Record<string, RefOf<typeof assignment>>, changes, store }
}

describe('assignment actor (inline, simulated clock, nats backend over a memory store)', () => {
  it('a worker that the leader did not count writes its key again until an assignment of the term counts it', async () => {
    const { clock, refs, changes } = await cluster(['a', 'b', 'c'])
    // a takes c for failed when c's key arrives: the registration is kept, not counted.
    refs['a']!.send(memberEvent('member-failed', member('c')))
    await clock.advance(0)
    for (const n of ['a', 'b', 'c']) await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    for (const n of ['a', 'b', 'c']) refs[n]!.send(leaderChange('jobs', 'a', 7, n === 'a'))
    await clock.advance(1_000)
    expect(changes['c']!.at(-1)?.assignment).toMatchObject({ term: 7, workers: 2, partitions: [] })
    // c is alive again at a, by an update that is no join: nothing counts it but its key again.
    refs['a']!.send(memberEvent('member-update', member('c')))
    await clock.advance(5_000 + 1_000)
    expect(changes['c']!.at(-1)?.assignment).toMatchObject({ term: 7, workers: 3 })
    expect(changes['c']!.at(-1)!.assignment.partitions.length).toBeGreaterThan(0)
    expect((await refs['c']!.getSnapshot()).context.stats.reannounced).toBeGreaterThan(0)
  })

  it('publishes through the store; every worker accepts from the watch; a new leader starts from the stored assignment', async () => {
    const { clock, refs, changes, store } = await cluster(['a', 'b', 'c'])
    for (const n of ['a', 'b', 'c']) expect(await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })).toMatchObject({ ok: true })
    await clock.advance(0)
    for (const n of ['a', 'b', 'c']) refs[n]!.send(leaderChange('jobs', 'a', 40, n === 'a'))
    await clock.advance(0)
    expect((await refs['a']!.ask({ type: 'assignment.view', group: 'jobs' })).leading).toBe('cold-start')
    await clock.advance(1_000)
    const stored = decodeAssignment(store.keys.get(assignmentKey('jobs'))!.bytes)
    expect(stored).toMatchObject({ version: 1, term: 40, partitions: P })
    expect(stored.workers.map((w) => w.id)).toEqual(['a', 'b', 'c'])
    for (const n of ['a', 'b', 'c']) expect(changes[n]!.at(-1)?.assignment).toMatchObject({ version: 1, term: 40, leader: 'a' })
    expect((await refs['a']!.ask({ type: 'assignment.view', group: 'jobs' })).calculator).toMatchObject({ published: 1, acked: 1 })
    // a dies; c leads term 41: it reads the stored assignment and starts from it.
    for (const n of ['b', 'c']) refs[n]!.send(memberEvent('member-failed', member('a')))
    for (const n of ['b', 'c']) refs[n]!.send(leaderChange('jobs', 'c', 41, n === 'c'))
    await clock.advance(0)
    expect((await refs['c']!.ask({ type: 'assignment.view', group: 'jobs' })).leading).toBe('restart')
    await clock.advance(1_000)
    expect(decodeAssignment(store.keys.get(assignmentKey('jobs'))!.bytes)).toMatchObject({ version: 2, term: 41 })
    const b = changes['b']!.at(-1)!.assignment
    const c = changes['c']!.at(-1)!.assignment
    expect([...b.partitions, ...c.partitions].sort((x, y) => x - y)).toEqual(Array.from({ length: P }, (_, i) => i))
  })

  it('a new leader publishes its takeover at once (no window wait): the dead leader\'s partitions move, the rest stay, workers accept the new term', async () => {
    const { clock, refs, changes, store } = await cluster(['a', 'b', 'c'])
    for (const n of ['a', 'b', 'c']) await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    await clock.advance(0)
    for (const n of ['a', 'b', 'c']) refs[n]!.send(leaderChange('jobs', 'a', 40, n === 'a'))
    await clock.advance(1_000)
    const first = decodeAssignment(store.keys.get(assignmentKey('jobs'))!.bytes)
    expect(first).toMatchObject({ version: 1, term: 40 })
    for (const n of ['b', 'c']) refs[n]!.send(memberEvent('member-failed', member('a')))
    for (const n of ['b', 'c']) refs[n]!.send(leaderChange('jobs', 'c', 41, n === 'c'))
    // Only the store's read and write: no simulated time passes (the restart window is 1 s).
    await clock.advance(0)
    const taken = decodeAssignment(store.keys.get(assignmentKey('jobs'))!.bytes)
    expect(taken).toMatchObject({ version: 2, term: 41 })
    expect(taken.workers.map((w) => w.id)).toEqual(['b', 'c'])
    const before = (id: string) => first.owners.reduce<number[]>((out, o, p) => (first.workers[o]!.id === id ? [...out, p] : out), [])
    const b = changes['b']!.at(-1)!.assignment
    const c = changes['c']!.at(-1)!.assignment
    expect([b.term, c.term]).toEqual([41, 41])
    // b and c kept what they had; a's partitions are theirs now.
    for (const [id, mine] of [['b', b.partitions], ['c', c.partitions]] as const) for (const p of before(id)) expect(mine).toContain(p)
    expect([...b.partitions, ...c.partitions].sort((x, y) => x - y)).toEqual(Array.from({ length: P }, (_, i) => i))
    expect((await refs['c']!.ask({ type: 'assignment.view', group: 'jobs' })).calculator).toMatchObject({ takeovers: 1 })
  })

  it('a worker that its leader\'s assignment stops counting (the leader lost its registration) writes its key again', async () => {
    const { clock, refs, changes } = await cluster(['a', 'b'])
    for (const n of ['a', 'b']) await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    for (const n of ['a', 'b']) refs[n]!.send(leaderChange('jobs', 'a', 3, n === 'a'))
    await clock.advance(1_000)
    expect(changes['b']!.at(-1)?.assignment).toMatchObject({ version: 1, workers: 2 })
    await clock.advance(10_000) // b's announce timer from its registration fired: it was counted
    // The leader loses b's registration (as one restored from a snapshot seconds old would).
    refs['a']!.send({ type: 'assignment.store-entry', kind: 'worker', group: 'jobs', node: 'b', bytes: null })
    await clock.advance(1_000)
    expect(changes['b']!.at(-1)?.assignment).toMatchObject({ version: 2, workers: 1, partitions: [] })
    await clock.advance(5_000 + 1_000)
    expect(changes['b']!.at(-1)?.assignment).toMatchObject({ version: 3, workers: 2 })
    expect(changes['b']!.at(-1)!.assignment.partitions.length).toBeGreaterThan(0)
  })

  it('bounds the worker keys: the leader deletes the key of a worker that left or was reaped; a node deletes its own at shutdown', async () => {
    const { clock, refs, store } = await cluster(['a', 'b', 'c'])
    for (const n of ['a', 'b', 'c']) await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    for (const n of ['a', 'b', 'c']) refs[n]!.send(leaderChange('jobs', 'a', 3, n === 'a'))
    await clock.advance(1_000)
    const workerKeys = () => [...store.keys.keys()].filter((k) => k.startsWith('w.')).sort()
    expect(workerKeys()).toEqual(['a', 'b', 'c'].map((n) => workerKey('jobs', n)).sort())
    // b leaves gracefully, c fails and is reaped later: every node hears it; only the leader deletes.
    for (const n of ['a', 'c']) refs[n]!.send(memberEvent('member-leave', member('b')))
    refs['a']!.send(memberEvent('member-failed', member('c')))
    await clock.advance(1_000)
    expect(workerKeys()).toEqual([workerKey('jobs', 'a'), workerKey('jobs', 'c')].sort())
    refs['a']!.send(memberEvent('member-reap', member('c')))
    await clock.advance(1_000)
    expect(workerKeys()).toEqual([workerKey('jobs', 'a')])
    expect((await refs['a']!.getSnapshot()).context.stats.keysDeleted).toBe(2)
    // The node stops: its own key goes with it (the assignment key stays: it outlives every leader).
    const stopping = system!.shutdown({ drainTimeoutMs: 5_000 })
    await clock.advance(0)
    await stopping
    system = undefined
    expect(workerKeys()).toEqual([])
    expect(store.keys.has(assignmentKey('jobs'))).toBe(true)
  })

  it('a store holding a newer term fences the leader; a failing store is counted and retried', async () => {
    const { clock, refs, store } = await cluster(['a', 'b'])
    for (const n of ['a', 'b']) await refs[n]!.ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    store.fail({ code: 'ERR_ASSIGNMENT_STORE', message: 'nats down' })
    for (const n of ['a', 'b']) refs[n]!.send(leaderChange('jobs', 'a', 10, n === 'a'))
    await clock.advance(1_000)
    let snap = (await refs['a']!.getSnapshot()).context.stats
    expect(snap.storeErrors).toBeGreaterThanOrEqual(2) // the read at leadership start, the publication
    expect(snap.lastStoreError).toMatchObject({ code: 'ERR_ASSIGNMENT_STORE' })
    store.fail(undefined)
    await clock.advance(2_000) // publishTimeoutMs: sent again
    expect(decodeAssignment(store.keys.get(assignmentKey('jobs'))!.bytes)).toMatchObject({ version: 1, term: 10 })
    // Another leader (term 12) wrote meanwhile: a's next publication is refused and it stops leading.
    const newer = decodeAssignment(store.keys.get(assignmentKey('jobs'))!.bytes)
    store.keys.set(assignmentKey('jobs'), { revision: 999, bytes: encodeAssignment({ ...newer, term: 12, version: 5 }) })
    refs['a']!.send(memberEvent('member-leave', member('b')))
    await clock.advance(1_000)
    snap = (await refs['a']!.getSnapshot()).context.stats
    expect(snap.fenced).toBe(1)
    expect((await refs['a']!.ask({ type: 'assignment.view', group: 'jobs' })).leading).toBeNull()
  })
})
