/**
 * Coordination in createNode: three inline nodes on loopback with the nats backend (a real
 * `nats-server -js`, 1 s lease): each takes part in group `jobs` through `node.assignments`, one
 * leader runs the calculator and every node's stream yields its disjoint share of the partitions,
 * stamped with the leader's term; the nodes advertise the gossamer tag; after the leader leaves,
 * another leads with a higher term and re-assigns over the two left. Without `coordination` the
 * surface is a coded error, and bad options are refused naming the field.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createNode } from '../../src/node/create-node.ts'
import type { GossamerNode, MyAssignment, NodeOptions } from '../../src/node/api.ts'
import { NatsServer } from '../support/nats.ts'

const LEASE = 1_000
const P = 64
const TIMING = { coldStartWindowMs: 500, plannedScaleWindowMs: 500, restartWindowMs: 500, emergencyGraceMs: 200, minRebalanceIntervalMs: 0 }

const unhandled: unknown[] = []
const trap = (reason: unknown) => unhandled.push(reason)
let server: NatsServer | undefined
beforeAll(async () => {
  process.on('unhandledRejection', trap)
  server = await NatsServer.start()
  await server.createBucket('elections', LEASE)
}, 20_000)
afterAll(async () => {
  process.off('unhandledRejection', trap)
  await server?.stop()
  expect(unhandled).toEqual([])
})

const started: GossamerNode[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.shutdown()))
})

async function start(name: string, options: NodeOptions = {}): Promise<GossamerNode> {
  const node = await createNode({ name, bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent', ...options })
  started.push(node)
  return node
}

/** The next assignment from `it` that `ok` accepts, within `ms` of real time. */
async function until(it: AsyncIterator<MyAssignment>, ok: (a: MyAssignment) => boolean, ms = 30_000): Promise<MyAssignment> {
  const deadline = Date.now() + ms
  for (;;) {
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`no matching assignment within ${ms} ms`)
    let timer: NodeJS.Timeout | undefined
    const r = await Promise.race([it.next(), new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), left)))])
    clearTimeout(timer)
    if (r === 'timeout') throw new Error(`no matching assignment within ${ms} ms`)
    if (r.done === true) throw new Error('the assignments stream ended')
    if (ok(r.value)) return r.value
  }
}

