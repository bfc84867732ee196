/**
 * The nats backend's faults through createNode (issue 14's Proof): three node PROCESSES on
 * loopback (test/support/coordination-node.ts: each a real createNode with coordination backend
 * nats, one swim cluster, each calling node.assignments(group) and node.election(group).campaign())
 * against a real `nats-server -js` with a 1 s lease:
 * - kill -9 of the leader's process: a survivor receives an assignment of a newer term from a new
 *   leader; once swim finds the dead node, the two survivors share every partition; the restarted
 *   process (same name and port) is a member and a worker again;
 * - a clean resign: another node leads and its first assignment reaches the others; the resigned
 *   node stays a worker;
 * - a leader cut off from NATS (the server stopped) steps down at its own lease end, and nobody
 *   leads while NATS is down; after the server restarts (same port and store) one node leads with a
 *   newer term and every node gets its share of it.
 * Across every test, no term ever has two nodes that said they led it. The processes are shared by
 * the tests (starting three takes a while); each test begins from a settled cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NatsServer } from '../support/nats.ts'
import { NodeProcess, firstNewerAssignment, settledLeader, untilLines, type NodeProcessSpec } from '../support/coordination-node.ts'

const LEASE = 1_000
const P = 64
const GROUP = 'jobs'
const BUCKET = 'elections'
/** Short calculator windows so a rejoin is re-assigned quickly (the defaults are parti's 10-30 s). */
const TIMING = { coldStartWindowMs: 500, plannedScaleWindowMs: 500, restartWindowMs: 500, emergencyGraceMs: 200, minRebalanceIntervalMs: 0 }
/** Generous bounds for a loaded 2-core machine; the waits end as soon as their condition holds. */
const SETTLE_MS = 60_000
const FAILOVER_MS = 20_000

let server: NatsServer
const nodes: NodeProcess[] = []

beforeAll(async () => {
  server = await NatsServer.start()
  await server.createBucket(BUCKET, LEASE)
  const spec = (name: string, join: string[]): Omit<NodeProcessSpec, 'port'> => ({ name, join, servers: [server.url], bucket: BUCKET, leaseMs: LEASE, group: GROUP, partitions: P, campaign: true, assignment: TIMING })
  const a = await NodeProcess.start(spec('a', []))
  nodes.push(a)
  nodes.push(...(await Promise.all([NodeProcess.start(spec('b', [a.address])), NodeProcess.start(spec('c', [a.address]))])))
}, 120_000)

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
  await server?.stop()
  // Safety across the whole file: one node at most ever said it led a given term.
  const leadersOf = new Map<number, Set<string>>()
  for (const n of nodes) for (const l of n.of('election', 0)) if (l.isSelf === true) leadersOf.set(l.term!, (leadersOf.get(l.term!) ?? new Set()).add(n.name))
  for (const [term, who] of leadersOf) expect({ term, leaders: [...who] }).toEqual({ term, leaders: [expect.any(String)] })
}, 60_000)

/** One leader agreed by all three, each holding an assignment of its term with three workers. */
async function settled(): Promise<{ leader: NodeProcess; term: number }> {
  await untilLines(() => settledLeader(nodes, 3) !== undefined, SETTLE_MS, 'three nodes settled on one leader, each a worker of its term')
  return settledLeader(nodes, 3)!
}

const all = Array.from({ length: P }, (_, i) => i)

describe('coordination over nats, node processes', () => {
  it('kill -9 of the leader process: a new leader with a newer term publishes to the survivors; the restarted process is a worker again', async () => {
    const { leader, term } = await settled()
    const survivors = nodes.filter((n) => n !== leader)
    const killedAt = Date.now()
    await leader.kill()
    await untilLines(() => firstNewerAssignment(nodes, term, killedAt, leader) !== undefined, FAILOVER_MS, 'an assignment of a newer term at a survivor')
    const first = firstNewerAssignment(nodes, term, killedAt, leader)!
    expect(first.line.leader).not.toBe(leader.name)
    expect(survivors.map((n) => n.name)).toContain(first.line.leader)
    // Once swim finds the dead node, the survivors hold every partition between them under one term.
    const shared = () => {
      const got = survivors.map((n) => n.lastAssignment())
      return got.every((a) => a !== undefined && a.term! > term && a.workers === 2 && a.term === got[0]!.term) && got.flatMap((a) => a!.partitions!).sort((x, y) => x - y).join() === all.join()
    }
    await untilLines(shared, SETTLE_MS, 'the survivors sharing every partition')
    await leader.restart()
    const again = await settled()
    expect(again.term).toBeGreaterThan(term)
    expect(leader.lastAssignment()!.partitions!.length).toBeGreaterThan(0)
  }, 180_000)

  it('a clean resign: another node leads, its first assignment reaches the others, the resigned node stays a worker', async () => {
    const { leader, term } = await settled()
    const mark = leader.lines.length
    leader.send('resign')
    await untilLines(() => leader.of('resigning', mark).length > 0, 10_000, 'the resign sent')
    const resignAt = leader.of('resigning', mark)[0]!.wall
    await untilLines(() => firstNewerAssignment(nodes, term, resignAt, leader) !== undefined, FAILOVER_MS, 'an assignment of a newer term after the resign')
    const first = firstNewerAssignment(nodes, term, resignAt, leader)!
    expect(first.line.leader).not.toBe(leader.name)
    expect(leader.of('error', mark)).toEqual([])
    // The resigned node stands again; it still gets partitions under the new leader.
    leader.send('campaign')
    const after = await settled()
    expect(after.leader).not.toBe(leader)
    expect(after.term).toBeGreaterThan(term)
  }, 120_000)

  it('NATS stopped: the leader steps down at its own lease end and nobody leads; after a restart one node leads with a newer term and every node gets its share', async () => {
    const { leader, term } = await settled()
    const mark = nodes.map((n) => n.lines.length)
    const stoppedAt = Date.now()
    await server.kill()
    await untilLines(() => leader.of('election', mark[nodes.indexOf(leader)]).some((l) => l.isSelf === false), 3 * LEASE + 5_000, 'the cut-off leader stepping down')
    const down = leader.of('election', mark[nodes.indexOf(leader)]).find((l) => l.isSelf === false)!
    expect(down.reason).toBe('lease-expired')
    // It gave up on its own timer, no later than its lease plus one renewal round and a loaded
    // machine's scheduling; and the leadership it held was gone before anyone else could be granted it.
    expect(down.wall - stoppedAt).toBeLessThanOrEqual(LEASE + 2_000)
    // While NATS is down, nobody says it leads (the processes are all still running).
    expect(nodes.every((n) => n.running)).toBe(true)
    for (const [i, n] of nodes.entries()) expect(n.of('election', mark[i]).filter((l) => l.isSelf === true)).toEqual([])
    await server.restart()
    const after = await settled()
    expect(after.term).toBeGreaterThan(term)
    expect(nodes.every((n) => n.running)).toBe(true)
  }, 180_000)
})
