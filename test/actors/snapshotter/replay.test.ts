import { describe, expect, it } from 'vitest'
import { checksumLine, crc32 } from '../../../actors/snapshotter/checksum.ts'
import { replaySnapshot } from '../../../actors/snapshotter/replay.ts'

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
})

describe('snapshotter - replay (large files without checksums)', () => {
  it('replays a 300,000-line Serf file in order without holding it all back', () => {
    let text = ''
    const addr = (i: number) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:7946`
    for (let i = 0; i < 300_000; i++) text += i % 3 === 2 ? `not-alive: n${i % 1000}\n` : `alive: n${i % 1000} ${addr(i)}\n`
    text += batch('alive: last 1.1.1.1:1\n')
    const r = replaySnapshot(bytes(text))
    expect(r.counts.uncheckedLines).toBe(300_000)
    expect(r.counts.verifiedSpans).toBe(1)
    expect(r.aliveNodes.get('n998')).toBe(addr(299_998))
    expect(r.aliveNodes.has('n999')).toBe(false)
    expect(r.aliveNodes.get('last')).toBe('1.1.1.1:1')
  })
})

describe('snapshotter - replay (long checksummed spans)', () => {
  const addr = (i: number) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:7946`

  it('verifies and applies a 150,000-line span under one checksum (issue 10: 100,000 were skipped)', () => {
    let records = ''
    for (let i = 0; i < 150_000; i++) records += `alive: n${i} ${addr(i)}\n`
    const r = replaySnapshot(bytes(batch(records) + batch('clock: 9\n')))
    expect(r.problems).toEqual([])
    expect(r.aliveNodes.size).toBe(150_000)
    expect(r.aliveNodes.get('n149999')).toBe(addr(149_999))
    expect(r.counts).toMatchObject({ verifiedSpans: 2, corruptSpans: 0, corruptLines: 0, uncheckedLines: 0, records: 150_001 })
    expect(r.lastClock).toBe(9n)
  })

  it('applies a long unchecked run, then verifies the long span that follows it', () => {
    let serfs = ''
    for (let i = 0; i < 120_000; i++) serfs += `alive: s${i} ${addr(i)}\n`
    let ours = ''
    for (let i = 0; i < 120_000; i++) ours += i % 2 === 0 ? `not-alive: s${i}\n` : `alive: o${i} ${addr(i)}\n`
    const r = replaySnapshot(bytes(serfs + batch(ours)))
    expect(r.counts).toMatchObject({ uncheckedLines: 120_000, verifiedSpans: 1, corruptSpans: 0 })
    expect(r.aliveNodes.size).toBe(60_000 + 60_000)
    expect(r.aliveNodes.has('s0')).toBe(false)
    expect(r.aliveNodes.get('s1')).toBe(addr(1))
  })

  it('still skips a long span whole when one byte in it is wrong, and numbers its lines', () => {
    let records = ''
    for (let i = 0; i < 150_000; i++) records += `alive: n${i} ${addr(i)}\n`
    const file = batch('alive: first 1.1.1.1:1\n') + batch(records).replace('alive: n77777 ', 'alive: n77077 ')
    const r = replaySnapshot(bytes(file))
    expect([...r.aliveNodes.keys()]).toEqual(['first'])
    expect(r.counts).toMatchObject({ verifiedSpans: 1, corruptSpans: 1, corruptLines: 150_000 })
    expect(r.problems).toEqual(['lines 3-150002: checksum mismatch; span skipped'])
  })
})

describe('snapshotter - replay (CRLF line ends)', () => {
  const crlf = (s: string) => s.replace(/\n/g, '\r\n')

  it('replays a file converted to CRLF like the original, checksums included', () => {
    const file = batch('alive: a 1.1.1.1:1\nalive: b 2.2.2.2:2\nclock: 4\n') + batch('not-alive: a\nevent-clock: 3\nquery-clock: 2\n') + 'alive: serf 3.3.3.3:3\n'
    const lf = replaySnapshot(bytes(file))
    const r = replaySnapshot(bytes(crlf(file)))
    expect(r.problems).toEqual([])
    expect([...r.aliveNodes]).toEqual([...lf.aliveNodes])
    expect([...r.aliveNodes]).toEqual([['b', '2.2.2.2:2'], ['serf', '3.3.3.3:3']])
    expect([r.lastClock, r.lastEventClock, r.lastQueryClock]).toEqual([4n, 3n, 2n])
    expect(r.counts).toMatchObject({ verifiedSpans: 2, corruptSpans: 0, uncheckedLines: 1, badLines: 0, unknownLines: 0 })
    expect(r.validLength).toBe(crlf(file).length)
  })

  it('reads a Serf file with CRLF ends: members, clocks and leave', () => {
    const r = replaySnapshot(bytes('alive: a 1.1.1.1:1\r\nclock: 7\r\nleave\r\nalive: b 2.2.2.2:2\r\n'))
    expect([...r.aliveNodes]).toEqual([['b', '2.2.2.2:2']])
    expect(r.counts).toMatchObject({ leaves: 1, records: 3, badLines: 0, unknownLines: 0 })
  })

  it('still detects a changed byte in a CRLF span, and a mixed file verifies span by span', () => {
    const b1 = batch('alive: a 1.1.1.1:1\n')
    const b2 = batch('alive: b 2.2.2.2:2\nclock: 5\n')
    const r = replaySnapshot(bytes(crlf(b1) + crlf(b2).replace('2.2.2.2', '2.2.9.2')))
    expect([...r.aliveNodes.keys()]).toEqual(['a'])
    expect(r.counts).toMatchObject({ verifiedSpans: 1, corruptSpans: 1, corruptLines: 2 })
    const mixed = replaySnapshot(bytes(b1 + crlf(b2)))
    expect([...mixed.aliveNodes.keys()]).toEqual(['a', 'b'])
    expect(mixed.counts).toMatchObject({ verifiedSpans: 2, corruptSpans: 0 })
  })
})

describe('snapshotter - replay (addresses)', () => {
  it('refuses an alive line whose port is not 0..65535 and keeps the previous address', () => {
    const r = replaySnapshot(bytes('alive: p 127.0.0.1:7946\nalive: p 127.0.0.1:99999\nalive: q 127.0.0.1\nalive: z 127.0.0.1:0\n'))
    expect([...r.aliveNodes]).toEqual([['p', '127.0.0.1:7946'], ['z', '127.0.0.1:0']])
    expect(r.counts.badLines).toBe(2)
    expect(r.problems).toEqual(['line 2: alive address "127.0.0.1:99999": port must be 0..65535', 'line 3: alive address "127.0.0.1": no :port'])
  })
})
