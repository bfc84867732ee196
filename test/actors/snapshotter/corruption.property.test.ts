/**
 * Corruption detection, as properties over files the writer really produces: a single changed byte
 * never changes the replayed state silently (it is noticed as a corrupt span or an unreadable,
 * unknown or torn line, or the state is the clean one, e.g. when only a comment's text changed),
 * and replay never throws.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { replaySnapshot } from '../../../actors/snapshotter/replay.ts'
import { makeWriter, PATH, tick } from './helpers.ts'
import { events, offer, replayKey } from './model.ts'

async function writtenFile(seed: number): Promise<Uint8Array> {
  const { writer, disk } = makeWriter({ minCompactionBytes: 1 << 30 })
  await writer.open()
  let n = 0
  for (const e of events(seed, 300, 25)) {
    offer(writer, e)
    if (++n % 40 === 0) await tick()
  }
  await writer.shutdown()
  return disk.get(PATH)!
}

describe('snapshotter - corruption detection (properties)', () => {
  it('never lets a single changed byte alter the replayed state unnoticed', async () => {
    const files = await Promise.all([1, 2, 3].map(writtenFile))
    const cleanKeys = files.map((f) => replayKey(replaySnapshot(f)))
    let noticed = 0
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, at, xor) => {
        const clean = files[which]!
        const bytes = clean.slice()
        const i = at % bytes.length
        bytes[i] = bytes[i]! ^ xor
        const r = replaySnapshot(bytes)
        const c = r.counts
        const detected = c.corruptSpans + c.unknownLines + c.badLines + (c.tornBytes > 0 ? 1 : 0) > 0
        if (detected) noticed++
        else expect(replayKey(r)).toBe(cleanKeys[which])
      }),
      { numRuns: 1500, seed: 42 },
    )
    expect(noticed).toBeGreaterThan(1400) // nearly every byte is inside a checksummed record
  })

  it('replays a written file converted to CRLF to the same state, every span verified', async () => {
    for (const seed of [1, 2, 3]) {
      const file = await writtenFile(seed)
      const lf = replaySnapshot(file)
      const converted = new TextEncoder().encode(new TextDecoder().decode(file).replace(/\n/g, '\r\n'))
      const r = replaySnapshot(converted)
      expect(replayKey(r)).toBe(replayKey(lf))
      expect(r.counts.verifiedSpans).toBe(lf.counts.verifiedSpans)
      expect(r.counts.corruptSpans + r.counts.badLines + r.counts.unknownLines).toBe(0)
    }
  })

  it('never throws on arbitrary bytes and never reports more than it read', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const r = replaySnapshot(bytes)
        expect(r.validLength + r.counts.tornBytes).toBe(bytes.length)
        expect(r.counts.corruptLines).toBeLessThanOrEqual(r.counts.lines)
      }),
      { numRuns: 500, seed: 7 },
    )
  })

  it('replays a truncated file to the state after some whole prefix of its batches', async () => {
    const clean = await writtenFile(4)
    // The states after each whole batch (each ends with its checksum line).
    const text = new TextDecoder().decode(clean)
    const ends: number[] = []
    for (let i = text.indexOf('# gossamer-crc32 '); i !== -1; i = text.indexOf('# gossamer-crc32 ', i + 1)) ends.push(text.indexOf('\n', i) + 1)
    const keys = new Set([replayKey(replaySnapshot(new Uint8Array(0))), ...ends.map((e) => replayKey(replaySnapshot(clean.subarray(0, e))))])
    fc.assert(
      fc.property(fc.nat({ max: clean.length }), (cut) => {
        const r = replaySnapshot(clean.subarray(0, cut))
        // Lines of a partly written batch are applied unchecked (a crash cut it before its checksum);
        // they are a prefix of that batch, so the state is one the writer went through or between.
        expect(r.counts.corruptSpans).toBe(0)
        if (cut === 0 || ends.includes(cut)) expect(keys.has(replayKey(r))).toBe(true)
      }),
      { numRuns: 300, seed: 11 },
    )
  })
})
