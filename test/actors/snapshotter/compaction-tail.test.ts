/**
 * The compaction tail is bounded: when the live file takes more than the cap while the compacted
 * file is still being built, the raw tail is dropped and install appends the per-member difference
 * between the capture and the live state instead. No record is lost; a leave meanwhile restarts it.
 */
import { describe, expect, it } from 'vitest'
import { MemoryDisk } from './memory-disk.ts'
import { replaySnapshot } from '../../../actors/snapshotter/replay.ts'
import { deltaText, SnapshotState } from '../../../actors/snapshotter/snapshot-state.ts'
import { makeWriter, PATH, tick } from './helpers.ts'
import { events, Model, offer, replayKey } from './model.ts'

/** A disk whose compaction appends each take a few turns of the event loop (no timers). */
const slowCompactionDisk = () =>
  new MemoryDisk(async (op, path) => {
    if (op === 'append' && path.endsWith('.compact')) for (let i = 0; i < 3; i++) await tick()
  })

describe('snapshotter - compaction tail cap', () => {
  it('finishes from a per-member delta when the tail passes its cap, losing nothing', async () => {
    const disk = slowCompactionDisk()
    const { writer, notices } = makeWriter({ minCompactionBytes: 4096, compactionChunkLines: 4 }, { disk })
    await writer.open()
    const model = new Model()
    const gen = events(21, 60_000, 200)
    for (let round = 0; round < 300; round++) {
      for (let i = 0; i < 200; i++) {
        const e = gen.next().value!
        model.apply(e)
        offer(writer, e)
      }
      await tick()
    }
    await writer.sync()
    const stats = writer.stats()
    expect(stats.compactionTailOverflows).toBeGreaterThan(0)
    expect(stats.compactions).toBeGreaterThan(0)
    expect(notices.filter((n) => n.kind === 'compaction-finished').length).toBe(stats.compactions)
    expect(replayKey(replaySnapshot(disk.get(PATH)!))).toBe(model.key())
    expect(replayKey(replaySnapshot(disk.crashImage().get(PATH)!))).toBe(model.key())
    await writer.shutdown()
    expect(disk.list()).toEqual([PATH])
    expect(replayKey(replaySnapshot(disk.get(PATH)!))).toBe(model.key())
  })

  it('the delta holds one line per changed member and the moved clocks only', () => {
    const live = new SnapshotState()
    live.alive = new Map([['a', '1.1.1.1:1'], ['b', '2.2.2.2:9'], ['d', '4.4.4.4:4']])
    live.lastClock = 7n
    const from = { alive: [['a', '1.1.1.1:1'], ['b', '2.2.2.2:2'], ['c', '3.3.3.3:3']] as Array<[string, string]>, lastClock: 5n, lastEventClock: 0n, lastQueryClock: 0n, leaving: false }
    expect(deltaText(from, live)).toBe('alive: b 2.2.2.2:9\nalive: d 4.4.4.4:4\nnot-alive: c\nclock: 7\n')
  })

  it('abandons an overflowed run when a leave happened meanwhile, and the file stays right', async () => {
    const disk = slowCompactionDisk()
    const { writer } = makeWriter({ minCompactionBytes: 4096, compactionChunkLines: 4 }, { disk })
    await writer.open()
    const model = new Model()
    const gen = events(22, 20_000, 200)
    let round = 0
    for (; round < 100 && writer.stats().compactionTailOverflows === 0; round++) {
      for (let i = 0; i < 200; i++) {
        const e = gen.next().value!
        model.apply(e)
        offer(writer, e)
      }
      await tick()
    }
    expect(writer.stats().compactionTailOverflows).toBe(1)
    await writer.leave()
    await writer.sync()
    for (let i = 0; i < 400 && writer.stats().compacting; i++) await tick()
    const r = replaySnapshot(disk.get(PATH)!)
    expect(r.left).toBe(true)
    expect(r.aliveNodes.size).toBe(0)
    expect(writer.stats().compactionsAborted).toBeGreaterThanOrEqual(1)
    expect(disk.list()).toEqual([PATH])
    await writer.shutdown()
  })
})
