/**
 * `gossamer snapshot inspect FILE [--json] [--rejoin]`: replays a snapshot file (Gossamer's or
 * `serf agent -snapshot`'s) and prints the state a restarting node would recover: alive members
 * with addresses, how many are known not alive, the three Lamport clocks, whether the node left,
 * and what replay skipped (corrupt, torn, unknown and unreadable lines). `--rejoin` replays with
 * rejoin-after-leave (a `leave` line then does not clear the state). Read-only.
 *
 * Exit status: 0 every line replayed; 1 the file could not be read (its code on stderr), or
 * replay skipped lines: the report is still printed, and stderr says how many
 * (ERR_SNAPSHOT_DAMAGED); 2 usage error.
 */
import type { CliIo } from './io.ts'
import { ClusterError } from '../errors/index.ts'
import { replaySnapshot, type ReplayResult } from '../../actors/snapshotter/replay.ts'
import { DEFAULT_SNAPSHOTTER_CONFIG } from '../../actors/snapshotter/config.ts'
import { nodeDisk } from '../../actors/snapshotter/io/node-disk.ts'

/** Names and addresses come from the file: control characters are shown escaped, never sent to the terminal. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0)
    return code === 0x09 ? '\\t' : code === 0x0d ? '\\r' : `\\x${code.toString(16).padStart(2, '0')}`
  })
}

export const summary = 'inspect a snapshot file (replayed members, clocks, damage)'

const USAGE = 'usage: gossamer snapshot inspect FILE [--json] [--rejoin]'

const HELP = `${USAGE}

Replays a snapshot file as a restarting node would and prints what it recovers.

  --json     one JSON object instead of the summary
  --rejoin   replay with rejoin-after-leave (a leave line does not clear the state)

exit status:
  0  every line replayed
  1  the file could not be read (its code is printed on stderr), or replay skipped lines
     (a corrupt checksummed span, an unreadable or unknown line, a torn last line): the report
     is still printed, and stderr says how many lines were skipped (ERR_SNAPSHOT_DAMAGED)
  2  usage error`

/** Exit status when the file was read but replay skipped lines. */
export const EXIT_DAMAGED = 1

function usageError(message: string): ClusterError {
  return new ClusterError('ERR_CLI_USAGE', `${message}\n${USAGE}`)
}

export interface InspectArgs {
  file: string
  json: boolean
  rejoin: boolean
}

export function parseSnapshotArgs(argv: readonly string[]): InspectArgs {
  const [sub, ...rest] = argv
  if (sub !== 'inspect') throw usageError(sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`)
  let file: string | undefined
  let json = false
  let rejoin = false
  for (const a of rest) {
    if (a === '--json') json = true
    else if (a === '--rejoin') rejoin = true
    else if (a.startsWith('-')) throw usageError(`unknown option ${a}`)
    else if (file !== undefined) throw usageError('one FILE only')
    else file = a
  }
  if (file === undefined) throw usageError('missing FILE')
  return { file, json, rejoin }
}

/** The report as plain JSON data (clocks as decimal strings: they are u64). */
export function inspectReport(file: string, r: ReplayResult, bytes: number) {
  const members = [...r.aliveNodes].map(([name, addr]) => ({ name, addr })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return {
    file,
    bytes,
    alive: members,
    aliveCount: members.length,
    notAliveCount: r.notAlive.size,
    clock: r.lastClock.toString(),
    eventClock: r.lastEventClock.toString(),
    queryClock: r.lastQueryClock.toString(),
    left: r.left,
    lines: {
      total: r.counts.lines,
      records: r.counts.records,
      comments: r.counts.comments,
      verifiedSpans: r.counts.verifiedSpans,
      unchecked: r.counts.uncheckedLines,
      skipped: r.counts.corruptLines + r.counts.unknownLines + r.counts.badLines + (r.counts.tornBytes > 0 ? 1 : 0),
      corrupt: r.counts.corruptLines,
      corruptSpans: r.counts.corruptSpans,
      unknown: r.counts.unknownLines,
      unreadable: r.counts.badLines,
      tornBytes: r.counts.tornBytes,
      ignoredLeaves: r.counts.ignoredLeaves,
    },
    problems: r.problems,
  }
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(HELP)
    return 0
  }
  let args: InspectArgs
  try {
    args = parseSnapshotArgs(argv)
  } catch (err) {
    io.err(`gossamer snapshot: ${(err as Error).message} (ERR_CLI_USAGE)`)
    return 2
  }
  let bytes: Uint8Array | undefined
  try {
    bytes = await nodeDisk().read(args.file, DEFAULT_SNAPSHOTTER_CONFIG.maxFileBytes)
  } catch (cause) {
    if (cause instanceof ClusterError) throw cause
    throw new ClusterError('ERR_SNAPSHOT_FILE_UNREADABLE', `cannot read ${args.file}: ${(cause as Error).message}`, { cause, details: { file: args.file } })
  }
  if (bytes === undefined) throw new ClusterError('ERR_SNAPSHOT_FILE_NOT_FOUND', `cannot read ${args.file}: no such file`, { details: { file: args.file } })
  const report = inspectReport(args.file, replaySnapshot(bytes, { rejoinAfterLeave: args.rejoin }), bytes.length)
  const status = (): number => {
    const skipped = report.lines.skipped
    if (skipped === 0) return 0
    io.err(`gossamer snapshot: ${escapeControl(report.file)}: ${skipped} line${skipped === 1 ? '' : 's'} skipped (ERR_SNAPSHOT_DAMAGED)`)
    return EXIT_DAMAGED
  }
  if (args.json) {
    io.out(JSON.stringify(report))
    return status()
  }
  const l = report.lines
  const out = [
    `snapshot ${escapeControl(report.file)} (${report.bytes} bytes, ${l.total} lines)`,
    `alive members: ${report.aliveCount}`,
    ...report.alive.map((m) => `  ${escapeControl(m.name)}  ${escapeControl(m.addr)}`),
    `not-alive members: ${report.notAliveCount}`,
    `clock: ${report.clock}  event-clock: ${report.eventClock}  query-clock: ${report.queryClock}`,
    `left: ${report.left ? 'yes' : 'no'}`,
    `skipped lines: ${l.skipped} (corrupt ${l.corrupt} in ${l.corruptSpans} spans, unknown ${l.unknown}, unreadable ${l.unreadable}, torn tail ${l.tornBytes} bytes)`,
    `checksummed spans verified: ${l.verifiedSpans}; lines without checksum: ${l.unchecked}`,
    ...report.problems.map((p) => `  ! ${escapeControl(p)}`),
  ]
  io.out(out.join('\n'))
  return status()
}
