/**
 * Coordination in a cluster mixed with real `serf agent`s (membership backend): two Gossamer
 * nodes and three serf agents. The agents are members but never vote, so the majority is of the
 * two Gossamer nodes (the partition detector counts only members with the gossamer tag); counted
 * over all five members, 2 of 5 could never elect anyone.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createNode } from '../../src/node/create-node.ts'
import type { GossamerNode, NodeOptions } from '../../src/node/api.ts'
import { SerfAgent, stopAgents } from '../support/serf.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function start(name: string, options: NodeOptions): Promise<GossamerNode> {
  const node = await createNode({ name, bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent', ...options })
  cleanups.push(() => node.shutdown())
  return node
}

describe('coordination with serf agents in the cluster', () => {
  it('two Gossamer nodes among three serf agents elect a leader; the agents are not counted', async () => {
    const s1 = await SerfAgent.start({ name: 'mx-serf-1', profile: 'local' })
    const s2 = await SerfAgent.start({ name: 'mx-serf-2', profile: 'local', join: [s1.gossipAddr] })
    const s3 = await SerfAgent.start({ name: 'mx-serf-3', profile: 'local', join: [s1.gossipAddr] })
    cleanups.push(() => stopAgents([s1, s2, s3]))
    const coordination = { backend: 'membership' as const }
    const a = await start('mx-a', { coordination, join: [s1.gossipAddr] })
    const b = await start('mx-b', { coordination, join: [s1.gossipAddr] })
    await s1.waitForMember('mx-b', (m) => m.status === 'alive', 15_000)
    const term = await b.election('jobs').campaign({ signal: AbortSignal.timeout(30_000) })
    expect(term).toBeGreaterThan(0)
    const view = await a.election('jobs').view()
    expect(view.leader === 'mx-b' || view.leader === null).toBe(true)
    expect((await a.members()).length).toBe(5)
  }, 90_000)
})
