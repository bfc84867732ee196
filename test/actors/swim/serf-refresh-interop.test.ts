/**
 * staleSuspicionRefresh (the default) against a real `serf agent` (Debian serf 0.9.4) on loopback:
 * the rules only add direct packets of memberlist's own message types, so the agent must take them
 * as it takes gossip. (1) We suspect the agent without gossiping it; its next packet to us gets
 * our suspicion sent straight back, and the agent refutes. (2) The agent is told we are suspect;
 * we refute and also send our alive straight to the agent, which accepts it and never fails us.
 */
import { createSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { createSwimConfig } from '../../../actors/swim/config.ts'
import { encodeMessage, NodeState } from '../../../src/wire/memberlist.ts'
import { SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'
import { agentNodeStates } from '../../support/serf-state.ts'
import { startNetNode } from './support/net-node.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Our swim with Serf's member layer, real UDP/TCP and real timers, default (local) config. */
async function gossamerNode(name: string) {
  const config = createSwimConfig({}, 'local')
  expect(config.staleSuspicionRefresh).toBe(true)
  const node = await startNetNode({ name, config, seed: 11, serf: {} })
  cleanups.push(node.stop)
  return node
}

describe('staleSuspicionRefresh with a real serf agent (interop)', () => {
  it('a suspect agent told directly refutes; an agent told we are suspect takes our direct alive', async () => {
    const agent = await SerfAgent.start({ name: 'agent-r', profile: 'local' })
    cleanups.push(() => stopAgents([agent]))
    const ts = await gossamerNode('ts-r')
    ts.swim.join([agent.gossipAddr])
    await agent.waitForMember('ts-r', (m) => m.status === 'alive', 15_000)
    await waitUntil('ts-r knows agent-r', () => (ts.swim.table.get('agent-r')?.state === 'alive' ? true : undefined), 10_000)

    // (1) Suspect the agent in our table only (nothing gossiped, no timer): only rule 4 can tell it.
    const before = ts.swim.table.get('agent-r')!.incarnation
    const o = ts.swim.table.suspect({ incarnation: before, node: 'agent-r', from: 'ts-r' }, Date.now())
    expect(o.result).toBe('accepted')
    await waitUntil('agent-r refuted', () => (ts.swim.table.get('agent-r')!.state === 'alive' ? true : undefined), 10_000)
    expect(ts.swim.counters.suspectsTold).toBeGreaterThan(0)
    expect(ts.swim.table.get('agent-r')!.incarnation).toBeGreaterThan(before)
    await waitUntil('agent log shows the refutation', () => (/Refuting a suspect message/.test(agent.log()) ? true : undefined), 5_000)

    // (2) A third party tells the agent that ts-r is suspect at its current incarnation.
    const ourInc = ts.swim.table.self().incarnation
    const sock = createSocket('udp4')
    cleanups.push(() => new Promise<void>((resolve) => sock.close(() => resolve())))
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()))
    const [host, agentPort] = agent.gossipAddr.split(':')
    const suspect = encodeMessage({ type: 'suspect', Incarnation: ourInc, Node: 'ts-r', From: 'someone-else' })
    await new Promise<void>((resolve, reject) => sock.send(suspect, Number(agentPort), host, (err) => (err ? reject(err) : resolve())))
    await waitUntil('ts-r refuted', () => (ts.swim.table.self().incarnation > ourInc ? true : undefined), 10_000)
    expect(ts.swim.counters.refutations).toBeGreaterThan(0)
    // The agent took our alive: its own view (read with a push/pull) holds ts-r alive at the
    // refuted incarnation. memberlist drops a node's suspicion timer when it takes a newer alive,
    // so from here the agent cannot fail us for that suspicion (it would after 3 s otherwise:
    // local profile, 2 members). Polled, not slept: a loaded machine only makes it come later.
    const taken = await waitUntil(
      'agent-r holds ts-r alive past the suspected incarnation',
      async () => {
        const self = (await agentNodeStates(agent.bindPort)).find((s) => s.Name === 'ts-r')
        return self !== undefined && self.State === NodeState.alive && self.Incarnation > ourInc ? self : undefined
      },
      10_000,
    )
    expect(taken.Incarnation).toBeLessThanOrEqual(ts.swim.table.self().incarnation)
    const seen = (await agent.members()).find((m) => m.name === 'ts-r')
    expect(seen?.status).toBe('alive')
    // Nor did it fail us first and take us back later (a dead node's newer alive revives it).
    expect(agent.log()).not.toMatch(/Marking ts-r as failed|EventMemberFailed: ts-r/)
    expect(agent.log()).not.toMatch(/\[ERR\]/)
    expect(ts.swim.counters.packetsMalformed).toBe(0)
    expect(ts.swim.table.get('agent-r')!.state).toBe('alive')
  }, 60_000)
})
