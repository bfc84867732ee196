/**
 * Vivaldi coordinates against a real `serf agent` (0.9.4) on loopback: our acks carry our
 * coordinate (Serf's ping delegate), so after a few of the agent's probes `serf rtt` prints an
 * estimate between the agent and us (before this it said `Could not find a coordinate for node`),
 * and the agent's acks to our probes give our swim the agent's coordinate.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createSwimConfig } from '../../../actors/swim/config.ts'
import { runSerf, SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'
import { startNetNode } from './support/net-node.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('coordinates with a real serf agent (interop)', () => {
  it('serf rtt estimates the round trip to our node, and our swim holds the agent coordinate', async () => {
    const agent = await SerfAgent.start({ name: 'agent-rtt', profile: 'local' })
    cleanups.push(() => stopAgents([agent]))
    const ts = await startNetNode({ name: 'ts-rtt', config: createSwimConfig({}, 'local'), seed: 11, serf: {} })
    cleanups.push(ts.stop)
    ts.swim.join([agent.gossipAddr])

    // The agent's probes of us are acked with our coordinate: `serf rtt` then finds both.
    const out = await waitUntil(
      'serf rtt prints an estimate',
      // Exit 1 ("Could not find a coordinate for node") until a probe of ours was acked.
      () => runSerf(['rtt', `-rpc-addr=${agent.rpcAddr}`, 'agent-rtt', 'ts-rtt']).then((r) => r.stdout, () => undefined),
      20_000,
      250,
    )
    expect(out).toMatch(/Estimated agent-rtt <-> ts-rtt rtt: \d+\.\d+ ms/)

    // Our probes of the agent were acked with its coordinate.
    await waitUntil('swim holds the agent coordinate', () => ts.swim.coordinates.coordinateOf('agent-rtt'), 10_000)
    expect(ts.swim.coordinates.coordinateOf('agent-rtt')?.Vec).toHaveLength(8)
    expect(ts.swim.counters.coordinateUpdates).toBeGreaterThan(0)
    expect(ts.swim.counters.coordinateRejected).toBe(0)
    expect(ts.swim.coordinates.estimateRttMs('ts-rtt', 'agent-rtt')).not.toBeNull()
  }, 60_000)
})
