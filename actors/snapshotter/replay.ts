/**
 * Replay: rebuilds the snapshotter's state from a snapshot file's bytes, applying the lines in order
 * exactly as Serf's `replay()` does (spec §6): last address wins per name, `not-alive` removes, each
 * clock line SETS its clock (last one wins), `leave` clears the alive set and resets the three
 * clocks unless rejoin-after-leave is configured, comments and `coordinate:` lines are skipped.
 *
 * On top of Serf, spans covered by a checksum line (checksum.ts) are verified before they are
 * applied; a corrupt span is skipped whole and counted, a torn last line (no `\n`, left by a crash
 * mid-write) is skipped and counted. Lines no checksum covers (a Serf-written file, or records a
 * crash cut off before their checksum) are applied as Serf applies them. Replay never throws on
 * file content.
 *
 * What the member layer takes from the result at start (the rejoin candidates, the clocks) is
 * restored-state.ts.
 */
import { parseChecksumLine, crc32, CHECKSUM_PREFIX } from './checksum.ts'
import { parseLine, type SnapshotLine } from './record.ts'

export interface ReplayOptions {
  /** Serf's RejoinAfterLeave: a `leave` line does not clear the state. */
  rejoinAfterLeave?: boolean
}

export interface ReplayCounts {
  /** Complete lines read (the torn tail excluded). */
  lines: number
  /** Member and clock records applied. */
  records: number
  /** Comment lines, checksum lines included. */
  comments: number
  /** Spans whose checksum matched. */
  verifiedSpans: number
  /** Spans whose checksum did not match (or whose checksum line was unreadable); skipped whole. */
  corruptSpans: number
  /** Lines inside corrupt spans (skipped). */
  corruptLines: number
  /** Lines applied without a checksum covering them (Serf-written, or cut off before one). */
  uncheckedLines: number
  /** Bytes after the last `\n` (a line a crash tore); skipped. */
  tornBytes: number
  /** Lines with no known prefix (Serf warns and skips them). */
  unknownLines: number
  /** Lines with a known prefix and an unreadable value (Serf warns and skips them). */
  badLines: number
  /** `leave` lines applied (state cleared). */
  leaves: number
  /** `leave` lines ignored because of rejoin-after-leave. */
  ignoredLeaves: number
}

export interface ReplayResult {
  /** name → `ip:port` of the members alive at the end of the file (our own name included). */
  aliveNodes: Map<string, string>
  lastClock: bigint
  lastEventClock: bigint
  lastQueryClock: bigint
  /** Members whose last record is `not-alive` (left or failed), for inspection. */
  notAlive: Set<string>
  /** A `leave` was applied and no member record follows it: the node left gracefully. */
  left: boolean
  counts: ReplayCounts
  /** Bytes up to and including the last `\n`: where appending may safely continue. */
  validLength: number
  /** The first few problems, with 1-based line numbers, for logs and `snapshot inspect`. */
  problems: string[]
}

const MAX_PROBLEMS = 20
const LF = 0x0a
const CR = 0x0d
const HASH = 0x23

export function emptyCounts(): ReplayCounts {
  return {
    lines: 0, records: 0, comments: 0, verifiedSpans: 0, corruptSpans: 0, corruptLines: 0,
    uncheckedLines: 0, tornBytes: 0, unknownLines: 0, badLines: 0, leaves: 0, ignoredLeaves: 0,
  }
}

/**
 * replaySnapshot reads a whole snapshot file. An empty array is an empty (new) snapshot.
 *
 * Lines that may belong to a checksummed span wait until the next checksum line (or the end of
 * the file) decides their fate. They wait as a byte range of `bytes`, which replay holds anyway,
 * not as parsed lines: a span of any length (a writer may put a million lines under one checksum)
 * is verified and applied whole, with O(1) memory besides the file itself.
 *
 * Line ends: `\n`, or `\r\n` (a file that went through a CRLF conversion). Serf's reader splits
 * at `\n` only and keeps the `\r`, so in a converted file it still takes the members (with a
 * `\r` in the address, which its rejoin then fails on) but refuses every clock and the `leave`.
 * We read such a line as its `\n` form (no record we write ends in `\r`: names cannot hold one),
 * and a checksum covers a span as it was written, with `\n` ends, so a converted file verifies.
 */
