/**
 * swim's persist policy (actors/swim/persist-policy.ts): what a restart needs persists in the turn
 * that changed it; counters and figures at most once per SWIM_PERSIST_THROTTLE_MS. Before, every
 * turn with a change persisted, and an idle node's every gossip tick changes a counter
 * (gossipEmpty): a copy, an equality walk and, in a worker, a post per tick.
 *
 * Inline swim actors on the memory network and the simulated clock (test preset: a gossip tick
 * every 20 ms, a probe every 100 ms), with a snapshot store that records every save.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { memorySnapshotStore } from '../../../src/runtime/options.ts'
import type { PersistedRecord, SnapshotStore } from '../../../src/runtime/options.ts'
import type { SwimContext } from '../../../actors/swim/machine.ts'
import { SWIM_PERSIST_THROTTLE_MS, swimUrgentKey } from '../../../actors/swim/persist-policy.ts'
import { simNodes } from './support/sim-nodes.ts'
import type { SimNodes } from './support/sim-nodes.ts'
import { crashingOpener } from './support/crashing-opener.ts'

let nodes: SimNodes | undefined
afterEach(async () => {
  await nodes?.close()
  nodes = undefined
})

interface Saved {
  at: number
  value: unknown
  context: SwimContext
}

/** A memory store that also keeps every record saved, in order. */
function recordingStore(): SnapshotStore & { saved: Saved[] } {
  const inner = memorySnapshotStore()
  const saved: Saved[] = []
  return {
    saved,
    load: (id) => inner.load(id),
    delete: (id) => inner.delete(id),
    save: (id, r: PersistedRecord) => {
      const s = r.snapshot as { value: unknown; context: SwimContext }
      saved.push({ at: r.at, value: s.value, context: s.context })
      inner.save(id, r)
    },
  }
}

const NO_PUSH_PULL = { pushPullIntervalMs: 0 }

