/**
 * The snapshotter's `coalesce` opt-in: runs of per-record tells become one `snapshot.records` batch
 * holding the same records in the same order, so the file is byte for byte the one the uncoalesced
 * actor writes, in both placements; refusals still count per message.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, type ActorRef, type Placement } from '../../../src/runtime/index.ts'
import { recordsOf, snapshotter } from '../../../actors/snapshotter/definition.ts'
import { nodeSnapshotterIo } from '../../../actors/snapshotter/io/node-platform.ts'
import { ip } from './helpers.ts'
import { plainSnapshotter } from './plain-actor.ts'
import type { ActorDefinition } from '../../../src/runtime/define-actor.ts'

type SnapshotterRef = typeof snapshotter extends ActorDefinition<infer M, infer TIn> ? ActorRef<M, TIn> : never

const dir = mkdtempSync(join(tmpdir(), 'gossamer-snapshotter-coalesce-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('recordsOf', () => {
  it('carries exactly the records of the messages, in order, and how many messages they were', () => {
    const a = ip(10, 0, 0, 1)
    const batch = recordsOf([
      { type: 'snapshot.member-alive', name: 'a', addr: a, port: 1 },
      { type: 'snapshot.clock', ltime: 5n },
      { type: 'snapshot.records', records: [{ kind: 'member-not-alive', name: 'b' }, { kind: 'query-clock', ltime: 2n }] },
      { type: 'snapshot.member-not-alive', name: 'a' },
      { type: 'snapshot.event-clock', ltime: 7n },
      { type: 'snapshot.query-clock', ltime: 9n },
      { type: 'snapshot.records', records: [], coalesced: 3 },
    ])
    expect(batch).toEqual({
      type: 'snapshot.records',
      coalesced: 9,
      records: [
        { kind: 'member-alive', name: 'a', addr: a, port: 1 },
        { kind: 'clock', ltime: 5n },
        { kind: 'member-not-alive', name: 'b' },
        { kind: 'query-clock', ltime: 2n },
        { kind: 'member-not-alive', name: 'a' },
        { kind: 'event-clock', ltime: 7n },
        { kind: 'query-clock', ltime: 9n },
      ],
    })
    expect(snapshotter.validate?.(batch)).toBeUndefined()
    expect(snapshotter.validate?.({ ...batch, coalesced: 0 })).toContain('coalesced')
  })

  it('is the opt-in of the record tells only (never members, asks or leave)', () => {
    expect([...(snapshotter.coalesce?.types ?? [])].sort()).toEqual(
      ['snapshot.clock', 'snapshot.event-clock', 'snapshot.member-alive', 'snapshot.member-not-alive', 'snapshot.query-clock', 'snapshot.records'].sort(),
    )
  })
})

/**
 * A mixed workload in bursts of 50 messages: member tells, batches and a sync ask (mid-burst), then
 * the three clocks; a members resync on its own at the end. The writer folds pending changes per
 * member when a drain falls behind, and when it drains depends on timing; within a burst every member
 * name is distinct and the clocks come last, so the file's lines do not depend on where drains fall
 * and both actors must write the same bytes.
 */
async function workload(ref: SnapshotterRef): Promise<number> {
  await ref.ask({ type: 'snapshot.restore' }, { timeoutMs: 5000 })
  for (let burst = 0; burst < 60; burst++) {
    const asks: Promise<unknown>[] = []
    for (let j = 0; j < 44; j++) {
      const m = (burst * 44 + j) % 300
      const i = burst * 100 + j
      let status
      if (j % 7 === 3) status = ref.send({ type: 'snapshot.member-not-alive', name: `m${m}` })
      else if (j % 9 === 5) {
        status = ref.send({ type: 'snapshot.records', records: [{ kind: 'member-not-alive', name: `m${m}` }, { kind: 'member-alive', name: `b${m}`, addr: ip(10, 2, 0, m & 255), port: i }] })
      } else if (j === 20) {
        asks.push(ref.ask({ type: 'snapshot.sync' }, { timeoutMs: 10_000 }))
        continue
      } else status = ref.send({ type: 'snapshot.member-alive', name: `m${m}`, addr: ip(10, 1, m >> 8, m & 255), port: i })
      if (status === 'backpressure') await ref.ready()
    }
    ref.send({ type: 'snapshot.clock', ltime: BigInt(burst * 3) })
    ref.send({ type: 'snapshot.event-clock', ltime: BigInt(burst * 3 + 1) })
    ref.send({ type: 'snapshot.query-clock', ltime: BigInt(burst * 3 + 2) })
    asks.push(ref.ask({ type: 'snapshot.sync' }, { timeoutMs: 10_000 }))
    await Promise.all(asks)
  }
  ref.send({ type: 'snapshot.members', members: [{ name: 'm1', addr: ip(10, 3, 0, 1), port: 1 }, { name: 'b2', addr: ip(10, 3, 0, 2), port: 2 }] })
  const progress = await ref.ask({ type: 'snapshot.sync' }, { timeoutMs: 10_000 })
  return progress.received
}

for (const placement of ['worker', 'inline'] as Placement[]) {
  describe(`snapshotter coalescing - ${placement}`, () => {
    let system: ActorSystem | undefined
    afterEach(async () => {
      await system?.shutdown({ drainTimeoutMs: 5000 })
      system = undefined
    })

    async function run(def: typeof snapshotter, name: string): Promise<{ file: Buffer; received: number; handled: number }> {
      const path = join(dir, `${placement}-${name}.snap`)
      system = await ActorSystem.start({ node: 'n1', logLevel: 'silent' })
      // No compaction: its timing is not part of what is compared.
      const input = { path, nodeName: 'me', minCompactionBytes: 1 << 30 }
      const ref = await system.spawn(def, { id: 'snapshotter', placement, input, ...nodeSnapshotterIo() })
      const received = await workload(ref)
      const handled = (await ref.stats()).handled
      const report = await system.shutdown({ drainTimeoutMs: 10_000 })
      system = undefined
      expect(report.clean).toBe(true)
      return { file: readFileSync(path), received, handled }
    }

    it('writes the same file as the uncoalesced actor, with the same watermarks and counts', { timeout: 60_000 }, async () => {
      const coalesced = await run(snapshotter, 'coalesced')
      const plain = await run(plainSnapshotter as unknown as typeof snapshotter, 'plain')
      expect(coalesced.file.length).toBeGreaterThan(5_000)
      expect(coalesced.file.equals(plain.file)).toBe(true)
      expect(coalesced.received).toBe(plain.received)
      expect(coalesced.handled).toBe(plain.handled)
    })

    it('counts refused record tells per message when the file cannot be opened', { timeout: 30_000 }, async () => {
      system = await ActorSystem.start({ node: 'n1', logLevel: 'silent' })
      const path = join(dir, 'no-such-dir', 'x', 'node.snap')
      const ref = await system.spawn(snapshotter, { id: 'snapshotter', placement, input: { path }, ...nodeSnapshotterIo() })
      await ref.ask({ type: 'snapshot.restore' }, { timeoutMs: 5000 }).catch(() => undefined)
      for (let i = 0; i < 10; i++) ref.send({ type: 'snapshot.member-alive', name: `m${i}`, addr: ip(10, 0, 0, i), port: i })
      ref.send({ type: 'snapshot.records', records: [{ kind: 'clock', ltime: 1n }] })
      ref.send({ type: 'snapshot.clock', ltime: 2n })
      const stats = await ref.ask({ type: 'snapshot.stats' }, { timeoutMs: 5000 })
      expect(stats.refused).toBe(12)
      expect((await ref.stats()).handled).toBe(14)
    })
  })
}
