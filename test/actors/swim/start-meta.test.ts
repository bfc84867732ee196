/**
 * The local Meta (member-manager's tags) across start orders and restarts, on the runtime's inline
 * placement with one SimulatedClock and a MemoryNetwork. swim asks member-manager for the Meta at
 * each start (`member.local-meta`); member-manager tells swim each change (`member.local-meta-changed`).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { swim } from '../../../actors/swim/definition.ts'
import { swimIo } from '../../../actors/swim/io/swim-io.ts'
import type { SwimTransportOpener } from '../../../actors/swim/io/swim-io.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import type { MembersReply } from '../../../actors/member-manager/protocol.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { LAN_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import { crashingOpener } from './support/crashing-opener.ts'

const systems: ActorSystem[] = []
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown()
})

/** A join to this address makes the transport's dial throw: the swim machine crashes, the supervisor restarts it. */
const BOOM = '10.0.2.66:7946'

async function startSystem(clock: SimulatedClock, name: string, i: number) {
  const system = await ActorSystem.start({ node: name, clock, seed: i, logLevel: 'silent' })
  systems.push(system)
  const gq = await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'inline', input: { config: gossipQueueConfigFor({ ...LAN_SWIM_CONFIG, encrypted: false }) } })
  return { system, gq }
}

const spawnMemberManager = (system: ActorSystem, name: string, tags: Record<string, string>) =>
  system.spawn(memberManager, { id: 'member-manager', placement: 'inline', input: { config: { nodeName: name, tags } } })

const spawnSwim = (system: ActorSystem, name: string, i: number, open: SwimTransportOpener, join: string[] = []) =>
  system.spawn(swim, { id: 'swim', placement: 'inline', input: { name, addr: Uint8Array.of(10, 0, 2, i), port: 7946, preset: 'lan', join }, ...swimIo(open) })

describe('swim: the local Meta at start', () => {
  it('takes the tags when member-manager comes after swim, and keeps the current ones across a restart of swim', async () => {
    const clock = new SimulatedClock()
    const net = new MemoryNetwork({ clock, random: createSeededRandom(31), defaultLink: { latencyMs: 1 } })
    const tagsAt = async (mm: { ask(m: { type: 'member.members' }): Promise<MembersReply> }, name: string) =>
      (await mm.ask({ type: 'member.members' })).members.find((m) => m.name === name)?.tags

    // n1: swim first (its meta ask finds no member-manager: counted), member-manager after it.
    const n1 = await startSystem(clock, 'n1', 1)
    const swim1 = await spawnSwim(n1.system, 'n1', 1, crashingOpener(net, BOOM))
    await clock.advance(100)
    expect((await swim1.getSnapshot()).value).toBe('running')
    expect((await swim1.getSnapshot()).context.localMetaFailures).toBe(1)
    const mm1 = await spawnMemberManager(n1.system, 'n1', { role: 'one' })

    // n2 joins n1 and sees the tags member-manager told swim at its start.
    const n2 = await startSystem(clock, 'n2', 2)
    const mm2 = await spawnMemberManager(n2.system, 'n2', {})
    await spawnSwim(n2.system, 'n2', 2, (at) => net.createTransport(at), ['10.0.2.1:7946'])
    await clock.advance(5_000)
    expect(await tagsAt(mm2, 'n1')).toEqual({ role: 'one' })

    // The tags change, then swim crashes and restarts in place: it asks member-manager again.
    await mm1.ask({ type: 'member.set-tags', tags: { role: 'two' } })
    await clock.advance(3_000)
    expect(await tagsAt(mm2, 'n1')).toEqual({ role: 'two' })
    // The Meta swim last had is in its context (the fallback of a start whose ask fails), not in a closure.
    const metaTwo = (await swim1.getSnapshot()).context.knownMeta
    expect(metaTwo).toBeInstanceOf(Uint8Array)
    expect(new TextDecoder().decode(metaTwo)).toContain('two')
    const events: string[] = []
    n1.system.on((e) => void (e.type === 'actor.started' && e.actor === 'swim' && events.push(`restarts:${e.restarts}`)))
    swim1.send({ type: 'swim.join', addresses: [BOOM] })
    await clock.advance(2_000)
    expect(events).toContain('restarts:1')
    const ctx = (await swim1.getSnapshot()).context
    expect((await swim1.getSnapshot()).value).toBe('running')
    // The restart's ask was answered (still only the first start's failure).
    expect(ctx.localMetaFailures).toBe(1)
    expect(ctx.knownMeta).toEqual(metaTwo)

    // n3 joins only now: what n1 announces after its restart carries the current tags.
    const n3 = await startSystem(clock, 'n3', 3)
    const mm3 = await spawnMemberManager(n3.system, 'n3', {})
    await spawnSwim(n3.system, 'n3', 3, (at) => net.createTransport(at), ['10.0.2.1:7946'])
    await clock.advance(5_000)
    expect(await tagsAt(mm3, 'n1')).toEqual({ role: 'two' })
    expect(await tagsAt(mm2, 'n1')).toEqual({ role: 'two' })
  }, 30_000)
})
