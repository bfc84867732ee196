/**
 * Three nodes on the actor runtime's inline placement: per node an ActorSystem with the swim,
 * gossip-queue and member-manager actors, all on one SimulatedClock and one in-memory network.
 * swim's packet fill and push/pull user state go through the runtime's actor-to-actor ask (env.ask);
 * its transport is a MemoryNetwork endpoint, handed in through the spawn's implementations.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { MemoryNetwork } from '../../src/transport/memory-network.ts'
import { createSeededRandom } from '../../src/types/random.ts'
import { swim } from '../../actors/swim/definition.ts'
import { swimIo } from '../../actors/swim/io/swim-io.ts'
import { gossipQueue } from '../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../actors/member-manager/definition.ts'
import type { MembersReply } from '../../actors/member-manager/protocol.ts'
import { gossipQueueConfigFor } from '../../actors/gossip-queue/config.ts'
import { LAN_SWIM_CONFIG } from '../../actors/swim/config.ts'

const systems: ActorSystem[] = []
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown()
})

async function startNode(clock: SimulatedClock, net: MemoryNetwork, name: string, i: number, join: string[]) {
  const system = await ActorSystem.start({ node: name, clock, seed: i, logLevel: 'silent' })
  systems.push(system)
  const address = `10.0.1.${i}:7946`
  const gq = await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'inline', input: { config: gossipQueueConfigFor({ ...LAN_SWIM_CONFIG, encrypted: false }) } })
  const mm = await system.spawn(memberManager, { id: 'member-manager', placement: 'inline', input: { config: { nodeName: name } } })
  const ref = await system.spawn(swim, {
    id: 'swim',
    placement: 'inline',
    input: { name, addr: Uint8Array.of(10, 0, 1, i), port: 7946, preset: 'lan', join },
    dependsOn: ['gossip-queue', 'member-manager'],
    ...swimIo((at) => net.createTransport(at)),
  })
  return { system, swim: ref, gq, mm, address }
}

describe('swim on the runtime (inline placement)', () => {
  it('three nodes join and every member-manager sees three alive members', async () => {
    const clock = new SimulatedClock()
    const net = new MemoryNetwork({ clock, random: createSeededRandom(9), defaultLink: { latencyMs: 1 } })
    const a = await startNode(clock, net, 'a', 1, [])
    const b = await startNode(clock, net, 'b', 2, [a.address])
    const c = await startNode(clock, net, 'c', 3, [a.address])
    await clock.advance(8_000)
    for (const n of [a, b, c]) {
      const r = (await n.mm.ask({ type: 'member.members' })) as MembersReply
      expect(r.members.map((m) => `${m.name}:${m.status}`).sort()).toEqual(['a:alive', 'b:alive', 'c:alive'])
      const ctx = (await n.swim.getSnapshot()).context
      expect(ctx.numNodes).toBe(3)
      expect(ctx.address).toBe(n.address)
      // swim filled its packets from gossip-queue's leases (no ask on the packet path), and every
      // push/pull state ask was answered in time.
      expect(ctx.lease.counters.leases).toBeGreaterThan(0)
      expect(ctx.lease.counters.starved).toBe(0)
      expect(ctx.localStateFailures).toBe(0)
      // The reports of what swim sent reached gossip-queue: it counted transmits of swim's alives.
      expect((await n.gq.ask({ type: 'gossip.stats' })).queues.memberlist.transmits).toBeGreaterThan(0)
    }
    // Crash c: the others' member-managers report it failed (Serf's view of memberlist's dead).
    net.setDown(c.address)
    await c.system.shutdown()
    systems.splice(systems.indexOf(c.system), 1)
    await clock.advance(30_000)
    const r = (await a.mm.ask({ type: 'member.members' })) as MembersReply
    expect(r.members.find((m) => m.name === 'c')?.status).toBe('failed')
  }, 60_000)
})
