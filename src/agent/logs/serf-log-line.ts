/**
 * Serf's agent log line (serf-rpc.md 6.10, 4.2): Go's `log` standard flags, local time,
 * `YYYY/MM/DD HH:MM:SS [LEVEL] subsystem: message`, and the level names TRACE DEBUG INFO WARN ERR.
 */
import type { LogLine } from '../../node/api.ts'
import type { SerfLogLevel } from '../config/agent-config.ts'

/** Our LogLine levels in Serf's names. */
export const SERF_LEVEL_OF: Readonly<Record<LogLine['level'], SerfLogLevel>> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERR',
}

/** Serf's names, lowest first: a line shows when its rank is at or above the minimum's. */
const RANK: Readonly<Record<SerfLogLevel, number>> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERR: 4 }

export function levelAtLeast(level: LogLine['level'], min: SerfLogLevel): boolean {
  return RANK[SERF_LEVEL_OF[level]] >= RANK[min]
}

export function toLineLevel(level: SerfLogLevel): LogLine['level'] {
  return level === 'ERR' ? 'error' : (level.toLowerCase() as LogLine['level'])
}

const two = (n: number): string => String(n).padStart(2, '0')

/** Go's log prefix of an epoch-ms time, in local time: `2026/12/06 02:05:37`. */
export function goLogTime(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}/${two(d.getMonth() + 1)}/${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

export function formatSerfLine(line: LogLine): string {
  return `${goLogTime(line.time)} [${SERF_LEVEL_OF[line.level]}] ${line.subsystem}: ${line.message}`
}
