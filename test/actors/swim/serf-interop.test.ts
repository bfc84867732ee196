/**
 * Interop with a real `serf agent` (Debian serf 0.9.4) on loopback: our swim (with Serf's member
 * layer from member-manager, real UDP/TCP, real timers) joins the agent, both sides see each other
 * alive with tags, and a graceful leave shows as `left` on the agent. The first two cases drive the
 * logic directly; the last runs swim, gossip-queue and member-manager as actors in their worker
 * threads, as a node does.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createSwimConfig, LOCAL_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'
import { startNetNode } from './support/net-node.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { swim as swimActor } from '../../../actors/swim/definition.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Our swim with Serf's member layer (tags), real UDP/TCP and real timers, local config. */
async function gossamerNode(name: string, tags: Record<string, string>) {
  const node = await startNetNode({ name, config: createSwimConfig({}, 'local'), seed: 7, serf: { tags } })
  cleanups.push(node.stop)
  return { ...node, serf: node.serf! }
}

describe('swim with a real serf agent (interop)', () => {
  it('joins an agent, both see each other alive with tags, and a leave shows as left', async () => {
    const agent = await SerfAgent.start({ name: 'agent-a', profile: 'local', tags: { role: 'go' } })
    cleanups.push(() => stopAgents([agent]))
    const ts = await gossamerNode('ts-1', { role: 'ts' })
    ts.swim.join([agent.gossipAddr])

    const seen = await agent.waitForMember('ts-1', (m) => m.status === 'alive', 15_000)
    expect(seen.tags).toEqual({ role: 'ts' })
    await waitUntil('ts-1 sees agent-a alive', () => ts.serf.members().members.find((m) => m.name === 'agent-a' && m.status === 'alive'), 10_000)
    expect(ts.serf.members().members.find((m) => m.name === 'agent-a')?.tags).toEqual({ role: 'go' })
    expect(ts.swim.counters.packetsMalformed).toBe(0)
    expect(ts.swim.counters.pushPullsFailed).toBe(0)

    // Graceful leave: Serf's leave intent, then memberlist's dead{From: self}.
    const { waitForBroadcast } = ts.serf.beginLeave('member-manager')
    expect(waitForBroadcast).toBe(true)
    ts.swim.leave(5_000)
    await waitUntil('ts-1 left', () => (ts.hasLeft() ? true : undefined), 10_000)
    const gone = await agent.waitForMember('ts-1', (m) => m.status === 'left', 15_000)
    expect(gone.status).toBe('left')
  }, 60_000)

  it('an agent joins us, then is killed: our member layer reports it failed', async () => {
    const ts = await gossamerNode('ts-2', { role: 'ts' })
    const agent = await SerfAgent.start({ name: 'agent-b', profile: 'local' })
    cleanups.push(() => stopAgents([agent]))
    await agent.join([ts.transport.localAddress])
    await waitUntil('ts-2 sees agent-b alive', () => ts.serf.members().members.find((m) => m.name === 'agent-b' && m.status === 'alive'), 10_000)
    await agent.waitForMember('ts-2', (m) => m.status === 'alive', 10_000)

    // Measured from before the stop: however long a loaded machine takes to stop the agent, the
    // suspicion starts after it is gone, so the bound only grows with load.
    const t0 = Date.now()
    await stopAgents([agent]) // SIGTERM: no leave, so peers must detect the failure
    await waitUntil('ts-2 sees agent-b failed', () => ts.serf.members().members.find((m) => m.name === 'agent-b' && m.status === 'failed'), 20_000)
    // Local profile, 2 nodes: a failed probe, then the 3 s suspicion minimum.
    expect(Date.now() - t0).toBeGreaterThan(2_000)
    expect(ts.swim.table.get('agent-b')?.state).toBe('dead')
  }, 60_000)

  it('swim in its worker placement joins an agent, takes new tags, and leaves as left', async () => {
    const agent = await SerfAgent.start({ name: 'agent-w', profile: 'local', tags: { role: 'go' } })
    cleanups.push(() => stopAgents([agent]))
    const system = await ActorSystem.start({ node: 'ts-w', logLevel: 'silent' })
    cleanups.push(async () => void (await system.shutdown({ drainTimeoutMs: 2_000 })))
    await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'worker', input: { config: gossipQueueConfigFor({ ...LOCAL_SWIM_CONFIG, encrypted: false }) } })
    const mm = await system.spawn(memberManager, { id: 'member-manager', placement: 'worker', input: { config: { nodeName: 'ts-w' } }, dependsOn: ['gossip-queue'] })
    const swim = await system.spawn(swimActor, {
      id: 'swim',
      placement: 'worker',
      input: { name: 'ts-w', addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local', join: [agent.gossipAddr] },
      dependsOn: ['gossip-queue', 'member-manager'],
    })
    // Tags through the API: member-manager encodes them and tells swim (held if swim is still binding).
    await mm.ask({ type: 'member.set-tags', tags: { role: 'ts-worker' } }, { timeoutMs: 5_000 })

    const seen = await agent.waitForMember('ts-w', (m) => m.status === 'alive' && m.tags['role'] === 'ts-worker', 15_000)
    const address = (await swim.getSnapshot()).context.address
    expect(`${seen.addr}`).toBe(address)
    await waitUntil(
      'ts-w sees agent-w alive with its tags',
      async () => (await mm.ask({ type: 'member.members' })).members.find((m) => m.name === 'agent-w' && m.status === 'alive' && m.tags['role'] === 'go'),
      10_000,
    )

    await mm.ask({ type: 'member.leave' }, { timeoutMs: 15_000 })
    const gone = await agent.waitForMember('ts-w', (m) => m.status === 'left', 15_000)
    expect(gone.status).toBe('left')
    const ctx = (await swim.getSnapshot()).context
    expect(ctx.localStateFailures).toBe(0)
  }, 60_000)
})
