/**
 * The live keyring is swim's persisted state (issue 12): a node whose key was rotated by
 * `swim.keyring` comes back from a restart with the rotated ring, not the keys of its spawn input,
 * and so still reaches a cluster that has dropped the old key. Real runtime, inline placement,
 * memory network, simulated clock.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { memorySnapshotStore } from '../../../src/runtime/options.ts'
import { simNodes } from './support/sim-nodes.ts'
import type { SimNodes, SwimRef } from './support/sim-nodes.ts'

const KEY_A = new Uint8Array(16).fill(1)
const KEY_B = new Uint8Array(24).fill(2)

let nodes: SimNodes | undefined
afterEach(async () => {
  await nodes?.close()
  nodes = undefined
})

const rotateToB = async (ref: SwimRef) => {
  for (const [op, key] of [['install', KEY_B], ['use', KEY_B], ['remove', KEY_A]] as const) {
    const r = await ref.ask({ type: 'swim.keyring', op, key }, { timeoutMs: 1_000 })
    expect(r.ok).toBe(true)
  }
}

describe('the live keyring across a restart', () => {
  it('a node restored from its snapshot in a fresh system keeps the rotated ring and rejoins a cluster that dropped the old key', async () => {
    nodes = simNodes(31)
    const store = memorySnapshotStore()
    const keys = { keys: [KEY_A], pushPullIntervalMs: 0 }
    const n1 = await nodes.spawn('n1', 1, { config: keys })
    const n2 = await nodes.spawn('n2', 2, { config: keys, join: ['10.0.0.1:7946'] }, { snapshotStore: store })
    expect((await nodes.context(n2, 500)).numNodes).toBe(2)
    // What a node subscribes to, to rewrite its keyring file.
    const changes: Uint8Array[][] = []
    const off = n2.on('swim.keyring-changed', (e) => void changes.push(e.keys))
    await nodes.clock.advance(10)
    await rotateToB(n1)
    await rotateToB(n2)
    const before = await nodes.context(n2, 1_000)
    expect(changes).toEqual([[KEY_A, KEY_B], [KEY_B, KEY_A], [KEY_B]])
    off()
    expect(before.liveKeys).toEqual([KEY_B])
    expect(before.counters.packetsUndecryptable).toBe(0)
    await nodes.stop(n2)
    // Spawned again with the same input (KEY_A only): the snapshot's ring wins.
    const again = await nodes.spawn('n2', 2, { config: keys, join: ['10.0.0.1:7946'] }, { snapshotStore: store })
    const after = await nodes.context(again, 1_000)
    expect(after.restores).toBe(1)
    expect(after.liveKeys).toEqual([KEY_B])
    expect(after.config.keyring).toEqual({ keys: 1 })
    expect(after.numNodes).toBe(2)
    expect(after.joinFailures).toBe(0)
    const list = await again.ask({ type: 'swim.keyring', op: 'list' }, { timeoutMs: 1_000 })
    expect(list).toMatchObject({ ok: true, keys: [KEY_B], primary: KEY_B })
    expect((await nodes.context(n1, 0)).counters.packetsUndecryptable).toBe(0)
  })
})
