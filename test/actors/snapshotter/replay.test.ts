import { describe, expect, it } from 'vitest'
import { checksumLine, crc32 } from '../../../actors/snapshotter/checksum.ts'
import { replaySnapshot, restoredState } from '../../../actors/snapshotter/replay.ts'
import { createSeededRandom } from '../../../src/types/random.ts'

const enc = new TextEncoder()
const bytes = (s: string) => enc.encode(s)
/** A batch as the writer writes it: the records, then a checksum line covering them. */
const batch = (records: string) => records + checksumLine(crc32(bytes(records)), bytes(records).length)

describe('snapshotter - replay', () => {
  it('applies a Serf-written file in order, last line wins', () => {
    const file = [
      'alive: a 127.0.0.1:1', 'alive: b 127.0.0.1:2', 'clock: 1', 'alive: py 127.0.0.1:3', 'clock: 2',
      'event-clock: 1', 'query-clock: 1', 'not-alive: py', 'clock: 3', 'alive: a 127.0.0.1:9',
      'coordinate: whatever', '# comment', 'bogus line', 'clock: x', '',
    ].join('\n')
    const r = replaySnapshot(bytes(file))
    expect([...r.aliveNodes]).toEqual([['a', '127.0.0.1:9'], ['b', '127.0.0.1:2']])
    expect([r.lastClock, r.lastEventClock, r.lastQueryClock]).toEqual([3n, 1n, 1n])
    expect(r.counts.unknownLines).toBe(1)
    expect(r.counts.badLines).toBe(1)
    expect(r.counts.comments).toBe(1)
    expect(r.counts.records).toBe(10)
    expect(r.left).toBe(false)
    expect(r.problems.length).toBe(2)
  })

  it('takes the last clock line, not the highest (as Serf)', () => {
    const r = replaySnapshot(bytes('clock: 9\nclock: 4\n'))
    expect(r.lastClock).toBe(4n)
  })

  it('clears members and clocks at leave, unless rejoin-after-leave', () => {
    const file = 'alive: a 1.1.1.1:1\nclock: 5\nevent-clock: 4\nquery-clock: 3\nleave\nclock: 6\n'
    const left = replaySnapshot(bytes(file))
    expect(left.aliveNodes.size).toBe(0)
    expect([left.lastClock, left.lastEventClock, left.lastQueryClock]).toEqual([6n, 0n, 0n])
    expect(left.left).toBe(true)
    expect(left.counts.leaves).toBe(1)
    const rejoin = replaySnapshot(bytes(file), { rejoinAfterLeave: true })
    expect([...rejoin.aliveNodes.keys()]).toEqual(['a'])
    expect([rejoin.lastClock, rejoin.lastEventClock, rejoin.lastQueryClock]).toEqual([6n, 4n, 3n])
    expect(rejoin.counts.ignoredLeaves).toBe(1)
    // a member record after the leave means the node came back
    expect(replaySnapshot(bytes(file + 'alive: b 2.2.2.2:2\n')).left).toBe(false)
  })

  it('skips a torn last line and reports where appending may continue', () => {
    const good = 'alive: a 1.1.1.1:1\n'
    const r = replaySnapshot(bytes(good + 'alive: b 2.2.2.2:2'))
    expect([...r.aliveNodes.keys()]).toEqual(['a'])
    expect(r.counts.tornBytes).toBe('alive: b 2.2.2.2:2'.length)
    expect(r.validLength).toBe(good.length)
  })

  it('verifies checksummed spans and skips a corrupt one whole', () => {
    const b1 = batch('alive: a 1.1.1.1:1\nclock: 1\n')
    const b2 = batch('alive: b 2.2.2.2:2\nclock: 2\n')
    const b3 = batch('alive: c 3.3.3.3:3\nclock: 3\n')
    const clean = replaySnapshot(bytes(b1 + b2 + b3))
    expect(clean.counts.verifiedSpans).toBe(3)
    expect(clean.counts.uncheckedLines).toBe(0)
    expect([...clean.aliveNodes.keys()]).toEqual(['a', 'b', 'c'])

    // flip one byte inside b2's address: "2.2.2.2" -> "2.2.7.2"
    const corrupt = (b1 + b2 + b3).replace('alive: b 2.2.2.2:2', 'alive: b 2.2.7.2:2')
    const r = replaySnapshot(bytes(corrupt))
    expect([...r.aliveNodes.keys()]).toEqual(['a', 'c'])
    expect(r.counts.corruptSpans).toBe(1)
    expect(r.counts.corruptLines).toBe(2)
    expect(r.lastClock).toBe(3n)
  })

  it('applies lines another writer appended without checksums (Serf continuing our file)', () => {
    const ours = batch('alive: a 1.1.1.1:1\n')
    const serfs = 'alive: s 9.9.9.9:9\nclock: 7\n'
    const ours2 = batch('not-alive: a\n')
    const r = replaySnapshot(bytes(ours + serfs + ours2))
    expect([...r.aliveNodes.keys()]).toEqual(['s'])
    expect(r.lastClock).toBe(7n)
    expect(r.counts.verifiedSpans).toBe(2)
    expect(r.counts.uncheckedLines).toBe(2)
  })

  it('treats a checksum whose length does not line up, or that cannot be read, as corruption', () => {
    const body = 'alive: a 1.1.1.1:1\n'
    const misaligned = body + checksumLine(crc32(bytes(body)), body.length - 3)
    expect(replaySnapshot(bytes(misaligned)).counts.corruptSpans).toBe(1)
    const unreadable = body + '# gossamer-crc32 zzzz 19\n'
    const r = replaySnapshot(bytes(unreadable))
    expect(r.counts.corruptSpans).toBe(1)
    expect(r.aliveNodes.size).toBe(0)
  })

  it('never throws on garbage, including invalid UTF-8 and NUL bytes', () => {
    const junk = new Uint8Array(4096)
    let x = 12345
    for (let i = 0; i < junk.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0
      junk[i] = x >>> 24
    }
    const r = replaySnapshot(junk)
    expect(r.counts.lines + (r.counts.tornBytes > 0 ? 1 : 0)).toBeGreaterThan(0)
    expect(r.validLength).toBeLessThanOrEqual(junk.length)
  })

  it('handles names with non-ASCII characters inside checksummed spans', () => {
    const b = batch('alive: nœud-é 1.1.1.1:1\n')
    const r = replaySnapshot(bytes(b))
    expect([...r.aliveNodes.keys()]).toEqual(['nœud-é'])
    expect(r.counts.verifiedSpans).toBe(1)
  })

  it('offers previous members for rejoin shuffled, skipping our own name, with min times', () => {
    const r = replaySnapshot(bytes('alive: self 1.1.1.1:1\nalive: a 1.1.1.2:1\nalive: b 1.1.1.3:1\nevent-clock: 4\nquery-clock: 9\n'))
    const s = restoredState(r, 'self', createSeededRandom(3).next)
    expect(s.previousNodes.map((p) => p.name).sort()).toEqual(['a', 'b'])
    expect(s.eventMinTime).toBe(5n)
    expect(s.queryMinTime).toBe(10n)
  })
})

describe('snapshotter - replay (large files without checksums)', () => {
  it('replays a 300,000-line Serf file in order without holding it all back', () => {
    let text = ''
    for (let i = 0; i < 300_000; i++) text += i % 3 === 2 ? `not-alive: n${i % 1000}\n` : `alive: n${i % 1000} 10.0.0.1:${i}\n`
    text += batch('alive: last 1.1.1.1:1\n')
    const r = replaySnapshot(bytes(text))
    expect(r.counts.uncheckedLines).toBe(300_000)
    expect(r.counts.verifiedSpans).toBe(1)
    expect(r.aliveNodes.get('n998')).toBe('10.0.0.1:299998')
    expect(r.aliveNodes.has('n999')).toBe(false)
    expect(r.aliveNodes.get('last')).toBe('1.1.1.1:1')
  })
})
