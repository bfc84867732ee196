/**
 * A log record as a system's log sink receives it (`ActorSystem.start({ logSink })`): one pino line
 * of any actor, from any thread, parsed once on the system thread. The sink decides the format and
 * where lines go (a node's ring for `monitor`, the agent's stdout in Serf's text format).
 */

/** pino's level names (numeric levels above 50 are `fatal`). */
export type LogRecordLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'

export interface LogRecord {
  /** The actor that logged it; '' for the system thread's own lines (the runtime itself). */
  actor: string
  level: LogRecordLevel
  /** Epoch ms, as pino stamped it in the thread that logged. */
  time: number
  msg: string
  /** Every field of the line (node, actor, err, the call's own bindings), as pino wrote them. */
  fields: Record<string, unknown>
}

/** Receives every record of a system, in order per actor, on the system thread. */
export type LogSink = (record: LogRecord) => void

/** pino's numeric level as a name (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal). */
export function levelName(n: number): LogRecordLevel {
  if (n >= 60) return 'fatal'
  if (n >= 50) return 'error'
  if (n >= 40) return 'warn'
  if (n >= 30) return 'info'
  if (n >= 20) return 'debug'
  return 'trace'
}

/**
 * One pino JSON line as a record; `actor` when the line has no `actor` field. A line that is not
 * a JSON object (pino only writes those) is kept as an info record whose message is the text.
 */
export function recordOfLine(line: string, actor: string): LogRecord {
  let fields: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(line)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('not an object')
    fields = parsed as Record<string, unknown>
  } catch {
    return { actor, level: 'info', time: Date.now(), msg: line.trimEnd(), fields: {} }
  }
  return {
    actor: typeof fields['actor'] === 'string' ? fields['actor'] : actor,
    level: levelName(typeof fields['level'] === 'number' ? fields['level'] : 30),
    time: typeof fields['time'] === 'number' ? fields['time'] : Date.now(),
    msg: typeof fields['msg'] === 'string' ? fields['msg'] : '',
    fields,
  }
}
