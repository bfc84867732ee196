/**
 * ActorSystem.start checks its options before building anything: unknown fields (with a did-you-mean),
 * a non-object, the ask timeout, the log level, the compute pool and the mailbox and supervision
 * groups, each error naming the field and showing the value received.
 */
import { describe, expect, it } from 'vitest'
import { ActorSystem } from '../../src/runtime/actor-system.ts'
import { createMailboxOptions, createSupervisionOptions, validateSystemOptions } from '../../src/runtime/options.ts'
import type { SystemOptions } from '../../src/runtime/types.ts'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { InvalidConfigError } from '../../src/errors/index.ts'

async function startRefusal(options: unknown): Promise<{ field: unknown; message: string }> {
  let system: ActorSystem | undefined
  try {
    system = await ActorSystem.start(options as SystemOptions)
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError)
    expect((err as InvalidConfigError).code).toBe('ERR_INVALID_CONFIG')
    return { field: (err as InvalidConfigError).details?.['field'], message: (err as Error).message }
  }
  await system.shutdown()
  throw new Error(`ActorSystem.start accepted ${JSON.stringify(options)}`)
}

describe('ActorSystem.start options', () => {
  it.each([
    [-1, '(got -1)'],
    [0, '(got 0)'],
    [Number.NaN, '(got NaN)'],
    ['5000', '(got "5000")'],
    // Past a Node timer's range: setTimeout would fire after 1 ms.
    [3e9, '(got 3000000000)'],
  ])('refuses askTimeoutMs %j', async (askTimeoutMs, got) => {
    expect(await startRefusal({ logLevel: 'silent', askTimeoutMs })).toEqual({
      field: 'system.askTimeoutMs',
      message: `system.askTimeoutMs must be a finite number in (0, 2147483647] (ms) ${got}`,
    })
  })

  it('refuses logLevel "loud" with a code, listing the valid levels', async () => {
    expect(await startRefusal({ logLevel: 'loud' })).toEqual({
      field: 'system.logLevel',
      message: 'system.logLevel must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent" (got "loud")',
    })
  })

  it('refuses a misspelled option, suggesting the known one', async () => {
    expect((await startRefusal({ logLevel: 'silent', askTimeout: 100 })).message).toBe('system.askTimeout is not a known field; did you mean askTimeoutMs?')
    expect((await startRefusal({ logLevl: 'silent' })).message).toBe('system.logLevl is not a known field; did you mean logLevel?')
    expect((await startRefusal({ logLevel: 'silent', compute: { maxThread: 2 } })).message).toBe(
      'system.compute.maxThread is not a known field; did you mean maxThreads?',
    )
  })

  it.each([['x'], [null], [[]]])('refuses %j as the options', async (options) => {
    expect((await startRefusal(options)).field).toBe('system')
  })

  it('refuses wrong types in the other options, naming them', async () => {
    expect((await startRefusal({ logLevel: 'silent', seed: 1.5 })).field).toBe('system.seed')
    expect((await startRefusal({ logLevel: 'silent', node: 7 })).field).toBe('system.node')
    expect((await startRefusal({ logLevel: 'silent', clock: 'simulated' })).field).toBe('system.clock')
    expect((await startRefusal({ logLevel: 'silent', snapshotStore: {} })).field).toBe('system.snapshotStore')
    expect((await startRefusal({ logLevel: 'silent', compute: { maxThreads: 0 } })).field).toBe('system.compute.maxThreads')
    expect((await startRefusal({ logLevel: 'silent', compute: { nice: 20 } })).field).toBe('system.compute.nice')
    expect((await startRefusal({ logLevel: 'silent', compute: { nice: -1 } })).field).toBe('system.compute.nice')
    expect((await startRefusal({ logLevel: 'silent', mailbox: { capacty: 10 } })).message).toBe('mailbox.capacty is not a known field; did you mean capacity?')
    expect((await startRefusal({ logLevel: 'silent', supervision: 'fast' })).field).toBe('supervision')
    expect((await startRefusal({ logLevel: 'silent', codeCache: '' })).field).toBe('system.codeCache')
    expect((await startRefusal({ logLevel: 'silent', codeCache: false })).field).toBe('system.codeCache')
  })

  it('accepts every option in its documented form', async () => {
    const options: SystemOptions = {
      node: 'n1',
      clock: new SimulatedClock(),
      seed: -7,
      logLevel: 'silent',
      mailbox: { capacity: 16 },
      supervision: { maxRestarts: 1 },
      compute: { maxThreads: 1, idleTimeoutMs: 1000, nice: 5 },
      askTimeoutMs: 250,
    }
    expect(validateSystemOptions(options)).toBe(options)
    const system = await ActorSystem.start(options)
    await system.shutdown()
    expect(validateSystemOptions(undefined)).toEqual({})
    expect(validateSystemOptions({ compute: false, clock: 'real' })).toEqual({ compute: false, clock: 'real' })
  })
})

describe('mailbox and supervision options', () => {
  it('refuse misspelled fields and non-objects, and show the value received', () => {
    expect(() => createMailboxOptions({ overflw: 'reject' } as never)).toThrow('mailbox.overflw is not a known field; did you mean overflow?')
    expect(() => createMailboxOptions('x' as never)).toThrow('mailbox must be an object of config fields (got "x")')
    expect(() => createMailboxOptions({ capacity: '10' as never })).toThrow('mailbox.capacity must be an integer in [1, 16777216] (got "10")')
    expect(() => createSupervisionOptions({ maxRestart: 3 } as never)).toThrow('supervision.maxRestart is not a known field; did you mean maxRestarts?')
    expect(() => createSupervisionOptions({ backoffMs: Number.NaN })).toThrow('supervision.backoffMs must be a finite number in [0, 2147483647] (ms) (got NaN)')
    expect(() => createSupervisionOptions({ backoffMs: 100, maxBackoffMs: 50 })).toThrow('supervision.maxBackoffMs must be >= supervision.backoffMs (100) (got 50)')
  })
})
