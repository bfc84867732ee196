/**
 * The membership backend end to end over the real swim: three nodes, each an ActorSystem (inline,
 * one SimulatedClock) with gossip-queue, member-manager (tagged gossamer=1; its `member.event`s go
 * to the election as its events peer), swim on the in-memory network (real encoded, CRC'd packets;
 * `peers.gossamer.election` = the election) and the election actor (`backend: 'membership'`,
 * `peers.swim`). This is the wiring a node uses. The three campaign: one leads and all agree; a
 * resign hands over; the leader's host goes down (the network drops everything to and from it): a
 * follower leads with a higher term after the lease, and never while the old one still says it leads.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { GOSSAMER_TAG } from '../../../src/wire/gossamer-message.ts'
import { swim } from '../../../actors/swim/definition.ts'
import { swimIo } from '../../../src/index.ts' // the package's inline swim transport (its io/ stays swim's)
import { createSwimConfig } from '../../../actors/swim/config.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { election } from '../../../actors/election/definition.ts'
import type { ElectionChangedMsg, ElectionResultReply } from '../../../actors/election/protocol.ts'

const LEASE = { leaseMs: 2_000, campaignTimeoutMs: 500, campaignJitterMs: 300, stepDownMarginMs: 20 }
const G = 'jobs'
const systems: ActorSystem[] = []
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown({ drainTimeoutMs: 1_000 })
})

async function node(name: string, i: number, clock: SimulatedClock, net: MemoryNetwork, join: string[]) {
  const system = await ActorSystem.start({ node: name, clock, seed: i, logLevel: 'silent', compute: false })
  systems.push(system)
  const inline = { placement: 'inline' } as const
  const shape = createSwimConfig({}, 'local')
  await system.spawn(gossipQueue, { id: 'gossip-queue', ...inline, input: { config: gossipQueueConfigFor({ ...shape, encrypted: false }) } })
  const el = await system.spawn(election, { id: 'election', ...inline, input: { self: name, backend: 'membership', membership: LEASE, peers: { swim: 'swim' } } })
  await system.spawn(memberManager, { id: 'member-manager', ...inline, input: { config: { nodeName: name, tags: { [GOSSAMER_TAG]: '1' } }, peers: { events: 'election' } }, dependsOn: ['gossip-queue'] })
  const sw = await system.spawn(swim, {
    id: 'swim',
    ...inline,
    input: { name, addr: Uint8Array.of(10, 0, 0, i), port: 7946, preset: 'local', join, peers: { gossamer: { election: 'election' } } },
    dependsOn: ['gossip-queue', 'member-manager'],
    ...swimIo((at) => net.createTransport(at)),
  })
  return { name, address: `10.0.0.${i}:7946`, el, sw }
}

describe('membership election over the real swim (in-memory network, simulated clock)', () => {
  it('elects one leader all agree on, hands over on resign, fails over when the leader host goes down', async () => {
    const clock = new SimulatedClock()
    const net = new MemoryNetwork({ clock, random: createSeededRandom(5).fork('net'), defaultLink: { latencyMs: 1 } })
    const a = await node('a', 1, clock, net, [])
    const b = await node('b', 2, clock, net, ['10.0.0.1:7946'])
    const c = await node('c', 3, clock, net, ['10.0.0.1:7946'])
    const nodes = [a, b, c]
    const holding = new Set<string>()
    const overlaps: string[] = []
    for (const n of nodes) {
      n.el.on('election.changed', (e) => {
        const ch = (e as ElectionChangedMsg).change
        if (ch.isSelf) {
          if (holding.size > 0) overlaps.push(`t=${clock.now()} ${n.name} and ${[...holding].join(',')}`)
          holding.add(n.name)
        } else holding.delete(n.name)
      })
    }
    await clock.advance(3_000)
    const wins = nodes.map((n) => n.el.ask({ type: 'election.campaign', group: G }, { timeoutMs: 600_000 }).then((r: ElectionResultReply) => ({ n, r })))
    let winner: { n: (typeof nodes)[number]; r: ElectionResultReply } | undefined
    void Promise.race(wins).then((w) => (winner = w))
    for (let t = 0; t < 30_000 && winner === undefined; t += 100) await clock.advance(100)
    expect(winner?.r).toMatchObject({ ok: true, op: 'campaign' })
    const leader = winner!.n
    const term1 = winner!.r.term!
    await clock.advance(2_000) // a renewal: the followers learn it
    const views = await Promise.all(nodes.map((n) => n.el.ask({ type: 'election.view', group: G })))
    expect(views.map((v) => [v.view.leader, v.view.term])).toEqual(nodes.map(() => [leader.name, term1]))
    // The messages went through swim as Gossamer messages, nothing to member-manager.
    const swimCtx = (await leader.sw.getSnapshot()).context
    expect(swimCtx.gossamerSent).toBeGreaterThan(0)
    expect(swimCtx.gossamerUnknownMember).toBe(0)

    // Resign: another takes over with a higher term, well within a lease.
    const resignAt = clock.now()
    const resigned = leader.el.ask({ type: 'election.resign', group: G })
    await clock.advance(10)
    expect(await resigned).toMatchObject({ ok: true })
    const rest = nodes.filter((n) => n !== leader)
    let second: string | undefined
    for (let t = 0; t < 10_000 && second === undefined; t += 20) {
      await clock.advance(20)
      second = [...holding][0]
    }
    expect(second).toBeDefined()
    expect(clock.now() - resignAt).toBeLessThan(LEASE.leaseMs)
    const next = rest.find((n) => n.name === second)!
    const term2 = (await next.el.ask({ type: 'election.view', group: G })).view.term
    expect(term2).toBeGreaterThan(term1)

    // The new leader's host goes down: the last one standing (with the resigned one, who stands
    // again) elects a leader with a higher term once the lease has run out.
    void leader.el.ask({ type: 'election.campaign', group: G }, { timeoutMs: 600_000 }).catch(() => undefined)
    await clock.advance(3_000)
    net.setDown(next.address)
    const downAt = clock.now()
    let third: string | undefined
    for (let t = 0; t < 30_000 && third === undefined; t += 50) {
      await clock.advance(50)
      third = [...holding].find((h) => h !== next.name)
    }
    expect(third).toBeDefined()
    expect(clock.now() - downAt).toBeGreaterThan(LEASE.leaseMs / 2)
    const term3 = (await nodes.find((n) => n.name === third)!.el.ask({ type: 'election.view', group: G })).view.term
    expect(term3).toBeGreaterThan(term2)
    expect(holding.has(next.name)).toBe(false) // it stepped down on its own timer
    expect(overlaps).toEqual([])
  }, 60_000)
})
