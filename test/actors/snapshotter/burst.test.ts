/**
 * Bursts over many members (issue 10: a 150,000-record burst was acknowledged, then replay kept
 * 50,000). The writer writes a big intake as bounded pieces, each cut into bounded checksummed
 * spans, keeps taking records meanwhile (in order per member), and everything acknowledged
 * replays.
 */
import { describe, expect, it } from 'vitest'
import { MAX_SPAN_BYTES } from '../../../actors/snapshotter/batch.ts'
import { CHECKSUM_PREFIX, parseChecksumLine } from '../../../actors/snapshotter/checksum.ts'
import { replaySnapshot } from '../../../actors/snapshotter/replay.ts'
import { MAX_STEPS_PER_DRAIN } from '../../../actors/snapshotter/writer-pump.ts'
import { MemoryDisk } from './memory-disk.ts'
import { makeWriter, PATH, tick } from './helpers.ts'
import { Model, replayKey } from './model.ts'

const addr = (i: number) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:7946`

describe('snapshotter - bursts', () => {
  it('replays all of a 150,000-member burst it acknowledged, in bounded spans', async () => {
    const appends: number[] = []
    const disk = new MemoryDisk()
    const { writer } = makeWriter({ minCompactionBytes: 1 << 30 }, { disk })
    await writer.open()
    const inner = disk.hook
    disk.hook = (op, path) => {
      if (op === 'append') appends.push(disk.get(path)?.length ?? 0)
      return inner?.(op, path)
    }
    for (let i = 0; i < 150_000; i++) writer.alive(`n${i}`, addr(i))
    const synced = await writer.sync()
    expect(synced).toMatchObject({ received: 150_000, durableThrough: 150_000 })
    const bytes = disk.get(PATH)!
    const r = replaySnapshot(bytes)
    expect(r.problems).toEqual([])
    expect(r.aliveNodes.size).toBe(150_000)
    expect(r.counts.uncheckedLines).toBe(0)
    // Every span is bounded, and the burst went out in several steps.
    const text = new TextDecoder().decode(bytes)
    let spans = 0
    for (const line of text.split('\n')) {
      if (!line.startsWith(CHECKSUM_PREFIX)) continue
      spans++
      expect(parseChecksumLine(line)!.length).toBeLessThanOrEqual(MAX_SPAN_BYTES)
    }
    expect(spans).toBe(r.counts.verifiedSpans)
    expect(spans).toBeGreaterThanOrEqual(Math.ceil(bytes.length / MAX_SPAN_BYTES))
    // 150,000 lines are under writeStepLines: one append (one turn of the event loop), many spans.
    expect(appends.length).toBe(1)
    await writer.shutdown()
  })

  it('writes a drain far over writeStepLines in MAX_STEPS_PER_DRAIN pieces', async () => {
    const appends: number[] = []
    const disk = new MemoryDisk()
    const { writer } = makeWriter({ minCompactionBytes: 1 << 30, writeStepLines: 5000 }, { disk })
    await writer.open()
    disk.hook = (op) => void (op === 'append' && appends.push(0))
    for (let i = 0; i < 100_000; i++) writer.alive(`n${i}`, addr(i))
    await writer.sync()
    expect(appends.length).toBe(MAX_STEPS_PER_DRAIN) // 25,000 lines each, not 20 pieces of 5,000
    appends.length = 0
    for (let i = 0; i < 12_000; i++) writer.alive(`m${i}`, addr(i))
    await writer.sync()
    expect(appends.length).toBe(3) // 5,000 + 5,000 + 2,000
    expect(replaySnapshot(disk.get(PATH)!).aliveNodes.size).toBe(112_000)
    await writer.shutdown()
  })

  it('keeps taking records while a big drain is written, and the last change per member wins', async () => {
    // Each append takes a turn, so records arrive between the pieces of one drain.
    const disk = new MemoryDisk(async (op) => {
      if (op === 'append') await tick()
    })
    const { writer } = makeWriter({ minCompactionBytes: 1 << 30, writeStepLines: 10_000 }, { disk })
    await writer.open()
    const model = new Model()
    const members = 120_000
    for (let round = 0; round < 6; round++) {
      for (let i = round; i < members; i += 3) {
        const a = `10.${round}.${(i >> 8) & 255}.${i & 255}:${i >> 16}`
        model.apply({ k: 'alive', name: `n${i}`, addr: a })
        writer.alive(`n${i}`, a)
      }
      for (let i = round * 7; i < members; i += 11) {
        model.apply({ k: 'dead', name: `n${i}` })
        writer.notAlive(`n${i}`)
      }
      model.apply({ k: 'clock', t: BigInt(round + 1) })
      writer.memberClock(BigInt(round + 1))
      await tick()
    }
    await writer.sync()
    expect(writer.stats().batches).toBeGreaterThan(6)
    const r = replaySnapshot(disk.get(PATH)!)
    expect(r.counts.corruptSpans).toBe(0)
    expect(replayKey(r)).toBe(model.key())
    await writer.shutdown()
  })

  it('puts the rest of a drain in progress before a leave line', async () => {
    const disk = new MemoryDisk(async (op) => {
      if (op === 'append') await tick()
    })
    const { writer } = makeWriter({ minCompactionBytes: 1 << 30, rejoinAfterLeave: true, writeStepLines: 10_000 }, { disk })
    await writer.open()
    for (let i = 0; i < 100_000; i++) writer.alive(`n${i}`, addr(i))
    await tick()
    await tick() // the first piece is being appended
    expect(writer.stats().queueDepth).toBeGreaterThan(0)
    writer.alive('late', '1.2.3.4:5')
    await writer.leave()
    const text = disk.text(PATH)
    expect(text.indexOf('leave\n')).toBeGreaterThan(text.indexOf('alive: n99999 '))
    expect(text.indexOf('leave\n')).toBeGreaterThan(text.indexOf('alive: late '))
    const r = replaySnapshot(disk.get(PATH)!, { rejoinAfterLeave: true })
    expect(r.aliveNodes.size).toBe(100_001)
    await writer.shutdown()
  })
})