describe('swim persist policy', () => {
  it('an idle node persists its counters at most once per throttle window, not after every gossip tick', async () => {
    nodes = simNodes(31)
    const store = recordingStore()
    const n1 = await nodes.spawn('n1', 1, { config: NO_PUSH_PULL })
    const n2 = await nodes.spawn('n2', 2, { join: ['10.0.0.1:7946'], config: NO_PUSH_PULL }, { snapshotStore: store })
    expect((await nodes.context(n2, 1_000)).numNodes).toBe(2)
    const before = store.saved.length
    const c0 = await nodes.context(n2)
    const idleMs = 10_000
    const c1 = await nodes.context(n2, idleMs)
    // The node was busy: every 20 ms tick changed a counter (500 turns with a change in 10 s).
    expect(c1.counters.gossipEmpty - c0.counters.gossipEmpty).toBeGreaterThan(400)
    const during = store.saved.slice(before)
    expect(during.length).toBeGreaterThan(0)
    expect(during.length).toBeLessThanOrEqual(idleMs / SWIM_PERSIST_THROTTLE_MS + 1)
    for (let i = 1; i < during.length; i++) expect(during[i]!.at - during[i - 1]!.at).toBeGreaterThanOrEqual(SWIM_PERSIST_THROTTLE_MS)
    // Still the latest figures, at most one window behind.
    expect(during.at(-1)!.context.counters.gossipEmpty).toBeGreaterThan(c0.counters.gossipEmpty)
    void n1
  })

  it('persists the bound address in the turn that bound it: a restart right after the start still binds there', async () => {
    nodes = simNodes(32)
    const store = recordingStore()
    const first: string[] = []
    const n2 = await nodes.spawn('n2', 2, { port: 0, config: NO_PUSH_PULL }, { open: crashingOpener(nodes.net, '10.0.0.66:7946', first, 40_000), snapshotStore: store })
    const c = await nodes.context(n2, 10) // well inside the first throttle window
    expect(c.address).toBe('10.0.0.2:40000')
    const bound = store.saved.find((s) => s.context.bound !== '')
    expect(bound).toBeDefined()
    expect(bound!.context.bound).toBe('10.0.0.2:40000')
    expect(bound!.at).toBeLessThan(SWIM_PERSIST_THROTTLE_MS)
    // The running state (and the incarnation it started at) is in the store too, not only `starting`.
    expect(store.saved.at(-1)!.value).toBe('running')
    await nodes.stop(n2)
    const second: string[] = []
    const again = await nodes.spawn('n2', 2, { port: 0, config: NO_PUSH_PULL }, { open: crashingOpener(nodes.net, '10.0.0.66:7946', second, 41_000), snapshotStore: store })
    const after = await nodes.context(again, 50)
    expect(second).toEqual(['10.0.0.2:40000'])
    expect(after).toMatchObject({ address: '10.0.0.2:40000', restores: 1 })
    expect(after.incarnation).toBeGreaterThan(c.incarnation)
  })

  it('persists a keyring change and a leave at once, inside the throttle window', async () => {
    nodes = simNodes(33)
    const store = recordingStore()
    const key = new Uint8Array(16).fill(7)
    const n2 = await nodes.spawn('n2', 2, { config: { ...NO_PUSH_PULL, keys: [new Uint8Array(16).fill(1)] } }, { snapshotStore: store })
    await nodes.context(n2, 2_500) // past the start's records, mid-way through a window
    const t0 = nodes.clock.now()
    await n2.ask({ type: 'swim.keyring', op: 'install', key }, { timeoutMs: 1_000 })
    await nodes.context(n2, 1)
    const ring = store.saved.find((s) => s.at >= t0 && s.context.liveKeys !== undefined)
    expect(ring).toBeDefined()
    expect(ring!.at - t0).toBeLessThan(SWIM_PERSIST_THROTTLE_MS / 2)
    const t1 = nodes.clock.now()
    n2.send({ type: 'swim.leave', timeoutMs: 0 })
    await nodes.context(n2, 1)
    const leaving = store.saved.find((s) => s.at >= t1 && s.value !== 'running')
    expect(leaving).toBeDefined()
    expect(leaving!.at - t1).toBeLessThan(SWIM_PERSIST_THROTTLE_MS / 2)
  })

  it('keeps each record by reference (persist.immutable): records share what did not change, frozen under the test check', async () => {
    nodes = simNodes(34)
    const store = recordingStore()
    const key = new Uint8Array(16).fill(9)
    await nodes.spawn('n1', 1, { config: NO_PUSH_PULL })
    const n2 = await nodes.spawn('n2', 2, { join: ['10.0.0.1:7946'], config: { ...NO_PUSH_PULL, keys: [new Uint8Array(16).fill(1)] } }, { snapshotStore: store })
    await nodes.context(n2, 2_500)
    await n2.ask({ type: 'swim.keyring', op: 'install', key }, { timeoutMs: 1_000 })
    await nodes.context(n2, 2_500)
    const records = store.saved.filter((r) => r.value === 'running')
    expect(records.length).toBeGreaterThan(3)
    // No copy per record: the config view is one object until the keyring change made a new one.
    expect(new Set(records.map((r) => r.context.config)).size).toBeLessThanOrEqual(2)
    // NODE_ENV=test verifies the promise: each record deep-frozen, so a write into a kept record
    // would have crashed swim (ERR_ACTOR_SNAPSHOT_MUTATED) and restored it.
    expect(Object.isFrozen(records.at(-1)!.context.counters)).toBe(true)
    expect((await nodes.context(n2)).restores).toBe(0)
  })

  it('the urgent key is made of the facts, so counters alone do not change it', () => {
    const base = { value: 'running', context: { bound: 'a', lease: { epoch: 1, version: 2, lastReport: 3, pending: [], unapplied: [] }, joinRetry: { status: 'off', attempts: 0, nextAttemptAtMs: null }, held: [], counters: { probes: 1 } } }
    const more = { ...base, context: { ...base.context, counters: { probes: 2 } } }
    expect(swimUrgentKey(more as never)).toEqual(swimUrgentKey(base as never))
    const rebound = { ...base, context: { ...base.context, bound: 'b' } }
    expect(swimUrgentKey(rebound as never)).not.toEqual(swimUrgentKey(base as never))
  })
})
