/**
 * A disk that fills up and frees again (issue 10): a sync waiting on a failed write fails with a
 * coded error instead of hanging, the error shows in stats until the write is repaired, a shutdown
 * that cannot write says so, and once space returns writing resumes with nothing lost and no
 * corrupt span (the bytes a short write left are cut before the append is re-done). A failed fsync
 * never lets later fsyncs claim what it may have lost. Manual timers drive the retries.
 */
import { describe, expect, it } from 'vitest'
import { replaySnapshot } from '../../../actors/snapshotter/replay.ts'
import { LimitedDisk } from './limited-disk.ts'
import { MemoryDisk } from './memory-disk.ts'
import { makeWriter, ManualTimers, PATH, tick } from './helpers.ts'
import { events, Model, offer, replayKey } from './model.ts'

/** Lets the pump run (the retry timer only marks the repair due; the pump does it next turn). */
const settle = async (n = 10) => {
  for (let i = 0; i < n; i++) await tick()
}

function fullDisk(capacity: number) {
  const disk = new MemoryDisk()
  const fs = new LimitedDisk(capacity, disk)
  const timers = new ManualTimers()
  const w = makeWriter({ minCompactionBytes: 1 << 30 }, { disk, fs, timers })
  return { ...w, fs, timers }
}

describe('snapshotter - a full disk', () => {
  it('fails sync with ERR_SNAPSHOT_DISK_FULL, shows it in stats, and resumes when space returns', async () => {
    const { writer, disk, fs, timers } = fullDisk(4096)
    await writer.open()
    const model = new Model()
    const gen = events(21, 100_000, 400)
    const feed = (n: number) => {
      for (let i = 0; i < n; i++) {
        const e = gen.next().value!
        model.apply(e)
        offer(writer, e)
      }
    }
    feed(100)
    await writer.sync() // fits
    feed(400) // does not fit: a short write, then ENOSPC
    await expect(writer.sync()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_DISK_FULL', details: { op: 'append', errno: 'ENOSPC' } })
    expect(fs.fullErrors).toBe(1)
    const stuck = writer.stats()
    expect(stuck.diskError).toMatchObject({ code: 'ERR_SNAPSHOT_DISK_FULL' })
    expect(stuck.durableThrough).toBe(100)
    // Asked again while the disk is full: the same coded error at once, not a hang.
    await expect(writer.sync()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_DISK_FULL' })
    feed(300) // still taken (coalesced per member) while the disk is full
    timers.advance(1000) // a retry while still full fails again
    await settle()
    expect(writer.stats()).toMatchObject({ diskRetries: 1, diskError: { code: 'ERR_SNAPSHOT_DISK_FULL' } })
    fs.capacity = 1 << 20 // space returns
    timers.advance(1000)
    await settle()
    expect(writer.stats().diskError).toBeNull()
    await expect(writer.sync()).resolves.toMatchObject({ received: 800, durableThrough: 800 })
    const r = replaySnapshot(disk.get(PATH)!)
    expect(r.counts.corruptSpans + r.counts.tornBytes + r.counts.badLines + r.counts.unknownLines).toBe(0)
    expect(replayKey(r)).toBe(model.key())
    expect(await writer.shutdown()).toMatchObject({ clean: true, remaining: 0 })
  })

  it('reports a shutdown on a full disk as not clean, with what is missing and why', async () => {
    const { writer, disk, timers } = fullDisk(2048)
    await writer.open()
    for (let i = 0; i < 200; i++) writer.alive(`m${i}`, `10.0.0.${i}:7946`)
    await expect(writer.sync()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_DISK_FULL' })
    const shutdown = writer.shutdown(3000)
    await settle()
    timers.advance(1000) // retries during the shutdown window fail too
    await settle()
    timers.advance(2000) // the shutdown timeout
    const report = await shutdown
    expect(report).toMatchObject({ clean: false, remaining: 200, received: 200, durableThrough: 0, error: { code: 'ERR_SNAPSHOT_DISK_FULL' } })
    expect(writer.stats().diskRetries).toBeGreaterThanOrEqual(1)
    expect(timers.pending).toBe(0) // no retry left scheduled
    // What the short writes left was cut: the file holds whole lines only.
    expect(replaySnapshot(disk.get(PATH)!).counts.corruptSpans).toBe(0)
  })

  it('finishes a shutdown cleanly when space returns within its timeout', async () => {
    const { writer, disk, fs, timers } = fullDisk(2048)
    await writer.open()
    for (let i = 0; i < 200; i++) writer.alive(`m${i}`, `10.0.0.${i}:7946`)
    await expect(writer.sync()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_DISK_FULL' })
    const shutdown = writer.shutdown(5000)
    await settle()
    fs.capacity = 1 << 20
    timers.advance(1000)
    await settle()
    expect(await shutdown).toMatchObject({ clean: true, remaining: 0, durableThrough: 200 })
    expect(replaySnapshot(disk.get(PATH)!).aliveNodes.size).toBe(200)
  })

  it('after a failed fsync, counts nothing durable again until the file is rewritten from memory', async () => {
    let failSync = false
    const disk = new MemoryDisk((op, path) => {
      if (op === 'sync' && failSync && path === PATH) {
        failSync = false
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })
      }
    })
    const timers = new ManualTimers()
    const { writer } = makeWriter({ minCompactionBytes: 1 << 30 }, { disk, timers })
    await writer.open()
    writer.alive('a', '1.1.1.1:1')
    await writer.sync()
    failSync = true
    writer.alive('b', '2.2.2.2:2')
    await expect(writer.sync()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_DISK', details: { op: 'fsync' } })
    // The written line may be gone from the page cache: not even "written" counts any more.
    expect(writer.progress()).toMatchObject({ received: 2, writtenThrough: 1, durableThrough: 1 })
    timers.advance(1000) // the repair: a compaction rewrites the file from memory
    await settle(30)
    expect(writer.stats()).toMatchObject({ diskError: null, compactions: 1 })
    await expect(writer.sync()).resolves.toMatchObject({ durableThrough: 2 })
    expect([...replaySnapshot(disk.crashImage().get(PATH)!).aliveNodes.keys()].sort()).toEqual(['a', 'b'])
    expect((await writer.shutdown()).clean).toBe(true)
  })

  it('carries a leave recorded during a failed fsync into the rewritten file', async () => {
    let failSync = false
    const disk = new MemoryDisk((op, path) => {
      if (op === 'sync' && failSync && path === PATH) {
        failSync = false
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })
      }
    })
    const timers = new ManualTimers()
    const { writer } = makeWriter({ minCompactionBytes: 1 << 30 }, { disk, timers })
    await writer.open()
    writer.alive('a', '1.1.1.1:1')
    failSync = true
    await expect(writer.sync()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_DISK' })
    // The leave is recorded, and its caller learns the disk is failing.
    await expect(writer.leave()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_DISK' })
    writer.memberClock(5n)
    timers.advance(1000)
    await settle(30)
    expect(writer.stats()).toMatchObject({ diskError: null, compactions: 1 })
    await expect(writer.sync()).resolves.toMatchObject({ received: 2, durableThrough: 2 })
    const r = replaySnapshot(disk.crashImage().get(PATH)!)
    expect(r.left).toBe(true)
    expect(r.aliveNodes.size).toBe(0)
    expect(r.lastClock).toBe(5n)
    expect(r.counts.leaves).toBe(1)
    expect((await writer.shutdown()).clean).toBe(true)
  })
})
