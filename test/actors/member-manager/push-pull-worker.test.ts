/**
 * The convergence of push-pull-convergence.test.ts in the worker placement: swim, gossip-queue and
 * member-manager each in its own thread, swim on real loopback sockets, joining a TCP peer whose
 * push/pull names 10,000 nodes (issue 10 item 4: that left member-manager at 8,193 members). Real
 * time, so it polls with a generous deadline.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import type { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { startNode, until } from '../swim/support/worker-cluster.ts'
import { peerStates, pushPullReply } from './support/push-pull-peer.ts'

const running: ActorSystem[] = []
let server: Server | undefined
afterEach(async () => {
  for (const s of running.splice(0)) await s.shutdown({ drainTimeoutMs: 2_000 })
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
  server = undefined
})

/** A TCP peer on 127.0.0.1 that answers every push/pull with `count` nodes; resolves its port. */
function tcpPushPullPeer(count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let reply: Uint8Array | undefined
    server = createServer((socket) => {
      socket.on('error', () => {}) // swim may close first; nothing to do
      socket.once('data', () => socket.end(reply!))
    })
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const port = (server!.address() as { port: number }).port
      reply = pushPullReply(peerStates(count, { name: 'peer', addr: Uint8Array.of(127, 0, 0, 1), port }))
      resolve(port)
    })
  })
}

describe('member-manager after a huge push/pull (worker placement)', () => {
  it('ends with all 10,000 pushed nodes in its table, as swim has them', async () => {
    const N = 10_000
    const port = await tcpPushPullPeer(N)
    const n = await startNode(running, 'self', 1, { join: [`127.0.0.1:${port}`] })
    const tables = async () => {
      const ctx = (await n.swim.getSnapshot()).context
      const stats = await n.mm!.ask({ type: 'member.stats' }, { timeoutMs: 5_000 })
      return { swimNodes: ctx.numNodes, feed: ctx.memberFeed, total: stats.counts.total, mmFeed: stats.feed }
    }
    // The merge is one turn of swim's; its batches cross to member-manager's thread as it has room.
    // The feed sends after the turn, so swim's context shows what it sent from its next turn on.
    const t = await until('member-manager has every node swim has', async () => {
      const r = await tables()
      return r.swimNodes === N + 2 && r.total === N + 2 && r.feed?.changes === N + 2 ? r : undefined
    }, 30_000)
    expect(t.feed).toMatchObject({ changes: N + 2, undelivered: 0, collapsed: 0, resyncs: 0 })
    expect(t.mmFeed).toMatchObject({ changes: N + 2, gaps: 0, resyncRequests: 0 })
    const mmStats = await n.mm!.stats()
    expect([mmStats.rejected, mmStats.dropped, mmStats.lost]).toEqual([0, 0, 0])
    // gossip-queue's retransmit limits follow both sizes: each goes once per turn, the latest, behind
    // swim's 10,000 alive broadcasts (refused past the link's bound and counted in swim's undelivered).
    const sizes = await until('gossip-queue has both sizes', async () => {
      const q = (await n.gq!.ask({ type: 'gossip.stats' }, { timeoutMs: 5_000 })).queues
      return q.memberlist.numNodes === N + 2 && q['serf-intent'].numNodes === N + 2 ? q : undefined
    }, 10_000)
    expect(sizes.memberlist.sizeKnown).toBe(true)
  }, 60_000)
})
