/**
 * The snapshotter on the real actor runtime, in both placements (its own worker thread, and inline),
 * on the real disk: restore, 10,000 records then an immediate system shutdown with nothing lost,
 * sync/stats asks, leave, and the `snapshot.durable` notice to another actor.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, type Placement } from '../../../src/runtime/index.ts'
import { snapshotter } from '../../../actors/snapshotter/definition.ts'
import { nodeSnapshotterIo } from '../../../actors/snapshotter/io/node-platform.ts'
import { replaySnapshot } from '../../../actors/snapshotter/replay.ts'
import { ip } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'gossamer-snapshotter-actor-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

for (const placement of ['worker', 'inline'] as Placement[]) {
  describe(`snapshotter actor - ${placement}`, () => {
    let system: ActorSystem | undefined
    afterEach(async () => {
      await system?.shutdown({ drainTimeoutMs: 5000 })
      system = undefined
    })

    it('restores, records 10,000 changes, and loses none at an immediate shutdown', { timeout: 30_000 }, async () => {
      const path = join(dir, `${placement}-a.snap`)
      writeFileSync(path, 'alive: me 10.0.0.1:7946\nalive: old 10.0.0.9:7946\nevent-clock: 41\n')
      system = await ActorSystem.start({ node: 'n1', logLevel: 'silent' })
      const ref = await system.spawn(snapshotter, { id: 'snapshotter', placement, input: { path, nodeName: 'me' }, ...nodeSnapshotterIo() })
      const restored = await ref.ask({ type: 'snapshot.restore' }, { timeoutMs: 5000 })
      expect(restored.previousNodes).toEqual([{ name: 'old', addr: '10.0.0.9:7946' }])
      expect(restored.eventMinTime).toBe(42n)
      const alive = new Map<string, string>([['me', '10.0.0.1:7946'], ['old', '10.0.0.9:7946']])
      for (let i = 0; i < 10_000; i++) {
        const m = i % 700
        const status =
          i % 5 === 4
            ? ref.send({ type: 'snapshot.member-not-alive', name: `m${m}` })
            : ref.send({ type: 'snapshot.member-alive', name: `m${m}`, addr: ip(10, 1, m >> 8, m & 255), port: i })
        if (i % 5 === 4) alive.delete(`m${m}`)
        else alive.set(`m${m}`, `10.1.${m >> 8}.${m & 255}:${i}`)
        expect(['ok', 'backpressure']).toContain(status)
        if (status === 'backpressure') await ref.ready()
      }
      ref.send({ type: 'snapshot.clock', ltime: 77n })
      const report = await system.shutdown({ drainTimeoutMs: 10_000 })
      system = undefined
      expect(report.clean).toBe(true)
      expect(report.undeliveredTotal).toBe(0)
      const r = replaySnapshot(readFileSync(path))
      expect(new Map([...r.aliveNodes].sort())).toEqual(new Map([...alive].sort()))
      expect(r.lastClock).toBe(77n)
      expect(r.lastEventClock).toBe(41n)
      expect(r.counts.corruptSpans + r.counts.tornBytes).toBe(0)
    })

    it('answers sync, stats and leave asks, and rejects malformed records', { timeout: 30_000 }, async () => {
      const path = join(dir, `${placement}-b.snap`)
      system = await ActorSystem.start({ node: 'n1', logLevel: 'silent' })
      const ref = await system.spawn(snapshotter, { id: 'snapshotter', placement, input: { path, durability: 'always' }, ...nodeSnapshotterIo() })
      ref.send({ type: 'snapshot.records', records: [{ kind: 'member-alive', name: 'a', addr: ip(127, 0, 0, 1), port: 1 }, { kind: 'event-clock', ltime: 5n }] })
      const synced = await ref.ask({ type: 'snapshot.sync' }, { timeoutMs: 5000 })
      expect(synced).toMatchObject({ received: 2, durableThrough: 2 })
      // a resync to the member layer's full alive set records only the difference
      ref.send({ type: 'snapshot.members', members: [{ name: 'a', addr: ip(127, 0, 0, 1), port: 1 }, { name: 'z', addr: ip(127, 0, 0, 9), port: 9 }] })
      expect(await ref.ask({ type: 'snapshot.sync' }, { timeoutMs: 5000 })).toMatchObject({ received: 3, durableThrough: 3 })
      expect(readFileSync(path, 'utf8')).toContain('alive: z 127.0.0.9:9\n')
      ref.send({ type: 'snapshot.member-alive', name: 'bad\nname', addr: ip(1, 1, 1, 1), port: 1 })
      ref.send({ type: 'snapshot.records', records: [{ kind: 'clock', ltime: 5 as unknown as bigint }] })
      const left = await ref.ask({ type: 'snapshot.leave' }, { timeoutMs: 5000 })
      expect(left.durableThrough).toBe(3)
      expect(readFileSync(path, 'utf8')).toMatch(/alive: a 127\.0\.0\.1:1\n[\s\S]*event-clock: 5\n[\s\S]*leave\n/)
      ref.send({ type: 'snapshot.member-alive', name: 'b', addr: ip(127, 0, 0, 2), port: 2 })
      const stats = await ref.ask({ type: 'snapshot.stats' }, { timeoutMs: 5000 })
      expect(stats).toMatchObject({ leaves: 1, ignoredAfterLeave: 1, fsyncs: expect.any(Number) })
      expect((await ref.stats()).invalid).toBe(2)
      const snap = await ref.getSnapshot()
      expect(snap.value).toEqual({ running: 'left' })
    })
  })
}
