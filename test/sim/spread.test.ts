/**
 * Broadcasts reach every node by gossip, not by the periodic push/pull: 9 nodes on the Local
 * profile through the real actors (sim/runtime-cluster.ts), where memberlist's retransmit limit
 * (2 × ceil(log10(10)) = 2 sends per node and broadcast) leaves some node without a user event in
 * about 64% of broadcasts (bench/cluster/spread-model.ts); that node then waits for a push/pull
 * (Local: every 15 s). With gossip-queue's floor (minRetransmits = 2 × gossipNodes = 6) every event
 * reaches all 9 within a second. Deterministic: simulated clock, seeded network.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RuntimeCluster } from '../../sim/runtime-cluster.ts'

const N = 9
const names = Array.from({ length: N }, (_, i) => `n${i + 1}`)

let cluster: RuntimeCluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

describe('broadcast spread (9 nodes, Local profile, real actors)', () => {
  it('every user event reaches all nodes by gossip within 1 s (push/pull is every 15 s)', async () => {
    const c = (cluster = new RuntimeCluster({ seed: 4, preset: 'local' }))
    await c.addNode('n1')
    for (const name of names.slice(1)) await c.addNode(name, ['n1'])
    expect(await c.runUntil(() => c.converged(), 60_000)).toBeDefined()
    await c.run(10_000) // the joins' broadcasts have run out
    const spread: Array<number | null> = []
    for (const sender of ['n5', 'n2', 'n9', 'n7', 'n3', 'n6']) {
      const mark = c.serfEvents.length
      await c.get(sender).serfEvents.ask({ type: 'serf.user-event', name: `from-${sender}`, payload: Uint8Array.of(1), coalesce: false })
      const reached = () => new Set(c.serfEvents.slice(mark).filter((e) => e.msg.type === 'serf.user-event' && e.msg.name === `from-${sender}`).map((e) => e.observer)).size
      const t0 = c.now()
      while (reached() < N && c.now() - t0 < 1_000) await c.run(10)
      spread.push(reached() === N ? c.now() - t0 : null)
      await c.run(2_000) // quiet queues before the next one
    }
    expect(spread.every((ms) => ms !== null), `time to the last node per event (ms): ${JSON.stringify(spread)}`).toBe(true)
    expect(c.problems).toEqual([])
    // The floor is what gossip-queue applies: 6 transmits, not memberlist's 2.
    const stats = await c.get('n1').gossipQueue.ask({ type: 'gossip.stats' })
    expect(stats.queues['serf-event']).toMatchObject({ retransmitLimit: 6, numNodes: N })
  }, 120_000)
})
