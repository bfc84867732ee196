import { describe, expect, it } from 'vitest'
import { MemoryDisk } from './memory-disk.ts'
import { replaySnapshot } from '../../../actors/snapshotter/replay.ts'
import { makeWriter, ManualTimers, PATH, tick } from './helpers.ts'
import { events, Model, offer, replayKey } from './model.ts'

const replayOf = (disk: MemoryDisk, rejoinAfterLeave = false) => replaySnapshot(disk.get(PATH) ?? new Uint8Array(0), { rejoinAfterLeave })

describe('snapshotter - writer', () => {
  it('loses nothing when shut down right after 10,000 events', async () => {
    const { writer, disk } = makeWriter()
    await writer.open()
    const model = new Model()
    for (const e of events(1, 10_000, 2_000)) {
      model.apply(e)
      offer(writer, e)
    }
    const report = await writer.shutdown()
    expect(report).toMatchObject({ clean: true, remaining: 0, received: 10_000, durableThrough: 10_000 })
    // what a power loss right now would keep: the shutdown fsynced everything
    expect(replayKey(replaySnapshot(disk.crashImage().get(PATH)!))).toBe(model.key())
    expect(replayKey(replayOf(disk))).toBe(model.key())
  })

  it('never blocks the sender on a slow disk and keeps the final state, memory bounded by members', async () => {
    // The disk completes an append or fsync only when the test lets it: the disk is behind for
    // as long as the test says, with no real timers.
    const held: Array<() => void> = []
    const disk = new MemoryDisk((op) => {
      if (op === 'append' || op === 'sync') return new Promise<void>((r) => held.push(r))
    })
    const { writer } = makeWriter({}, { disk })
    await writer.open()
    const model = new Model()
    const members = 500
    let maxDepth = 0
    let delays = 0
    const totalOps = () => Object.values(disk.ops).reduce((a, b) => a + b, 0)
    const gen = events(2, 60_000, members)
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 2_000; i++) {
        const e = gen.next().value!
        model.apply(e)
        const before = totalOps()
        offer(writer, e)
        // Structural: an offer starts no disk operation and awaits none (it is synchronous and O(1)).
        expect(totalOps()).toBe(before)
      }
      maxDepth = Math.max(maxDepth, writer.stats().queueDepth)
      await tick() // the sender yields; the writer is waiting on the disk
      // The disk catches up only every third round: it stays behind the sender.
      if (round % 3 === 2) {
        delays += held.length
        for (const r of held.splice(0)) r()
      }
    }
    const stats = writer.stats()
    expect(stats.received).toBe(60_000)
    expect(stats.writtenThrough).toBeLessThan(60_000) // the disk really was behind
    expect(maxDepth).toBeLessThanOrEqual(members + 3)
    expect(stats.coalesced).toBeGreaterThan(0)
    const synced = writer.sync()
    let done = false
    void synced.then(() => (done = true))
    while (!done) {
      for (const r of held.splice(0)) r()
      await tick()
    }
    expect(replayKey(replayOf(disk))).toBe(model.key())
    expect(delays).toBeGreaterThan(0)
    const shutdown = writer.shutdown()
    for (let i = 0; i < 5; i++) {
      for (const r of held.splice(0)) r()
      await tick()
    }
    expect((await shutdown).clean).toBe(true)
  })

  it('compacts under a continuous stream without losing or reordering any member record', async () => {
    const { writer, disk, notices } = makeWriter({ minCompactionBytes: 4096, compactionChunkLines: 16 })
    await writer.open()
    const model = new Model()
    const gen = events(3, 40_000, 200)
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 200; i++) {
        const e = gen.next().value!
        model.apply(e)
        offer(writer, e)
      }
      await tick()
      if (round % 50 === 49) {
        await writer.sync()
        expect(replayKey(replayOf(disk))).toBe(model.key())
      }
    }
    await writer.sync()
    const text = disk.text(PATH)
    // Per member, the versions (ports) in the file only ever increase: no reordering.
    const last = new Map<string, number>()
    for (const line of text.split('\n')) {
      const m = /^alive: (\S+) [\d.]+:(\d+)$/.exec(line)
      if (m === null) continue
      const v = Number(m[2])
      expect(v, line).toBeGreaterThanOrEqual(last.get(m[1]!) ?? 0)
      last.set(m[1]!, v)
    }
    expect(replayKey(replayOf(disk))).toBe(model.key())
    const stats = writer.stats()
    expect(stats.compactions).toBeGreaterThan(3)
    expect(notices.filter((n) => n.kind === 'compaction-finished').length).toBe(stats.compactions)
    expect(disk.list()).toEqual([PATH]) // no temp file left
    await writer.shutdown()
  })

  it('leaves a correct file after a power loss at any point of a compaction (always policy)', async () => {
    const images: Array<{ disk: MemoryDisk; durable: number }> = []
    let w: ReturnType<typeof makeWriter>['writer'] | undefined
    const disk = new MemoryDisk((op) => {
      if (w !== undefined) images.push({ disk: disk.crashImage(), durable: w.progress().durableThrough })
      void op
    })
    const { writer } = makeWriter({ durability: 'always', minCompactionBytes: 2048, compactionChunkLines: 8 }, { disk })
    w = writer
    await writer.open()
    const model = new Model()
    const keys: string[] = [model.key()]
    const gen = events(4, 3_000, 60)
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 30; i++) {
        const e = gen.next().value!
        model.apply(e)
        keys.push(model.key())
        offer(writer, e)
      }
      await tick()
    }
    await writer.shutdown()
    expect(writer.stats().compactions).toBeGreaterThan(2)
    expect(images.length).toBeGreaterThan(100)
    for (const { disk: image, durable } of images) {
      expect(image.list().filter((p) => p === PATH).length).toBeLessThanOrEqual(1)
      const r = replaySnapshot(image.get(PATH) ?? new Uint8Array(0))
      expect(r.counts.corruptSpans).toBe(0)
      const key = replayKey(r)
      // The image holds the state after some prefix of the stream that includes every acked record.
      const at = keys.indexOf(key, durable)
      expect(at, `image with durable=${durable}`).toBeGreaterThanOrEqual(durable)
    }
  })

  it('fsyncs the leave before it resolves and ignores member records after it', async () => {
    const { writer, disk } = makeWriter()
    await writer.open()
    writer.alive('a', '1.1.1.1:1')
    writer.memberClock(4n)
    writer.eventClock(2n)
    await writer.leave()
    expect(disk.crashImage().text(PATH)).toMatch(/alive: a 1\.1\.1\.1:1\n[\s\S]*leave\n/)
    writer.alive('b', '2.2.2.2:2')
    writer.eventClock(9n)
    writer.memberClock(7n) // the member clock is still recorded, as Serf's clock ticker does
    await writer.sync()
    expect(writer.stats().ignoredAfterLeave).toBe(2)
    const r = replayOf(disk)
    expect(r.left).toBe(true)
    expect(r.aliveNodes.size).toBe(0)
    expect(r.lastClock).toBe(7n)
    expect(r.lastEventClock).toBe(0n)
    await writer.shutdown()
  })

  it('keeps members and records later changes after a leave with rejoin-after-leave', async () => {
    const { writer, disk } = makeWriter({ rejoinAfterLeave: true })
    await writer.open()
    writer.alive('a', '1.1.1.1:1')
    await writer.leave()
    writer.alive('b', '2.2.2.2:2')
    await writer.shutdown()
    const r = replayOf(disk, true)
    expect([...r.aliveNodes.keys()].sort()).toEqual(['a', 'b'])
    expect(replayOf(disk, false).aliveNodes.size).toBe(1) // Serf without -rejoin: only what followed the leave
  })

  it('fsyncs per policy: serf only on demand, interval on its timer, always per batch', async () => {
    const s = makeWriter({ durability: 'serf' })
    await s.writer.open()
    for (let i = 0; i < 5; i++) {
      s.writer.alive(`n${i}`, '1.1.1.1:1')
      await tick()
      await tick()
    }
    expect(s.writer.stats().batches).toBe(5)
    expect(s.disk.ops.sync).toBe(0)
    await s.writer.shutdown()
    expect(s.disk.ops.sync).toBe(1)

    const a = makeWriter({ durability: 'always' })
    await a.writer.open()
    for (let i = 0; i < 5; i++) {
      a.writer.alive(`n${i}`, '1.1.1.1:1')
      await tick()
      await tick()
    }
    expect(a.disk.ops.sync).toBe(a.writer.stats().batches)
    expect(a.writer.progress().durableThrough).toBe(5)
    await a.writer.shutdown()

    const timers = new ManualTimers()
    const v = makeWriter({ durability: 'interval', fsyncIntervalMs: 1000 }, { timers })
    await v.writer.open()
    v.writer.alive('x', '1.1.1.1:1')
    await tick()
    await tick()
    expect(v.disk.ops.sync).toBe(0)
    timers.advance(1000)
    await tick()
    await tick()
    expect(v.disk.ops.sync).toBe(1)
    expect(v.writer.progress().durableThrough).toBe(1)
    timers.advance(1000) // nothing new written: no fsync
    await tick()
    expect(v.disk.ops.sync).toBe(1)
    await v.writer.shutdown()
    expect(timers.pending).toBe(0) // nothing left scheduled after shutdown
  })

  it('keeps fsyncing on the interval while a sender never pauses', async () => {
    const timers = new ManualTimers()
    // Each append takes a turn, so new records are always pending when a batch completes.
    const disk = new MemoryDisk(async (op) => {
      if (op === 'append') await tick()
    })
    const { writer } = makeWriter({ durability: 'interval', fsyncIntervalMs: 100 }, { timers, disk })
    await writer.open()
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) writer.alive(`n${i}`, `1.1.1.1:${round}`)
      if (round % 10 === 9) timers.advance(100)
      await tick()
    }
    expect(disk.ops.sync).toBeGreaterThanOrEqual(4)
    expect(writer.progress().durableThrough).toBeGreaterThan(0)
    await writer.shutdown()
  })

  it('cuts a torn tail and rewrites a corrupt file clean at open', async () => {
    const disk = new MemoryDisk()
    const first = makeWriter({}, { disk })
    await first.writer.open()
    first.writer.alive('a', '1.1.1.1:1')
    await first.writer.sync()
    first.writer.alive('b', '2.2.2.2:2')
    await first.writer.shutdown()
    const good = disk.text(PATH)
    // corrupt b's span and add a torn line
    disk.put(PATH, good.replace('2.2.2.2', '2.9.2.2') + 'alive: c 3.3')
    const second = makeWriter({}, { disk })
    const r = await second.writer.open()
    expect(r.counts.corruptLines).toBe(1)
    expect(r.counts.tornBytes).toBe('alive: c 3.3'.length)
    second.writer.alive('d', '4.4.4.4:4')
    await second.writer.sync()
    for (let i = 0; i < 20 && second.writer.stats().compactions === 0; i++) await tick()
    expect(second.writer.stats()).toMatchObject({ corruptLines: 1, compactions: 1 })
    const after = replayOf(disk)
    expect([...after.aliveNodes.keys()].sort()).toEqual(['a', 'd'])
    expect(after.counts.corruptSpans + after.counts.tornBytes).toBe(0)
    await second.writer.shutdown()
  })

  it('fails the waiting sync with a coded error when an append fails, then re-does the append', async () => {
    let failNext = false
    const disk = new MemoryDisk((op) => {
      if (op === 'append' && failNext) {
        failNext = false
        throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })
      }
    })
    const timers = new ManualTimers()
    const { writer, notices } = makeWriter({}, { disk, timers })
    await writer.open()
    writer.alive('a', '1.1.1.1:1')
    await writer.sync()
    failNext = true
    writer.alive('b', '2.2.2.2:2')
    await expect(writer.sync()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_DISK', details: { op: 'append', errno: 'EIO' } })
    expect(writer.stats()).toMatchObject({ errors: 1, diskError: { code: 'ERR_SNAPSHOT_DISK' }, durableThrough: 1 })
    expect(notices.some((n) => n.kind === 'disk-error')).toBe(true)
    timers.advance(1000) // the retry timer (errorRecoveryIntervalMs)
    for (let i = 0; i < 5 && writer.stats().diskError !== null; i++) await tick()
    await expect(writer.sync()).resolves.toMatchObject({ received: 2, durableThrough: 2 })
    expect(writer.stats()).toMatchObject({ diskError: null, lastDiskError: { code: 'ERR_SNAPSHOT_DISK' }, diskRetries: 1 })
    expect(notices.some((n) => n.kind === 'disk-recovered')).toBe(true)
    expect([...replayOf(disk).aliveNodes.keys()].sort()).toEqual(['a', 'b'])
    expect((await writer.shutdown()).clean).toBe(true)
  })

  it('abandons a compaction still building at shutdown, removing its temp file', async () => {
    let slow = false
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const disk = new MemoryDisk(async (op, path) => {
      if (slow && op === 'append' && path.endsWith('.compact')) await gate
    })
    const { writer, notices } = makeWriter({ minCompactionBytes: 1024, compactionChunkLines: 4 }, { disk })
    await writer.open()
    slow = true
    const model = new Model()
    let n = 0
    for (const e of events(9, 2000, 20)) {
      model.apply(e)
      offer(writer, e)
      if (++n % 50 === 0) await tick()
    }
    for (let i = 0; i < 50 && !notices.some((n) => n.kind === 'compaction-started'); i++) await tick()
    expect(writer.stats().compacting).toBe(true)
    const shutdown = writer.shutdown()
    release() // the build's pending chunk write completes after the abort
    const report = await shutdown
    expect(report.clean).toBe(true)
    // No wait: shutdown resolved only after the abandoned build closed and removed its temp file.
    const ops = { ...disk.ops }
    expect(disk.list()).toEqual([PATH])
    await tick()
    expect(disk.ops).toEqual(ops)
    expect(writer.stats()).toMatchObject({ compactions: 0, compactionsAborted: 1, compacting: false })
    expect(replayKey(replayOf(disk))).toBe(model.key())
  })

  it('waits at shutdown for a build that finished just after the abort to close and remove its file', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    let syncReached = false
    const disk = new MemoryDisk(async (op, path) => {
      if (op === 'sync' && path.endsWith('.compact')) {
        syncReached = true
        await gate // the build's last step (its fsync) is in flight when shutdown aborts it
      }
      // Cleaning up takes a turn of the event loop, as on a real disk.
      if ((op === 'close' || op === 'remove') && path.endsWith('.compact')) await tick()
    })
    const { writer } = makeWriter({ minCompactionBytes: 1024, compactionChunkLines: 64 }, { disk })
    await writer.open()
    const model = new Model()
    let n = 0
    for (const e of events(10, 2000, 20)) {
      model.apply(e)
      offer(writer, e)
      if (++n % 20 === 0) await tick()
      if (syncReached) break
    }
    for (let i = 0; i < 200 && !syncReached; i++) await tick()
    expect(syncReached).toBe(true)
    const shutdown = writer.shutdown()
    release()
    const report = await shutdown
    expect(report.clean).toBe(true)
    const ops = { ...disk.ops }
    expect(disk.list()).toEqual([PATH])
    for (let i = 0; i < 5; i++) await tick()
    expect(disk.ops).toEqual(ops) // no disk work after shutdown resolved
    expect(writer.stats()).toMatchObject({ compactions: 0, compactionsAborted: 1, compacting: false })
    expect(replayKey(replayOf(disk))).toBe(model.key())
  })

  it('resyncs to a complete alive set by recording only the difference', async () => {
    const { writer, disk } = makeWriter()
    await writer.open()
    writer.alive('a', '1.1.1.1:1')
    writer.alive('b', '2.2.2.2:2')
    writer.alive('c', '3.3.3.3:3')
    await writer.sync()
    writer.alive('d', '4.4.4.4:4') // still pending when the resync arrives
    writer.resync([
      ['a', '1.1.1.1:1'],
      ['b', '2.2.2.2:9'],
      ['e', '5.5.5.5:5'],
    ])
    await writer.sync()
    const r = replayOf(disk)
    expect([...r.aliveNodes].sort()).toEqual([
      ['a', '1.1.1.1:1'],
      ['b', '2.2.2.2:9'],
      ['e', '5.5.5.5:5'],
    ])
    expect(disk.text(PATH).match(/alive: a /g)?.length).toBe(1) // unchanged members are not rewritten
    expect(writer.progress()).toMatchObject({ received: 5, durableThrough: 5 })
    await writer.shutdown()
  })

  it('refuses (and counts) an address replay would refuse, instead of writing it', async () => {
    const { writer, disk } = makeWriter()
    await writer.open()
    writer.alive('p', '127.0.0.1:99999')
    writer.alive('q', '127.0.0.1')
    writer.alive('r', '127.0.0.1:7946')
    writer.resync([['r', '127.0.0.1:7946'], ['s', '1.2.3.4:65536']])
    await writer.sync()
    expect(writer.stats()).toMatchObject({ rejected: 3, received: 4 })
    expect(disk.text(PATH)).not.toMatch(/alive: [pqs] /)
    expect([...replayOf(disk).aliveNodes.keys()]).toEqual(['r'])
    await writer.shutdown()
  })

  it('runs nothing after shutdown and counts what arrives later', async () => {
    const timers = new ManualTimers()
    const { writer, disk } = makeWriter({ durability: 'interval' }, { timers })
    await writer.open()
    writer.alive('a', '1.1.1.1:1')
    await writer.shutdown()
    const ops = { ...disk.ops }
    writer.alive('b', '2.2.2.2:2')
    await expect(writer.sync()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_CLOSED' })
    await expect(writer.leave()).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_CLOSED' })
    timers.advance(60_000)
    await tick()
    expect(disk.ops).toEqual(ops)
    expect(writer.stats().rejected).toBe(1)
    expect(timers.pending).toBe(0)
  })

  it('reports by count what a stuck disk kept from being written at the shutdown timeout', async () => {
    let release: () => void = () => {}
    const stuck = new Promise<void>((r) => (release = r))
    let stick = false
    const disk = new MemoryDisk(async (op) => {
      if (stick && op === 'append') await stuck
    })
    const timers = new ManualTimers()
    const { writer } = makeWriter({}, { disk, timers })
    await writer.open()
    stick = true
    for (let i = 0; i < 100; i++) writer.alive(`n${i}`, '1.1.1.1:1')
    await tick()
    for (let i = 100; i < 150; i++) writer.alive(`n${i}`, '1.1.1.1:1')
    let settled = false
    const shutdown = writer.shutdown(50)
    void shutdown.then(() => (settled = true))
    await tick()
    expect(settled).toBe(false) // waiting on the disk, not yet on the timeout
    timers.advance(50) // the shutdown timeout fires (virtual time)
    const report = await shutdown
    expect(report.clean).toBe(false)
    expect(report.remaining).toBe(150)
    expect(timers.pending).toBe(0)
    release()
    await tick()
  })
})
