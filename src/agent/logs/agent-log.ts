/**
 * The agent's logs (serf-rpc.md 6.10): lines go through pino at Serf's levels (trace, debug, info,
 * warn, err) into one sink that
 * - prints them on stdout in Serf's format with 4 leading spaces, at or above `-log-level`, holding
 *   them back until the banner says `Log data will now stream in as it occurs` (`openGate`);
 * - keeps the last 512 of every level for `monitor` (replayed oldest first, then live lines);
 * - feeds every open monitor stream (each bounded to 512, drops counted).
 * The node's own lines (node.logs()) come in through `accept`, so monitor sees one ring, as Serf's.
 */
import { pino } from 'pino'
import type { Logger } from 'pino'
import type { BoundedStream, LogLine } from '../../node/api.ts'
import { QueueStream } from '../../node/bounded-stream.ts'
import type { SerfLogLevel } from '../config/agent-config.ts'
import { formatSerfLine, levelAtLeast, SERF_LEVEL_OF, toLineLevel } from './serf-log-line.ts'

/** Lines kept for monitor replay, and the bound of each monitor's queue (Serf's 512). */
export const LOG_RING_LINES = 512
/** Lines held back before the banner ends; past it the oldest are dropped (counted). */
const GATE_LINES = 4096

const PINO_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, err: 50 } as const
type PinoLevel = keyof typeof PINO_LEVELS
const LINE_LEVEL_OF_PINO: Readonly<Record<number, LogLine['level']>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error' }

export interface AgentLogOptions {
  level: SerfLogLevel
  /** Writes one line of text (stdout). */
  write(text: string): void
  /** Epoch ms. */
  now(): number
}

export class AgentLog {
  #min: SerfLogLevel
  readonly #write: (text: string) => void
  readonly #ring: LogLine[] = []
  readonly #monitors = new Set<{ stream: QueueStream<LogLine>; min: SerfLogLevel }>()
  #held: string[] | undefined = []
  #heldDropped = 0
  readonly #pino: Logger<PinoLevel, true>

  constructor(options: AgentLogOptions) {
    this.#min = options.level
    this.#write = options.write
    const now = options.now
    // pino at its lowest level: the console filter is applied here, monitor sees every line.
    this.#pino = pino<PinoLevel, true>(
      {
        level: 'trace',
        customLevels: PINO_LEVELS,
        useOnlyCustomLevels: true,
        base: null,
        timestamp: () => `,"time":${now()}`,
      },
      { write: (json: string) => this.#fromPino(json) },
    )
  }

  get level(): SerfLogLevel {
    return this.#min
  }

  setLevel(level: SerfLogLevel): void {
    this.#min = level
  }

  /** The pino logger, for code that wants one (`log.warn({ subsystem: 'agent' }, 'text')`). */
  get pino(): Logger<PinoLevel, true> {
    return this.#pino
  }

  trace(subsystem: string, message: string): void {
    this.#pino.trace({ subsystem }, message)
  }
  debug(subsystem: string, message: string): void {
    this.#pino.debug({ subsystem }, message)
  }
  info(subsystem: string, message: string): void {
    this.#pino.info({ subsystem }, message)
  }
  warn(subsystem: string, message: string): void {
    this.#pino.warn({ subsystem }, message)
  }
  err(subsystem: string, message: string): void {
    this.#pino.err({ subsystem }, message)
  }

  #fromPino(json: string): void {
    const o = JSON.parse(json) as { level: number; time: number; subsystem?: string; msg?: string }
    this.accept({ level: LINE_LEVEL_OF_PINO[o.level] ?? 'info', time: o.time, subsystem: o.subsystem ?? 'agent', message: o.msg ?? '' })
  }

  /** One line from anywhere (the agent through pino, or the node's log stream). */
  accept(line: LogLine): void {
    this.#ring.push(line)
    if (this.#ring.length > LOG_RING_LINES) this.#ring.shift()
    for (const m of this.#monitors) if (levelAtLeast(line.level, m.min)) m.stream.push(line)
    if (!levelAtLeast(line.level, this.#min)) return
    const text = `    ${formatSerfLine(line)}`
    if (this.#held === undefined) this.#write(text)
    else {
      this.#held.push(text)
      if (this.#held.length > GATE_LINES) {
        this.#held.shift()
        this.#heldDropped++
      }
    }
  }

  /** Prints the held lines and every later line at once (after the banner). */
  openGate(): void {
    const held = this.#held ?? []
    this.#held = undefined
    if (this.#heldDropped > 0) this.#write(`    (${this.#heldDropped} early log lines dropped)`)
    for (const text of held) this.#write(text)
  }

  /** Serf's monitor: the ring at `level` and above first, then live lines; bounded, drops counted. */
  monitor(options: { level?: LogLine['level']; signal?: AbortSignal } = {}): BoundedStream<LogLine> {
    const min = SERF_LEVEL_OF[options.level ?? 'trace']
    const entry = { stream: undefined as unknown as QueueStream<LogLine>, min }
    const stream = new QueueStream<LogLine>(LOG_RING_LINES, options.signal)
    stream.onClose(() => this.#monitors.delete(entry))
    entry.stream = stream
    for (const line of this.#ring) if (levelAtLeast(line.level, min)) stream.push(line)
    if (!stream.ended) this.#monitors.add(entry)
    return stream
  }

  /** Ends every monitor stream. */
  close(): void {
    for (const m of [...this.#monitors]) m.stream.end()
  }
}

export { toLineLevel }
