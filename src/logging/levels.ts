/**
 * The log levels (pino's, without importing pino: runtime options check a level on any thread) and
 * the one place a level is resolved and checked.
 */
import { checkOneOf } from '../config/values.ts'

/** pino's levels, most severe first, and `silent` (nothing). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/**
 * The level in force: `level`, else GOSSAMER_LOG_LEVEL, else 'info'. An unknown level (given or from
 * the environment) is an InvalidConfigError naming where it came from and listing the valid ones,
 * instead of pino's uncoded "unknown level" throw.
 */
export function resolveLogLevel(level?: unknown, field = 'logLevel'): LogLevel {
  if (level !== undefined) {
    checkOneOf(field, level, LOG_LEVELS)
    return level
  }
  const fromEnv = process.env['GOSSAMER_LOG_LEVEL']
  if (fromEnv === undefined || fromEnv === '') return 'info'
  checkOneOf('GOSSAMER_LOG_LEVEL', fromEnv, LOG_LEVELS)
  return fromEnv
}
