/**
 * Immutable records persisted from a worker thread cross as the objects the system thread has not
 * seen yet (src/runtime/graph-encoder.ts, graph-decoder.ts): the records the system keeps share
 * their unchanged parts as the actor's did, and a thread started from the kept record (here a spawn
 * after a stop, on the same store) has the whole state back.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, memorySnapshotStore } from '../../src/runtime/index.ts'
import { memberManager } from '../../actors/member-manager/definition.ts'
import { MAX_NODE_CHANGES, type NodeChange } from '../../actors/member-manager/protocol.ts'
import { node } from '../actors/member-manager/fixtures.ts'
import { ledger } from './support/ledger/definition.ts'
import { waitFor } from './support/placement-suite.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

const N = 20_000

/** The member table's size in a member-manager record, as the store keeps it. */
function tableSize(snapshot: unknown): number | undefined {
  return (snapshot as { context?: { core?: { table?: { records?: { size?: number } } } } } | undefined)?.context?.core?.table?.records?.size
}

/** The first object under `root` (plain objects and arrays) whose `name` is `name` and that has tags (a member). */
function findNamed(root: unknown, name: string): Record<string, unknown> | undefined {
  const stack: unknown[] = [root]
  const seen = new Set<object>()
  while (stack.length > 0) {
    const v = stack.pop()
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || seen.has(v)) continue
    seen.add(v)
    if ((v as { name?: unknown }).name === name && 'tags' in v) return v as Record<string, unknown>
    for (const x of Object.values(v)) stack.push(x)
  }
  return undefined
}

describe('structure-sharing persist in the worker placement', () => {
  it('keeps records whose untouched parts are the same objects as the record before', async () => {
    const store = memorySnapshotStore()
    system = await ActorSystem.start({ logLevel: 'silent', snapshotStore: store })
    const ref = await system.spawn(ledger, { id: 'k', placement: 'worker' })
    ref.send({ type: 'ledger.add', key: 'a', amount: 1 })
    await waitFor(() => (store.records.get('k')?.snapshot as { context?: { order?: string[] } } | undefined)?.context?.order?.length === 1)
    const first = store.records.get('k')!.snapshot as { context: { entries: Record<string, unknown>; order: string[] } }
    ref.send({ type: 'ledger.add', key: 'b', amount: 2 })
    await waitFor(() => (store.records.get('k')?.snapshot as typeof first).context.order.length === 2)
    const second = store.records.get('k')!.snapshot as typeof first
    expect(second.context.entries).toMatchObject({ a: { amount: 1 }, b: { amount: 2 } })
    // Sent once, rebuilt once: the second record refers to the first record's entry (a whole clone
    // per persist would make it a new object), and both are frozen (they share parts).
    expect(second.context.entries['a']).toBe(first.context.entries['a'])
    expect(Object.isFrozen(second.context.entries['a'])).toBe(true)
    expect(Object.isFrozen(first.context)).toBe(true)
  })

  it(`member-manager at ${N} members: a thread started from the kept record has every member`, async () => {
    const store = memorySnapshotStore()
    const start = () => ActorSystem.start({ logLevel: 'silent', snapshotStore: store })
    system = await start()
    const mm = await system.spawn(memberManager, { id: 'member-manager', placement: 'worker', input: { config: { nodeName: 'self' } } })
    let seq = 0
    for (let from = 0; from < N; from += MAX_NODE_CHANGES) {
      const changes: NodeChange[] = []
      for (let i = from; i < Math.min(N, from + MAX_NODE_CHANGES); i++) changes.push({ kind: 'joined', node: node(`m${i}`, { role: 'web' }) })
      mm.send({ type: 'member.nodes-changed', seq: ++seq, changes })
    }
    // One member's tags change after the table is full: a later record carries only that path.
    mm.send({ type: 'member.nodes-changed', seq: ++seq, changes: [{ kind: 'updated', node: node('m77', { role: 'db' }) }] })
    const live = await mm.ask({ type: 'member.members' }, { timeoutMs: 15_000 })
    expect(live.members.length).toBe(N)
    // member-manager persists at most once a second; a change inside that window waits for the
    // first turn after it, so keep giving it turns until the record holds the update.
    const kept = () => (findNamed(store.records.get('member-manager')?.snapshot, 'm77')?.['tags'] as { role?: string } | undefined)?.role === 'db'
    for (const end = Date.now() + 30_000; !kept() && Date.now() < end; ) {
      await mm.ask({ type: 'member.members', statuses: ['left'] }, { timeoutMs: 15_000 })
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(kept()).toBe(true)
    expect(tableSize(store.records.get('member-manager')!.snapshot)).toBe(N)
    await system.shutdown({ drainTimeoutMs: 5000 })
    // A new system on the same store: the new thread starts from the record the system thread rebuilt.
    system = await start()
    const again = await system.spawn(memberManager, { id: 'member-manager', placement: 'worker', input: { config: { nodeName: 'self' } } })
    const back = await again.ask({ type: 'member.members' }, { timeoutMs: 15_000 })
    expect(back.members.length).toBe(N)
    expect(new Set(back.members.map((m) => m.name)).size).toBe(N)
    expect(back.members.find((m) => m.name === 'm77')?.tags).toEqual({ role: 'db' })
    expect(back.members.find((m) => m.name === `m${N - 1}`)?.tags).toEqual({ role: 'web' })
  }, 60_000)
})
