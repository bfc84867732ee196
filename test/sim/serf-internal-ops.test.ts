/**
 * Serf's internal operations through the real actors on the simulator (sim/runtime-cluster.ts:
 * swim, gossip-queue, member-manager and serf-events per node, one SimulatedClock, one seeded
 * MemoryNetwork, LAN defaults):
 * - name conflict: an impostor takes the name of a member and learns of the original by its join's
 *   push/pull; it holds the `_serf_conflict` vote, every other member places the name at the
 *   original, so the impostor (the minority) emits `serf.name-conflict-lost`, once;
 * - the cluster-wide key operation over an encrypted cluster: install, use and remove a key on
 *   every node's live keyring (swim's), each step counting every member, and the cluster still
 *   converged on the new key alone.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RuntimeCluster } from '../../sim/runtime-cluster.ts'
import type { KeyOperationReply, NameConflictLostEmitted } from '../../actors/serf-events/protocol.ts'

let cluster: RuntimeCluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

const names = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `n${i + from}`)

async function converged(c: RuntimeCluster, n: number): Promise<void> {
  await c.addNode('n1')
  for (const name of names(n - 1, 2)) await c.addNode(name, ['n1'])
  expect(await c.runUntil(() => c.converged(), 60_000)).toBeDefined()
  // Every serf-events' member feed counts every member.
  await c.run(1_000)
}

describe('Serf internal operations on the simulator (real actors)', () => {
  it('an impostor of n3 loses the _serf_conflict vote; the original n3 stays', async () => {
    const c = (cluster = new RuntimeCluster({ seed: 21 }))
    await converged(c, 8)
    await c.run(60_000) // nothing about n3 still in flight: the impostor learns of it by push/pull
    await c.addNode('impostor', ['n1'], { nodeName: 'n3' })
    const lost = () => c.serfEvents.filter((e) => e.msg.type === 'serf.name-conflict-lost')
    expect(await c.runUntil(() => lost().length > 0, 30_000)).toBeDefined()
    expect(lost().map((e) => e.observer)).toEqual(['impostor'])
    const msg = lost()[0]!.msg as NameConflictLostEmitted
    expect(msg.name).toBe('n3')
    expect(msg.matching).toBe(0)
    expect(msg.responses).toBeGreaterThanOrEqual(msg.quorum)
    const counters = async (n: string) => (await c.get(n).serfEvents.ask({ type: 'serf.stats' })).counters['actor'] as Record<string, number>
    expect(await counters('impostor')).toMatchObject({ conflictMinority: 1 })
    // The original stays: the members ignore the impostor's alive (memberlist keeps the first
    // address and does not pass the conflicting alive on), so n3 never even holds a vote.
    await c.run(30_000)
    expect(await counters('n3')).toMatchObject({ conflictMinority: 0 })
    expect(c.get('n1').view.find((m) => m.name === 'n3')?.addr.join('.')).toBe(c.get('n3').address.split(':')[0])
    // Emitted once: the impostor holds no further vote (it is going down), however often it hears of n3.
    expect(lost()).toHaveLength(1)
  }, 180_000)

  it('rotates the key of a 12-node encrypted cluster: every step counts every member', async () => {
    const K1 = Buffer.alloc(32, 1).toString('base64')
    const K2 = Buffer.alloc(32, 2).toString('base64')
    const N = 12
    const c = (cluster = new RuntimeCluster({ seed: 22, swim: { keys: [K1] } }))
    await converged(c, N)
    const op = async (kind: 'install' | 'use' | 'remove' | 'list', key?: string) => {
      const p = c.get('n5').serfEvents.ask({ type: 'serf.key-operation', kind, ...(key !== undefined ? { key } : {}) }, { timeoutMs: 120_000 })
      let reply: KeyOperationReply | undefined
      void p.then((r) => (reply = r as KeyOperationReply))
      expect(await c.runUntil(() => reply !== undefined, 30_000)).toBeDefined()
      return reply!
    }
    expect(await op('install', K2)).toEqual({ type: 'serf.key-operation-reply', error: null, response: { messages: {}, numNodes: N, numErr: 0, numResp: N } })
    expect(await op('use', K2)).toMatchObject({ error: null, response: { numResp: N } })
    const primary = await op('remove', K2)
    expect(primary).toMatchObject({ error: `${N}/${N} nodes reported failure`, response: { numErr: N } })
    expect(new Set(Object.values(primary.response.messages))).toEqual(new Set(['Removing the primary key is not allowed']))
    expect(await op('remove', K1)).toMatchObject({ error: null, response: { numResp: N } })
    expect(await op('list')).toMatchObject({ error: null, response: { keys: { [K2]: N }, numResp: N } })
    // Still one cluster on K2 alone.
    await c.run(30_000)
    expect(c.converged()).toBe(true)
  }, 180_000)
})
