/**
 * Log levels are checked where they are resolved: an unknown one, given or from GOSSAMER_LOG_LEVEL,
 * is a coded InvalidConfigError listing the valid levels (pino alone throws an uncoded Error).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { LOG_LEVELS, resolveLogLevel, rootLogger } from '../../src/logging/index.ts'
import { InvalidConfigError } from '../../src/errors/index.ts'

const envBefore = process.env['GOSSAMER_LOG_LEVEL']
afterEach(() => {
  if (envBefore === undefined) delete process.env['GOSSAMER_LOG_LEVEL']
  else process.env['GOSSAMER_LOG_LEVEL'] = envBefore
})

const LISTED = 'must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"'

describe('log levels', () => {
  it('takes every pino level and silent', () => {
    for (const level of LOG_LEVELS) expect(resolveLogLevel(level)).toBe(level)
  })

  it('refuses an unknown level with a code, listing the valid ones', () => {
    const thrown = (() => {
      try {
        rootLogger({ level: 'loud' })
      } catch (err) {
        return err
      }
      return undefined
    })()
    expect(thrown).toBeInstanceOf(InvalidConfigError)
    expect(thrown).toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'logLevel' }, message: `logLevel ${LISTED} (got "loud")` })
  })

  it('names GOSSAMER_LOG_LEVEL when the bad level comes from the environment, and reads unset or empty as info', () => {
    process.env['GOSSAMER_LOG_LEVEL'] = 'verbose'
    expect(() => resolveLogLevel()).toThrow(`GOSSAMER_LOG_LEVEL ${LISTED} (got "verbose")`)
    process.env['GOSSAMER_LOG_LEVEL'] = ''
    expect(resolveLogLevel()).toBe('info')
    delete process.env['GOSSAMER_LOG_LEVEL']
    expect(resolveLogLevel()).toBe('info')
    process.env['GOSSAMER_LOG_LEVEL'] = 'debug'
    expect(resolveLogLevel()).toBe('debug')
    expect(resolveLogLevel('warn')).toBe('warn')
  })
})
