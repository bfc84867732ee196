/**
 * bench:agents' join in simulation: five idle nodes (each alone for 10 s, its own alive queued with
 * nobody to send it to), then four join the first at once. Every node must list all five alive
 * within 110 ms of simulated time, on every seed: memberlist's gossip would take a random tick
 * (0-200 ms on LAN), and ours used to count a lone node's empty ticks as gossip rounds, so the
 * joins' news waited for half an interval after one (105 ms); before the early rounds it waited up
 * to a whole interval after the round the first news woke (95-160 ms on these seeds).
 * Real actors (sim/runtime-cluster.ts) on a simulated clock and memory network: deterministic.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RuntimeCluster } from '../../sim/runtime-cluster.ts'
import type { JoinReply } from '../../actors/swim/protocol.ts'

const names = ['n1', 'n2', 'n3', 'n4', 'n5']
const BOUND_MS = 110

let cluster: RuntimeCluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

async function joinBurst(seed: number): Promise<number | null> {
  const c = (cluster = new RuntimeCluster({ seed, preset: 'lan' }))
  for (const n of names) await c.addNode(n)
  await c.run(10_000)
  const t0 = c.now()
  const joins = names.slice(1).map((n) => c.get(n).swim.ask({ type: 'swim.join', addresses: [c.get('n1').address] }, { timeoutMs: 10_000 }) as Promise<JoinReply>)
  let took: number | null = null
  while (c.now() - t0 <= 1_000) {
    await c.observe()
    if (c.running().every((n) => n.view.filter((m) => m.status === 'alive').length === names.length)) {
      took = c.now() - t0
      break
    }
    await c.run(5)
  }
  expect((await Promise.all(joins)).map((r) => r.numJoined)).toEqual([1, 1, 1, 1])
  await c.close()
  cluster = undefined
  return took
}

describe('four nodes join an idle one at once (LAN, real actors, simulated)', () => {
  it(`every node lists all five alive within ${BOUND_MS} ms, on every seed`, async () => {
    const took: Array<number | null> = []
    for (let seed = 1; seed <= 10; seed++) took.push(await joinBurst(seed))
    expect(took.filter((t) => t === null || t > BOUND_MS), `simulated ms per seed: ${took.join(' ')}`).toEqual([])
  }, 120_000)
})
