/**
 * A name conflict between a Gossamer node and a real serf agent resolves as Serf's rules say,
 * whichever side joined first: the newcomer asks the cluster (`_serf_conflict`), the members answer
 * with the address they hold for the name, and the side in the minority shuts down; the side the
 * cluster knows stays.
 * - The agent was first: the Gossamer newcomer learns the conflict from its join's push/pull and
 *   stops itself (`node.stopped` resolves with reason 'name-conflict'); the agent stays alive.
 * - The Gossamer node was first: the serf newcomer is in the minority and exits; the Gossamer node
 *   stays and keeps its name.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createNode } from '../../src/node/create-node.ts'
import type { GossamerNode } from '../../src/node/api.ts'
import { SerfAgent, stopAgents, waitUntil } from '../support/serf.ts'

describe('name conflicts with a real serf agent', () => {
  const agents: SerfAgent[] = []
  const nodes: GossamerNode[] = []
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.shutdown()
    await stopAgents(agents.splice(0), { signal: 'SIGKILL' })
  })

  it('the agent was first: the Gossamer newcomer is in the minority and stops', async () => {
    const x = await SerfAgent.start({ name: 'witness-x', profile: 'local' })
    agents.push(x)
    agents.push(await SerfAgent.start({ name: 'witness-y', profile: 'local', join: [x.gossipAddr] }))
    const dup = await SerfAgent.start({ name: 'dup', profile: 'local', join: [x.gossipAddr] })
    agents.push(dup)
    await x.waitForMember('dup', (m) => m.status === 'alive', 10_000)
    const node = await createNode({ name: 'dup', bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent', join: [x.gossipAddr] }).catch((err: unknown) => err)
    if (node instanceof Error) {
      // Refusing the join outright is also Serf-correct only if the reason is the conflict.
      expect((node as Error & { code?: string }).code).toBe('ERR_NAME_CONFLICT')
    } else {
      nodes.push(node as GossamerNode)
      const stopped = await Promise.race([(node as GossamerNode).stopped, new Promise((r) => setTimeout(() => r('still running'), 20_000))])
      expect(stopped).toMatchObject({ reason: 'name-conflict' })
    }
    expect(dup.running).toBe(true)
    const view = await x.members()
    expect(view.find((m) => m.name === 'dup')?.addr).toBe(dup.gossipAddr)
  })

  it('the Gossamer node was first: the serf newcomer is in the minority and exits', async () => {
    const x = await SerfAgent.start({ name: 'witness-x', profile: 'local' })
    agents.push(x)
    agents.push(await SerfAgent.start({ name: 'witness-y', profile: 'local', join: [x.gossipAddr] }))
    const node = await createNode({ name: 'dup', bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent', join: [x.gossipAddr] })
    nodes.push(node)
    await x.waitForMember('dup', (m) => m.status === 'alive', 10_000)
    const dup = await SerfAgent.start({ name: 'dup', profile: 'local', join: [x.gossipAddr] }).catch(() => undefined)
    if (dup !== undefined) {
      agents.push(dup)
      await waitUntil('the serf newcomer to exit', () => (dup.running ? undefined : true), 20_000)
    }
    const ours = await node.members({ name: 'dup' })
    expect(ours.map((m) => m.status)).toEqual(['alive'])
    expect((await x.members()).find((m) => m.name === 'dup')?.addr).toBe(node.address)
  })
})
