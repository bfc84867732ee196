/**
 * Name conflicts with real `serf agent`s (Debian serf 0.9.4) on loopback: a Gossamer node
 * (swim, gossip-queue, member-manager and serf-events in worker threads, local profile) and an
 * agent claim the same name `dup`; an agent `witness` knows one of them first. Serf's rule: the
 * claimant the other members place at its address stays, the other (the minority) shuts down.
 * - the agent joined first: our node learns the conflict by the join's push/pull, holds the
 *   `_serf_conflict` vote, the witness places `dup` at the agent, and we emit
 *   `serf.name-conflict-lost` (the node facade shuts the node down on it);
 * - our node joined first: the agent learns it, the witness places `dup` at us, and the agent
 *   logs `minority in name conflict resolution, quitting` and stops; we keep running.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { LOCAL_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { swim as swimActor } from '../../../actors/swim/definition.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { serfEvents } from '../../../actors/serf-events/definition.ts'
import type { SerfEventsEmitted } from '../../../actors/serf-events/protocol.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function gossamerNode(name: string, join: string[]) {
  const system = await ActorSystem.start({ node: name, logLevel: 'silent' })
  cleanups.push(async () => void (await system.shutdown({ drainTimeoutMs: 2_000 })))
  await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'worker', input: { config: gossipQueueConfigFor({ ...LOCAL_SWIM_CONFIG, encrypted: false }) } })
  const mm = await system.spawn(memberManager, { id: 'member-manager', placement: 'worker', input: { config: { nodeName: name }, peers: { serfEvents: 'serf-events' } }, dependsOn: ['gossip-queue'] })
  const se = await system.spawn(serfEvents, { id: 'serf-events', placement: 'worker', input: { nodeName: name }, dependsOn: ['gossip-queue', 'member-manager'] })
  const got: SerfEventsEmitted[] = []
  se.on('*', (e) => void got.push(e))
  await system.sync()
  await system.spawn(swimActor, { id: 'swim', placement: 'worker', input: { name, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local', join }, dependsOn: ['gossip-queue', 'member-manager', 'serf-events'] })
  const counters = async () => (await se.ask({ type: 'serf.stats' })).counters['actor'] as Record<string, number>
  return { system, mm, se, got, counters }
}

describe('name conflicts with real serf agents (interop)', () => {
  it('the agent joined first: we learn it by push/pull, lose the vote and emit serf.name-conflict-lost', async () => {
    const witness = await SerfAgent.start({ name: 'witness-a', profile: 'local' })
    cleanups.push(() => stopAgents([witness]))
    const dup = await SerfAgent.start({ name: 'dup-a', profile: 'local', join: [witness.gossipAddr] })
    cleanups.push(() => stopAgents([dup]))
    await witness.waitForMember('dup-a', (m) => m.status === 'alive', 15_000)
    const ts = await gossamerNode('dup-a', [witness.gossipAddr])
    const lost = await waitUntil('our node loses the vote', () => ts.got.find((e) => e.type === 'serf.name-conflict-lost'), 20_000)
    expect(lost).toMatchObject({ name: 'dup-a', responses: 1, matching: 0, quorum: 1, log: 'minority in name conflict resolution, quitting [0 / 1]' })
    expect(await ts.counters()).toMatchObject({ conflictVotes: 1, conflictMinority: 1 })
    expect((await ts.mm.ask({ type: 'member.stats' })).nameConflicts.local).toBeGreaterThanOrEqual(1)
    // The agent, which the witness places at its own address, keeps running.
    expect(dup.running).toBe(true)
  }, 60_000)

  it('our node joined first: the agent is the minority and quits; we stay', async () => {
    const witness = await SerfAgent.start({ name: 'witness-b', profile: 'local' })
    cleanups.push(() => stopAgents([witness]))
    const ts = await gossamerNode('dup-b', [witness.gossipAddr])
    await witness.waitForMember('dup-b', (m) => m.status === 'alive', 15_000)
    const dup = await SerfAgent.start({ name: 'dup-b', profile: 'local', join: [witness.gossipAddr] })
    cleanups.push(() => stopAgents([dup]))
    await waitUntil('the agent quits', () => (/minority in name conflict resolution, quitting/.test(dup.log()) ? true : undefined), 20_000)
    expect(ts.got.some((e) => e.type === 'serf.name-conflict-lost')).toBe(false)
    // We are still the witness's dup-b, alive, a second later.
    await new Promise((r) => setTimeout(r, 1_000))
    expect((await witness.members()).find((m) => m.name === 'dup-b')?.status).toBe('alive')
    expect((await ts.counters())['conflictMinority']).toBe(0)
  }, 60_000)
})
