/**
 * The node's logs, one path for every line: the node facade's own pino logger and every actor's
 * lines (the ActorSystem's log sink: swim's, member-manager's, ... from their threads) become
 * LogRecords that go to the node's LogRing (for `logs()`, Serf's monitor) and, unless the level is
 * 'silent', to the output: by default pino's JSON line on stdout; `gossamer agent` passes its own
 * (Serf's text format). The ring has a level of its own (ringLevel): a 'silent' node still keeps
 * its info lines there, so a library user can read them without printing them, and the agent keeps
 * every level (as Serf's monitor sees lines below -log-level) while printing none itself.
 */
import { pino, type Logger } from 'pino'
import type { LogLine } from '../api.ts'
import type { LogRing } from '../log-ring.ts'
import { recordOfLine, type LogRecord, type LogSink } from '../../logging/log-record.ts'

export type NodeLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** A record's level as a LogLine level (fatal shows as error: Serf has no fatal). */
function levelOf(level: LogRecord['level']): LogLine['level'] {
  return level === 'fatal' ? 'error' : level
}

/** The message of a record, with the error's message when one is attached (as Serf prints `: <err>`). */
function messageOf(rec: LogRecord): string {
  const err = rec.fields['err']
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') return `${rec.msg}: ${(err as { message: string }).message}`
  return rec.msg
}

/**
 * The subsystem a line shows under: its own `subsystem` field (the node's lines say `serf`,
 * `agent`), else the actor that logged it (`swim`, `member-manager`, ...), else `node` for the
 * facade and `runtime` for the actor system's own lines.
 */
function subsystemOf(rec: LogRecord, fallback: string): string {
  const s = rec.fields['subsystem']
  if (typeof s === 'string') return s
  return rec.actor !== '' ? rec.actor : fallback
}

/** A record as a `logs()` line. */
export function logLineOf(rec: LogRecord, fallbackSubsystem = 'runtime'): LogLine {
  return { level: levelOf(rec.level), time: rec.time, subsystem: subsystemOf(rec, fallbackSubsystem), message: messageOf(rec) }
}

export interface NodeLogOptions {
  name: string
  /** What is printed (output); 'silent': nothing. */
  level: NodeLogLevel
  /** The lowest level kept in the ring (default: `level`, or 'info' when silent). */
  ringLevel?: Exclude<NodeLogLevel, 'silent'>
  ring: LogRing
  /** Where a record goes besides the ring when the level is not 'silent' (default: its JSON line on stdout). */
  output?: (record: LogRecord) => void
}

export interface NodeLog {
  /** The facade's own logger (its lines have no actor; they show as subsystem `node` unless they say one). */
  logger: Logger
  /** The ActorSystem's `logSink`: every actor's records. */
  sink: LogSink
  /**
   * The level the node's actor system (and the facade's logger) runs at: the lower of what is
   * printed and what the ring keeps, so a silent node's ring still fills, and an agent that prints
   * at info still gets its actors' debug lines for monitor.
   */
  systemLevel: Exclude<NodeLogLevel, 'silent'>
}

/** Levels by rank (pino's numbers); fatal ranks above error. */
const RANK: Readonly<Record<LogRecord['level'] | NodeLogLevel, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Number.POSITIVE_INFINITY }

/** Builds the node's log path (see the file comment). */
export function createNodeLog(options: NodeLogOptions): NodeLog {
  const output = options.level === 'silent' ? undefined : (options.output ?? ((rec: LogRecord) => void process.stdout.write(`${JSON.stringify(rec.fields)}\n`)))
  const ringLevel = options.ringLevel ?? (options.level === 'silent' ? 'info' : options.level)
  const ringRank = RANK[ringLevel]
  const printRank = RANK[options.level]
  const take = (rec: LogRecord, fallbackSubsystem: string): void => {
    const rank = RANK[rec.level] ?? RANK.info
    if (rank >= ringRank) options.ring.append(logLineOf(rec, fallbackSubsystem))
    if (rank >= printRank) output?.(rec)
  }
  const systemLevel = RANK[ringLevel] <= printRank ? ringLevel : (options.level as Exclude<NodeLogLevel, 'silent'>)
  const destination = { write: (line: string) => take(recordOfLine(line, ''), 'node') }
  return {
    logger: pino({ level: systemLevel, base: { node: options.name } }, destination),
    sink: (rec) => take(rec, 'runtime'),
    systemLevel,
  }
}

/** The facade's logger alone, printing raw lines to `stdout` (kept for callers that have no actor system). */
export function createNodeLogger(options: { name: string; level: NodeLogLevel; ring: LogRing; stdout?: (line: string) => void }): Logger {
  const stdout = options.stdout
  return createNodeLog({ ...options, ...(stdout === undefined ? {} : { output: (rec: LogRecord) => stdout(`${JSON.stringify(rec.fields)}\n`) }) }).logger
}
