/**
 * A snapshot file that cannot be opened, and a config that is invalid: every ask is answered or
 * failed with a coded error (never left hanging, never looping), and every refused record is counted.
 * The writer on a MemoryDisk whose open the test releases, then the actor in both placements.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, type Placement } from '../../../src/runtime/index.ts'
import { snapshotter } from '../../../actors/snapshotter/definition.ts'
import { nodeSnapshotterIo } from '../../../actors/snapshotter/io/node-platform.ts'
import { MemoryDisk } from './memory-disk.ts'
import { makeWriter, tick } from './helpers.ts'

/** A disk whose `openAppend` waits until the test calls `fail()`, then throws. */
function failingOpenDisk(): { disk: MemoryDisk; fail: () => void } {
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const disk = new MemoryDisk(async (op) => {
    if (op !== 'openAppend') return
    await gate
    throw Object.assign(new Error('ENOENT: no such directory'), { code: 'ENOENT' })
  })
  return { disk, fail: release }
}

describe('writer: the open fails while asks wait', () => {
  it('leave during a failing open rejects with the open error (no retry loop)', async () => {
    const { disk, fail } = failingOpenDisk()
    const { writer } = makeWriter({}, { disk })
    const opened = writer.open().catch((e: unknown) => e)
    writer.alive('a', '10.0.0.1:1')
    const left = writer.leave().catch((e: unknown) => e)
    await tick()
    fail()
    expect(await opened).toMatchObject({ code: 'ERR_SNAPSHOT_OPEN' })
    expect(await left).toMatchObject({ code: 'ERR_SNAPSHOT_OPEN' })
    // Later asks fail at once with the same error; later records are refused and counted.
    await expect(writer.leave()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_OPEN' })
    await expect(writer.sync()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_OPEN' })
    writer.notAlive('a')
    writer.memberClock(3n)
    expect(writer.stats().refused).toBe(3)
    const report = await writer.shutdown()
    expect(report.clean).toBe(false)
  })

  it('sync during a failing open rejects every durability waiter', async () => {
    const { disk, fail } = failingOpenDisk()
    const { writer } = makeWriter({}, { disk })
    const opened = writer.open().catch(() => undefined)
    writer.alive('a', '10.0.0.1:1')
    const first = writer.sync().catch((e: unknown) => e)
    writer.eventClock(5n)
    const second = writer.sync().catch((e: unknown) => e)
    fail()
    await opened
    expect(await first).toMatchObject({ code: 'ERR_SNAPSHOT_OPEN' })
    expect(await second).toMatchObject({ code: 'ERR_SNAPSHOT_OPEN' })
    expect(writer.stats().refused).toBe(2)
    await writer.shutdown()
  })
})

describe('writer: replay accounting in stats', () => {
  it('carries unknown and unreadable lines from replay, not only corrupt lines and torn bytes', async () => {
    const disk = new MemoryDisk()
    disk.put('/snap/node.snapshot', 'alive: a 127.0.0.1:1\nbogus line\nclock: x\nclock: 2\n')
    const { writer } = makeWriter({ checksums: false }, { disk })
    await writer.open()
    expect(writer.stats()).toMatchObject({ unknownLines: 1, badLines: 1, corruptLines: 0, tornBytes: 0, refused: 0 })
    await writer.shutdown()
  })
})

describe('writer: a file over the size cap', () => {
  it('fails the open with a coded error instead of reading it all', async () => {
    const disk = new MemoryDisk()
    disk.put('/snap/node.snapshot', 'alive: a 127.0.0.1:1\n'.repeat(100))
    const { writer } = makeWriter({ maxFileBytes: 1000 }, { disk })
    const err = await writer.open().catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_SNAPSHOT_OPEN', cause: { code: 'ERR_SNAPSHOT_FILE_TOO_LARGE' } })
    await expect(writer.sync()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_OPEN' })
    await writer.shutdown()
  })
})

for (const placement of ['worker', 'inline'] as Placement[]) {
  describe(`snapshotter actor - ${placement}: unusable file or config`, () => {
    let system: ActorSystem | undefined
    afterEach(async () => {
      await system?.shutdown({ drainTimeoutMs: 5000 })
      system = undefined
    })

    it('answers leave, sync and stats asks sent while a failing open runs', { timeout: 15_000 }, async () => {
      system = await ActorSystem.start({ node: 'n1', logLevel: 'silent' })
      const ref = await system.spawn(snapshotter, { id: 's', placement, input: { path: '/proc/nope/x.snap' }, ...nodeSnapshotterIo() })
      // Sent at once: they reach the actor while the open is still in flight.
      ref.send({ type: 'snapshot.member-not-alive', name: 'x' })
      const results = await Promise.allSettled([
        ref.ask({ type: 'snapshot.leave' }, { timeoutMs: 3000 }),
        ref.ask({ type: 'snapshot.sync' }, { timeoutMs: 3000 }),
      ])
      for (const r of results) {
        expect(r.status).toBe('rejected')
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_SNAPSHOT_OPEN' })
      }
      ref.send({ type: 'snapshot.member-not-alive', name: 'y' })
      const stats = await ref.ask({ type: 'snapshot.stats' }, { timeoutMs: 3000 })
      expect(stats.refused).toBe(2)
      expect((await ref.getSnapshot()).value).toBe('failed')
    })

    it('answers every ask when the config is invalid, counting refused records', { timeout: 15_000 }, async () => {
      system = await ActorSystem.start({ node: 'n1', logLevel: 'silent' })
      const input = { path: '/tmp/never-written.snap', durability: 'bogus' } as unknown as { path: string }
      const ref = await system.spawn(snapshotter, { id: 's', placement, input, ...nodeSnapshotterIo() })
      ref.send({ type: 'snapshot.member-not-alive', name: 'x' })
      await expect(ref.ask({ type: 'snapshot.sync' }, { timeoutMs: 3000 })).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_/) })
      await expect(ref.ask({ type: 'snapshot.leave' }, { timeoutMs: 3000 })).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_/) })
      ref.send({ type: 'snapshot.clock', ltime: 4n })
      const stats = await ref.ask({ type: 'snapshot.stats' }, { timeoutMs: 3000 })
      expect(stats.refused).toBe(2)
      expect(stats.events).toBe(0)
    })
  })
}
