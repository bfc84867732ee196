/**
 * Each node's actor system gets its own seed (FNV-1a of the node name): every node runs the same
 * actor ids, and an actor's random stream derives from the system seed and its id, so with one
 * seed (1) for all, every node drew the same election jitter (three candidates campaigning at the
 * same instant round after round: split votes) and the same probe order.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, nodeSeed } from '../../src/node/create-node.ts'
import type { GossamerNode } from '../../src/node/api.ts'

const started: GossamerNode[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.shutdown()))
})

describe('node seeds', () => {
  it('differ between nodes, and are the same for a name on every run', async () => {
    for (const name of ['n1', 'n2']) started.push(await createNode({ name, bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent' }))
    const seeds = started.map((n) => (n as unknown as { system: { seed: number } }).system.seed)
    expect(seeds[0]).not.toBe(seeds[1])
    expect(seeds).toEqual([nodeSeed('n1'), nodeSeed('n2')])
    expect(nodeSeed('n1')).toBe(nodeSeed('n1'))
    expect(new Set(['a', 'b', 'c', 'web-1', 'web-2', 'db-1'].map(nodeSeed)).size).toBe(6)
  })
})
