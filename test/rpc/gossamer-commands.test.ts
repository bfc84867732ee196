/**
 * Gossamer's own RPC commands: `gossamer-leader` and `gossamer-assignments` answered by our server
 * from the node's election view and the agent's worker assignments; without coordination the
 * Error text says so; against a real `serf agent` they get Serf's "Unsupported command" (the
 * client is told, not confused).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RpcClient } from '../../src/rpc/client.ts'
import { startRpcServer } from '../../src/rpc/server.ts'
import type { ElectionHandle, LeaderView, MyAssignment } from '../../src/node/api.ts'
import { SerfAgent, stopAgents } from '../support/serf.ts'
import { FakeNode } from './support/fake-node.ts'

let cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c()
  cleanups = []
})

/** A FakeNode whose election view is set by the test. */
class LeaderNode extends FakeNode {
  override election(group: string): ElectionHandle {
    const view = async (): Promise<LeaderView> => ({ group, leader: 'n9', term: 42 as LeaderView['term'], isSelf: false })
    return { group, view, campaign: async () => 42, resign: async () => {}, changes: () => { throw new Error('not in this test') } }
  }
}

describe('Gossamer RPC commands', () => {
  it('leader and assignments from a node with coordination; coded texts without it or for another group', async () => {
    const node = new LeaderNode('n1', 7946, {})
    const mine: MyAssignment = { group: 'jobs', version: 3, term: 42, leader: 'n9', partitions: [1, 5, 9], totalPartitions: 12, workers: 4 }
    const server = await startRpcServer({ node, addr: '127.0.0.1:0', assignments: (g) => (g === 'jobs' ? { registered: true, current: mine } : { registered: false, current: undefined }) })
    const client = await RpcClient.connect({ addr: server.address })
    cleanups.push(() => node.shutdown(), () => server.close(), () => client.close())
    expect(await client.leader('jobs')).toEqual({ group: 'jobs', leader: 'n9', term: 42, isSelf: false })
    expect(await client.assignments('jobs')).toEqual({ group: 'jobs', version: 3, term: 42, leader: 'n9', partitions: [1, 5, 9], totalPartitions: 12, workers: 4 })
    await expect(client.assignments('other')).rejects.toMatchObject({ code: 'ERR_RPC_REMOTE', message: expect.stringContaining('does not take part in group other') })
    // Still a working connection after an Error reply.
    expect((await client.members()).map((m) => m.name)).toEqual(['n1'])

    const plain = new FakeNode('p1', 7947, {})
    const server2 = await startRpcServer({ node: plain, addr: '127.0.0.1:0' })
    const client2 = await RpcClient.connect({ addr: server2.address })
    cleanups.push(() => plain.shutdown(), () => server2.close(), () => client2.close())
    await expect(client2.leader('jobs')).rejects.toMatchObject({ message: expect.stringContaining('without coordination') })
  })

  it('a real serf agent answers them with its "Unsupported command"', async () => {
    const agent = await SerfAgent.start({ name: 'plain-serf', profile: 'local' })
    cleanups.push(() => stopAgents([agent]))
    const client = await RpcClient.connect({ addr: agent.rpcAddr })
    cleanups.push(() => client.close())
    await expect(client.leader('jobs')).rejects.toMatchObject({ message: expect.stringContaining('Unsupported command') })
  }, 30_000)
})
