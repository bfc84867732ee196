import { describe, expect, it } from 'vitest'
import { createMailboxOptions, createSupervisionOptions, DEFAULT_MAILBOX } from '../../src/runtime/options.ts'

describe('runtime options', () => {
  it('defaults the mailbox to 2048 with backpressure', () => {
    expect(createMailboxOptions()).toEqual(DEFAULT_MAILBOX)
    expect(DEFAULT_MAILBOX.capacity).toBe(2048)
  })

  it.each([
    [{ capacity: 0 }, 'mailbox.capacity'],
    [{ capacity: 1.5 }, 'mailbox.capacity'],
    [{ overflow: 'drop-newest' as never }, 'mailbox.overflow'],
    [{ backpressureCeiling: 0.5 }, 'mailbox.backpressureCeiling'],
  ])('rejects mailbox %j naming %s', (init, field) => {
    expect(() => createMailboxOptions(init)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', details: { field } }))
  })

  it.each([
    [{ maxRestarts: -1 }, 'supervision.maxRestarts'],
    [{ windowMs: 0 }, 'supervision.windowMs'],
    [{ backoffFactor: 0.5 }, 'supervision.backoffFactor'],
    [{ backoffMs: 100, maxBackoffMs: 50 }, 'supervision.maxBackoffMs'],
  ])('rejects supervision %j naming %s', (init, field) => {
    expect(() => createSupervisionOptions(init)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', details: { field } }))
  })

  it('ignores undefined fields instead of overwriting defaults', () => {
    expect(createMailboxOptions({ capacity: undefined }).capacity).toBe(2048)
  })
})