describe('createNode coordination', () => {
  it('without coordination: election() and assignments() are ERR_COORDINATION_OFF; bad options name the field', async () => {
    const plain = await start('plain')
    expect(() => plain.election('jobs')).toThrow(expect.objectContaining({ code: 'ERR_COORDINATION_OFF' }))
    expect(() => plain.assignments('jobs', { partitions: 8 })).toThrow(expect.objectContaining({ code: 'ERR_COORDINATION_OFF' }))
    await expect(start('x', { coordination: { backend: 'nats' } })).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'coordination.nats' } })
    await expect(start('x', { coordination: { assignment: { coldStartWindowMs: 1, plannedScaleWindowMs: 2 } } })).rejects.toMatchObject({ details: { field: 'coordination.assignment.coldStartWindowMs' } })
    await expect(start('x', { tags: { gossamer: '1' } })).rejects.toMatchObject({ details: { field: 'tags.gossamer' } })
    await expect(start('x', { coordination: { assignment: { maxMovesFraction: 2 } } })).rejects.toMatchObject({ details: { field: 'coordination.assignment.maxMovesFraction' } })
    await expect(start('x', { coordination: { assignment: { maxMovesPerRound: 1.5 } } })).rejects.toMatchObject({ details: { field: 'coordination.assignment.maxMovesPerRound' } })
  })

  it('three nodes on nats: disjoint shares under one term; bad partitions and weights are refused; the leader leaves and another takes over with a higher term', async () => {
    // Every rebalance whole (no move cap): the first assignment over 3 workers is the settled one,
    // so the affinity check after the failover compares with what each follower really held (with
    // the default cap, 10% a round, the leader may still be moving partitions when it leaves).
    const coordination = { backend: 'nats' as const, nats: { servers: [server!.url.replace('nats://', '')], bucket: 'elections', leaseMs: LEASE }, assignment: { ...TIMING, maxMovesFraction: 1 } }
    const a = await start('a', { coordination })
    const b = await start('b', { coordination, join: [a.address] })
    const c = await start('c', { coordination, join: [a.address] })
    const nodes = [a, b, c]
    expect((await a.members()).map((m) => m.tags['gossamer'])).toEqual(['1', '1', '1'])
    expect(() => a.assignments('jobs', { partitions: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('assignment.partitions') }))
    expect(() => a.assignments('jobs', { partitions: 10_000_000 })).toThrow(expect.objectContaining({ details: { field: 'assignment.partitions' } }))
    expect(() => a.assignments('jobs', { partitions: P, weight: -1 })).toThrow(expect.objectContaining({ details: { field: 'assignments.weight' } }))
    const its = nodes.map((n) => n.assignments('jobs', { partitions: P })[Symbol.asyncIterator]())
    const first = await Promise.all(its.map((it) => until(it, (m) => m.workers === 3)))
    const term = first[0]!.term
    for (const m of first) expect(m).toMatchObject({ group: 'jobs', term, totalPartitions: P, workers: 3 })
    expect(first.flatMap((m) => m.partitions).sort((x, y) => x - y)).toEqual(Array.from({ length: P }, (_, i) => i))
    const view = await a.election('jobs').view()
    expect(view).toMatchObject({ group: 'jobs', term })
    const leader = nodes.find((n) => n.name === view.leader)!
    const rest = nodes.map((n, i) => ({ n, it: its[i]! })).filter((x) => x.n !== leader)
    const changes = rest[0]!.n.election('jobs').changes()[Symbol.asyncIterator]()
    await leader.leave()
    const after = await Promise.all(rest.map((x) => until(x.it, (m) => m.workers === 2)))
    for (const m of after) {
      expect(m.term).toBeGreaterThan(term)
      expect(m.leader).not.toBe(leader.name)
    }
    expect(after.flatMap((m) => m.partitions).sort((x, y) => x - y)).toEqual(Array.from({ length: P }, (_, i) => i))
    // The followers kept their own partitions (affinity across the failover).
    for (const [i, x] of rest.entries()) expect(after[i]!.partitions).toEqual(expect.arrayContaining(first[nodes.indexOf(x.n)]!.partitions))
    const seen: number[] = []
    for (let r = await changes.next(); !r.done; r = await changes.next()) {
      seen.push(r.value.term)
      if (r.value.term > term && r.value.leader !== null) break
    }
    expect(Math.max(...seen)).toBeGreaterThan(term)
    await changes.return?.()
  }, 60_000)

  it('node.election(group): campaign resolves with the term, changes stream it, resign hands it back; an aborted campaign is ERR_ELECTION_ABORTED', async () => {
    const coordination = { backend: 'nats' as const, nats: { servers: [server!.url], bucket: 'elections', leaseMs: LEASE } }
    const a = await start('solo-a', { coordination })
    const b = await start('solo-b', { coordination, join: [a.address] })
    const ea = a.election('locks')
    const changes = ea.changes()[Symbol.asyncIterator]()
    const term = await ea.campaign()
    expect(term).toBeGreaterThan(0)
    expect(await ea.view()).toEqual({ group: 'locks', leader: 'solo-a', term, isSelf: true })
    for (let r = await changes.next(); ; r = await changes.next()) {
      if (r.done === true) throw new Error('changes ended')
      if (r.value.term === term && r.value.isSelf) break
    }
    // b's campaign waits while a holds the lease; an abort ends it with a code.
    const ac = new AbortController()
    const pending = b.election('locks').campaign({ signal: ac.signal })
    ac.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ERR_ELECTION_ABORTED' })
    const eb = b.election('locks')
    const next = eb.campaign()
    await ea.resign()
    const term2 = await next
    expect(term2).toBeGreaterThan(term)
    expect(await eb.view()).toMatchObject({ leader: 'solo-b', term: term2, isSelf: true })
    await changes.return?.()
    expect(() => a.election('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_GROUP' }))
  }, 30_000)

  it("placement 'workers': the coordination actors in their own threads; two nodes get disjoint shares", async () => {
    const coordination = { backend: 'nats' as const, nats: { servers: [server!.url], bucket: 'elections', leaseMs: LEASE }, assignment: TIMING }
    const a = await start('wa', { coordination, placement: 'workers' })
    const b = await start('wb', { coordination, placement: 'workers', join: [a.address] })
    const its = [a, b].map((n) => n.assignments('threads', { partitions: 16 })[Symbol.asyncIterator]())
    const got = await Promise.all(its.map((it) => until(it, (m) => m.workers === 2)))
    expect(got.flatMap((m) => m.partitions).sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i))
    const stats = await a.stats()
    expect(Object.keys(stats.actors)).toEqual(expect.arrayContaining(['partition-detector', 'election', 'assignment']))
  }, 60_000)
})
