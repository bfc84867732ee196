/**
 * One pino root logger per thread, writing synchronously to fd 1 (no pino.transport: that would
 * start a thread per call; see spec §7). Each actor gets a child with `{ node, actor }`.
 * Level: the `level` option, else GOSSAMER_LOG_LEVEL, else 'info'.
 */
import { pino, type DestinationStream, type Logger } from 'pino'
import { resolveLogLevel } from './levels.ts'

let root: Logger | undefined
let rootKey = ''

export interface RootLoggerOptions {
  node?: string
  level?: string
  /** Where lines go (default fd 1, synchronous). Giving one always builds a new root. */
  destination?: DestinationStream
}

/** The thread's root logger (created on first call; a different level or node replaces it). */
export function rootLogger(options: RootLoggerOptions = {}): Logger {
  const level = resolveLogLevel(options.level)
  const node = options.node ?? ''
  const key = `${level}\u0000${node}`
  if (options.destination !== undefined) return pino({ level, base: { node } }, options.destination)
  if (root === undefined || key !== rootKey) {
    root = pino({ level, base: { node } }, pino.destination({ dest: 1, sync: true }))
    rootKey = key
  }
  return root
}

/** A child logger for one actor, with `{ actor }` added to the root's `{ node }`. */
export function actorLogger(parent: Logger, actor: string): Logger {
  return parent.child({ actor })
}
