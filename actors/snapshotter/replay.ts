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
 */
import { parseChecksumLine, crc32, CHECKSUM_PREFIX } from './checksum.ts'
import { parseLine, type SnapshotLine } from './record.ts'
import type { PreviousNode, SnapshotRestore } from './protocol.ts'

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
/**
 * Lines held back waiting for a checksum that may cover them. Our batches are far smaller (one
 * line per member at most); a file without checksums (Serf's) would otherwise be held whole, so
 * past this many the oldest are applied as unchecked.
 */
const MAX_PENDING_LINES = 100_000

interface Pending {
  line: SnapshotLine
  start: number
  number: number
}

export function emptyCounts(): ReplayCounts {
  return {
    lines: 0, records: 0, comments: 0, verifiedSpans: 0, corruptSpans: 0, corruptLines: 0,
    uncheckedLines: 0, tornBytes: 0, unknownLines: 0, badLines: 0, leaves: 0, ignoredLeaves: 0,
  }
}

/** replaySnapshot reads a whole snapshot file. An empty array is an empty (new) snapshot. */
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

  const apply = (p: Pending) => {
    const line = p.line
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
        problem(`line ${p.number}: ${line.reason}`)
        return
      case 'unknown':
        c.unknownLines++
        problem(`line ${p.number}: unrecognized line`)
        return
      default:
        return // comment, coordinate
    }
  }

  let pending: Pending[] = []
  let spanStart = 0
  const dropPending = (why: string, from: number) => {
    const dropped = pending.length - from
    if (dropped > 0 || why !== '') {
      c.corruptSpans++
      c.corruptLines += dropped
      problem(`lines ${pending[from]?.number ?? '?'}-${pending[pending.length - 1]?.number ?? '?'}: ${why}`)
    }
  }

  const onLine = (text: string, start: number, end: number) => {
    c.lines++
    const number = c.lines
    if (text.startsWith(CHECKSUM_PREFIX)) {
      c.comments++
      const sum = parseChecksumLine(text)
      if (sum === undefined) {
        dropPending('unreadable checksum line; span skipped', 0)
      } else {
        const regionStart = start - sum.length
        let first = pending.findIndex((p) => p.start >= regionStart)
        if (first === -1) first = pending.length
        const aligned = regionStart >= spanStart && (first < pending.length ? pending[first]!.start === regionStart : regionStart === start)
        if (!aligned) {
          dropPending('checksum length does not match the records before it; span skipped', 0)
        } else {
          for (let i = 0; i < first; i++) {
            c.uncheckedLines++
            apply(pending[i]!)
          }
          if (crc32(bytes, regionStart, start) === sum.crc) {
            c.verifiedSpans++
            for (let i = first; i < pending.length; i++) apply(pending[i]!)
          } else {
            dropPending('checksum mismatch; span skipped', first)
          }
        }
      }
      pending = []
      spanStart = end
      return
    }
    const line = parseLine(text)
    if (line.kind === 'comment') c.comments++
    pending.push({ line, start, number })
    if (pending.length > MAX_PENDING_LINES) {
      const release = Math.floor(pending.length / 2)
      for (let i = 0; i < release; i++) {
        c.uncheckedLines++
        apply(pending[i]!)
      }
      pending = pending.slice(release)
      spanStart = pending[0]!.start
    }
  }

  const text = new TextDecoder().decode(bytes)
  const ascii = text.length === bytes.length && !text.includes('\uFFFD')
  let pos = 0
  if (ascii) {
    // Byte offsets equal string offsets: split the decoded text directly.
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', pos)) {
      onLine(text.slice(pos, nl), pos, nl + 1)
      pos = nl + 1
    }
  } else {
    const decoder = new TextDecoder()
    for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, pos)) {
      onLine(decoder.decode(bytes.subarray(pos, nl)), pos, nl + 1)
      pos = nl + 1
    }
  }
  r.validLength = pos
  c.tornBytes = bytes.length - pos
  if (c.tornBytes > 0) problem(`last ${c.tornBytes} bytes have no line end (torn write); skipped`)
  for (const p of pending) {
    c.uncheckedLines++
    apply(p)
  }
  return r
}

/** What the member layer takes from a replayed snapshot at start (Serf's NewSerf, spec §5.3/§6): the
 * protocol's SnapshotRestore without the replay accounting. */
export type RestoredState = Omit<SnapshotRestore, 'corruptLines' | 'tornBytes' | 'unknownLines'>

/**
 * restoredState turns a replay into what Serf hands its member layer: the rejoin candidates
 * shuffled with the injected `random` (returns [0, 1); Serf shuffles so restarts do not all hit
 * the same member), our own name skipped, and the minimum event and query times.
 */
export function restoredState(result: ReplayResult, selfName: string, random: () => number): RestoredState {
  const previousNodes: PreviousNode[] = []
  for (const [name, addr] of result.aliveNodes) if (name !== selfName) previousNodes.push({ name, addr })
  for (let i = previousNodes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = previousNodes[i]!
    previousNodes[i] = previousNodes[j]!
    previousNodes[j] = t
  }
  return {
    previousNodes,
    lastClock: result.lastClock,
    lastEventClock: result.lastEventClock,
    lastQueryClock: result.lastQueryClock,
    eventMinTime: result.lastEventClock + 1n,
    queryMinTime: result.lastQueryClock + 1n,
    left: result.left,
  }
}
