/**
 * A snapshotter that cannot write what it received makes `system.shutdown()` unclean, in both
 * placements: the runtime carries the actor's own exit report (records unwritten, the disk error)
 * into the shutdown report instead of saying `clean: true` because nothing hung.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, type Placement } from '../../../src/runtime/index.ts'
import { fullDiskIo, fullDiskSnapshotter } from './full-disk-actor.ts'
import { ip } from './helpers.ts'

const RECORDS = 200

for (const placement of ['worker', 'inline'] as Placement[]) {
  describe(`snapshotter exit report - ${placement}`, () => {
    let system: ActorSystem | undefined
    afterEach(async () => {
      await system?.shutdown({ drainTimeoutMs: 5000 })
      system = undefined
    })

    it('reports clean: false with the records left unwritten and the disk error', { timeout: 30_000 }, async () => {
      system = await ActorSystem.start({ node: 'n1', logLevel: 'silent' })
      const io = placement === 'inline' ? fullDiskIo() : {}
      const ref = await system.spawn(fullDiskSnapshotter, {
        id: 'snapshotter',
        placement,
        // A short exit window: the disk stays full, so the shutdown ends at this timeout.
        input: { path: '/snap/node.snapshot', nodeName: 'me', shutdownTimeoutMs: 300, minCompactionBytes: 1 << 30 },
        ...io,
      })
      for (let i = 0; i < RECORDS; i++) ref.send({ type: 'snapshot.member-alive', name: `member-${i}`, addr: ip(10, 0, i >> 8, i & 255), port: 7946 })
      await expect(ref.ask({ type: 'snapshot.sync' }, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_DISK_FULL' })
      const report = await system.shutdown({ drainTimeoutMs: 10_000 })
      system = undefined
      expect(report.hung).toBeUndefined()
      expect(report.undeliveredTotal).toBe(0)
      expect(report.clean).toBe(false)
      const exit = report.exits['snapshotter']
      expect(exit).toMatchObject({ clean: false, reason: 'snapshot records left unwritten', error: { code: 'ERR_SNAPSHOT_DISK_FULL' } })
      // Some records may have fit before the disk filled; the rest are counted, none silently.
      expect(exit!.unwritten).toBeGreaterThan(0)
      expect(exit!.unwritten).toBeLessThanOrEqual(RECORDS)
    })
  })
}