export function replaySnapshot(bytes: Uint8Array, options: ReplayOptions = {}): ReplayResult {
  const rejoin = options.rejoinAfterLeave === true
  const r: ReplayResult = {
    aliveNodes: new Map(),
    notAlive: new Set(),
    lastClock: 0n,
    lastEventClock: 0n,
    lastQueryClock: 0n,
    left: false,
    counts: emptyCounts(),
    validLength: 0,
    problems: [],
  }
  const c = r.counts
  const problem = (text: string) => {
    if (r.problems.length < MAX_PROBLEMS) r.problems.push(text)
  }

  const apply = (line: SnapshotLine, number: number) => {
    switch (line.kind) {
      case 'alive':
        r.aliveNodes.set(line.name, line.addr)
        r.notAlive.delete(line.name)
        r.left = false
        c.records++
        return
      case 'not-alive':
        r.aliveNodes.delete(line.name)
        r.notAlive.add(line.name)
        r.left = false
        c.records++
        return
      case 'clock':
        r.lastClock = line.ltime
        c.records++
        return
      case 'event-clock':
        r.lastEventClock = line.ltime
        c.records++
        return
      case 'query-clock':
        r.lastQueryClock = line.ltime
        c.records++
        return
      case 'leave':
        if (rejoin) {
          c.ignoredLeaves++
          return
        }
        r.aliveNodes = new Map()
        r.notAlive = new Set()
        r.lastClock = 0n
        r.lastEventClock = 0n
        r.lastQueryClock = 0n
        r.left = true
        c.leaves++
        return
      case 'bad':
        c.badLines++
        problem(`line ${number}: ${line.reason}`)
        return
      case 'unknown':
        c.unknownLines++
        problem(`line ${number}: unrecognized line`)
        return
      default:
        return // comment, coordinate
    }
  }

  // ASCII (nearly every file): byte offsets equal string offsets, so lines are slices of one decode.
  const text = new TextDecoder().decode(bytes)
  const ascii = text.length === bytes.length && !text.includes('\uFFFD')
  const decoder = new TextDecoder()
  /** The next `\n` at or after `pos`, or -1 (a string search is faster when the text is ASCII). */
  const nextLf = ascii ? (pos: number) => text.indexOf('\n', pos) : (pos: number) => bytes.indexOf(LF, pos)
  /** The text of the line [start, lf) without its end (`\n` or `\r\n`). */
  const lineText = (start: number, lf: number): string => {
    const end = lf > start && bytes[lf - 1] === CR ? lf - 1 : lf
    return ascii ? text.slice(start, end) : decoder.decode(bytes.subarray(start, end))
  }

  /** Applies the lines in [from, to) (whole lines), numbered from `number`; returns how many. */
  const applyRange = (from: number, to: number, number: number, checked: boolean): number => {
    let n = 0
    for (let pos = from; pos < to; ) {
      const lf = nextLf(pos)
      apply(parseLine(lineText(pos, lf)), number + n)
      if (!checked) c.uncheckedLines++
      n++
      pos = lf + 1
    }
    return n
  }

  /**
   * Where the span a checksum line at `to` covers begins: `length` bytes back in `\n` form, at a
   * line start no earlier than `from` (the end of the previous checksum line); -1 if there is none.
   */
  const regionStart = (from: number, to: number, length: number, crlf: boolean): number => {
    if (!crlf) {
      const at = to - length
      return at >= from && (at === from || bytes[at - 1] === LF) ? at : -1
    }
    let pos = to
    let acc = 0
    while (acc < length && pos > from) {
      // (a negative fromIndex would search from the end of the array)
      const start = pos - 2 >= from ? Math.max(from, bytes.lastIndexOf(LF, pos - 2) + 1) : from
      acc += pos - start - (pos - 2 >= start && bytes[pos - 2] === CR ? 1 : 0)
      pos = start
    }
    return acc === length ? pos : -1
  }

  /** CRC-32 of the lines in [from, to) in their `\n` form (the form the writer checksummed). */
  const spanCrc = (from: number, to: number, length: number, crlf: boolean): number => {
    if (!crlf) return crc32(bytes, from, to)
    const normal = new Uint8Array(length)
    let at = 0
    for (let pos = from; pos < to; ) {
      const lf = bytes.indexOf(LF, pos)
      const end = lf > pos && bytes[lf - 1] === CR ? lf - 1 : lf
      normal.set(bytes.subarray(pos, end), at)
      at += end - pos
      normal[at++] = LF
      pos = lf + 1
    }
    return crc32(normal)
  }

  const skip = (first: number, last: number, why: string) => {
    c.corruptSpans++
    c.corruptLines += Math.max(0, last - first + 1)
    problem(last >= first ? `lines ${first}-${last}: ${why}` : `line ${last + 1}: ${why}`)
  }

  // The pending region: the lines after the last checksum line, not applied yet.
  let spanStart = 0
  let spanFirst = 1
  /** Lines of the pending region that end in `\r\n`. */
  let spanCrlf = 0
  let pos = 0
  for (let lf = nextLf(0); lf !== -1; lf = nextLf(pos)) {
    const start = pos
    pos = lf + 1
    c.lines++
    const number = c.lines
    const crlfEnd = lf > start && bytes[lf - 1] === CR
    const line = bytes[start] === HASH ? lineText(start, lf) : ''
    if (line !== '') c.comments++
    if (!line.startsWith(CHECKSUM_PREFIX)) {
      if (crlfEnd) spanCrlf++
      continue
    }
    // A checksum line: it decides the fate of the pending region.
    const sum = parseChecksumLine(line)
    const crlf = spanCrlf > 0
    const at = sum === undefined ? -1 : regionStart(spanStart, start, sum.length, crlf)
    if (sum === undefined) skip(spanFirst, number - 1, 'unreadable checksum line; span skipped')
    else if (at === -1) skip(spanFirst, number - 1, 'checksum length does not match the records before it; span skipped')
    else {
      const first = spanFirst + applyRange(spanStart, at, spanFirst, false)
      if (spanCrc(at, start, sum.length, crlf) === sum.crc) {
        c.verifiedSpans++
        applyRange(at, start, first, true)
      } else {
        skip(first, number - 1, 'checksum mismatch; span skipped')
      }
    }
    spanStart = pos
    spanFirst = number + 1
    spanCrlf = 0
  }
  // Lines no checksum followed: a Serf-written file, or a batch a crash cut off before its checksum.
  applyRange(spanStart, pos, spanFirst, false)
  r.validLength = pos
  c.tornBytes = bytes.length - pos
  if (c.tornBytes > 0) problem(`last ${c.tornBytes} bytes have no line end (torn write); skipped`)
  return r
}
