import { describe, expect, it } from 'vitest'
import { createSwimConfig } from '../../../actors/swim/config.ts'
import type { SwimInit } from '../../../actors/swim/config.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'
import { Keyring } from '../../../src/wire/keyring.ts'

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill)
const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64')

function refusal(init: SwimInit): InvalidConfigError {
  try {
    createSwimConfig(init)
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError)
    return err as InvalidConfigError
  }
  throw new Error('createSwimConfig accepted it')
}

describe('swim config: keys as data (swim.keys)', () => {
  it('builds the keyring from raw keys of each AES size, primary first', () => {
    const keys = [bytes(32, 1), bytes(16, 2), bytes(24, 3)]
    const config = createSwimConfig({ keys })
    expect(config.keyring).toBeInstanceOf(Keyring)
    expect(config.keyring!.keys).toEqual(keys)
    expect(config.keyring!.primary).toEqual(keys[0])
  })

  it("takes Serf's base64 text, mixed with raw keys", () => {
    const config = createSwimConfig({ keys: [base64(bytes(16, 7)), bytes(32, 8)] })
    expect(config.keyring!.keys).toEqual([bytes(16, 7), bytes(32, 8)])
  })

  it('builds the same keyring from keys that went through a structured clone (the worker placement)', () => {
    const init = structuredClone({ keys: [bytes(32, 9)] })
    expect(createSwimConfig(init).keyring!.keys).toEqual([bytes(32, 9)])
  })

  it('is plaintext when keys are omitted or null', () => {
    expect(createSwimConfig({}).keyring).toBeNull()
    expect(createSwimConfig({ keys: null }).keyring).toBeNull()
  })

  it('still takes a Keyring instance in-process (inline placement, simulator)', () => {
    const ring = new Keyring([bytes(16, 4)])
    expect(createSwimConfig({ keyring: ring }).keyring).toBe(ring)
  })

  const cases: Array<[string, SwimInit, string]> = [
    ['an empty key list', { keys: [] }, 'swim.keys'],
    ['a key list that is not an array', { keys: 'abc' as never }, 'swim.keys'],
    ['a 20-byte key', { keys: [bytes(16, 1), bytes(20, 1)] }, 'swim.keys[1]'],
    ['a key that is a number', { keys: [42 as never] }, 'swim.keys[0]'],
    ['text that is not base64', { keys: ['not base64!'] }, 'swim.keys[0]'],
    ['base64 of 10 bytes', { keys: [base64(bytes(10, 1))] }, 'swim.keys[0]'],
    ['keys and a keyring at once', { keys: [bytes(16, 1)], keyring: new Keyring([bytes(16, 1)]) }, 'swim.keys'],
  ]
  it.each(cases)('refuses %s naming the field', (_name, init, field) => {
    const err = refusal(init)
    expect(err.code).toBe('ERR_INVALID_CONFIG')
    expect(err.details).toEqual({ field })
  })

  it('refuses a Keyring stripped by a structured clone, pointing at swim.keys', () => {
    const cloned = structuredClone({ keyring: new Keyring([bytes(16, 5)]) }) as SwimInit
    const err = refusal(cloned)
    expect(err.details).toEqual({ field: 'swim.keyring' })
    expect(err.message).toContain('swim.keys')
  })
})
