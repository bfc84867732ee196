/**
 * The node facade's pino logger: every line goes to the node's LogRing (for `logs()`, Serf's
 * monitor) and, unless the level is 'silent', to stdout as pino's JSON. A 'silent' node still keeps
 * its info lines in the ring, so a library user can read them without printing them.
 */
import { pino, type Logger } from 'pino'
import type { LogLine } from '../api.ts'
import type { LogRing } from '../log-ring.ts'

/** pino's numeric levels as LogLine levels (fatal, 60, shows as error: Serf has no fatal). */
function levelOf(n: number): LogLine['level'] {
  if (n >= 50) return 'error'
  if (n >= 40) return 'warn'
  if (n >= 30) return 'info'
  if (n >= 20) return 'debug'
  return 'trace'
}

/** The message of a pino line, with the error's code and message when one is attached (as Serf prints `: <err>`). */
function messageOf(rec: Record<string, unknown>): string {
  const msg = typeof rec['msg'] === 'string' ? rec['msg'] : ''
  const err = rec['err']
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') return `${msg}: ${(err as { message: string }).message}`
  return msg
}

export function createNodeLogger(options: { name: string; level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'; ring: LogRing; stdout?: (line: string) => void }): Logger {
  const print = options.level === 'silent' ? undefined : (options.stdout ?? ((line: string) => process.stdout.write(line)))
  const destination = {
    write(line: string): void {
      print?.(line)
      let rec: Record<string, unknown>
      try {
        rec = JSON.parse(line) as Record<string, unknown>
      } catch {
        return // pino writes JSON; anything else is not ours to keep
      }
      options.ring.append({
        level: levelOf(typeof rec['level'] === 'number' ? rec['level'] : 30),
        time: typeof rec['time'] === 'number' ? rec['time'] : 0,
        subsystem: typeof rec['subsystem'] === 'string' ? rec['subsystem'] : 'node',
        message: messageOf(rec),
      })
    },
  }
  return pino({ level: options.level === 'silent' ? 'info' : options.level, base: { node: options.name } }, destination)
}
