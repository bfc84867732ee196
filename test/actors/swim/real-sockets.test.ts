/**
 * swim over real UDP/TCP sockets on 127.0.0.1 with real timers (test-speed config): three nodes
 * join through push/pull, converge, detect a stopped node, and everything is closed at the end.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { testConfig } from '../../../actors/swim/config.ts'
import { startNetNode } from './support/net-node.ts'
import type { NetNode } from './support/net-node.ts'

const started: NetNode[] = []
afterEach(() => {
  for (const n of started.splice(0)) n.stop()
})

/** swim alone (no Serf layer) on real UDP/TCP with real timers, test-speed config. */
async function realNode(name: string, seed: number): Promise<NetNode> {
  const node = await startNetNode({ name, config: testConfig(), seed })
  started.push(node)
  return node
}

async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 10))
  }
  return true
}

describe('swim over real sockets (loopback)', () => {
  it('three nodes converge, then detect a stopped one', async () => {
    const a = await realNode('a', 1)
    const b = await realNode('b', 2)
    const c = await realNode('c', 3)
    b.swim.join([a.transport.localAddress])
    c.swim.join([a.transport.localAddress])
    const all = [a, b, c]
    const aliveEverywhere = () => all.every((n) => ['a', 'b', 'c'].every((m) => n.swim.table.get(m)?.state === 'alive'))
    expect(await until(aliveEverywhere, 5_000)).toBe(true)
    for (const n of all) expect(n.swim.counters.packetsMalformed).toBe(0)

    c.stop()
    // Test config: probe every 100 ms; n = 3 → k = 0, suspicion min = 3 × 100 ms.
    expect(await until(() => a.swim.table.get('c')?.state === 'dead' && b.swim.table.get('c')?.state === 'dead', 5_000)).toBe(true)
  }, 15_000)
})
