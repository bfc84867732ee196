import { describe, expect, it } from 'vitest'
import { toWireError } from '../../src/errors/cluster-error.ts'
import { AskTimeoutError, UnknownMessageError, runtimeErrorFromWire } from '../../src/errors/runtime-errors.ts'

describe('runtime errors across threads', () => {
  it('come back as their class with code, message and details', () => {
    const wire = structuredClone(toWireError(new AskTimeoutError('a', 'x.get', 50)))
    const back = runtimeErrorFromWire(wire)
    expect(back).toBeInstanceOf(AskTimeoutError)
    expect(back).toMatchObject({ code: 'ERR_ACTOR_ASK_TIMEOUT', message: wire.message, details: { actor: 'a', timeoutMs: 50 } })
    expect(runtimeErrorFromWire(toWireError(new UnknownMessageError('a', 'zz')))).toBeInstanceOf(UnknownMessageError)
  })

  it('keep unknown codes as plain coded errors', () => {
    expect(runtimeErrorFromWire({ code: 'ERR_SWIM_X', message: 'm' })).toMatchObject({ code: 'ERR_SWIM_X', message: 'm' })
  })
})
