import { describe, expect, it } from 'vitest'
import { fromHex, jsonErrors, toHex, WireCodecError } from '../../src/wire/index.ts'
import type { Json } from '../../src/wire/index.ts'
import { codeOf } from './helpers.ts'

describe('wire - hex', () => {
  it('parses hex with whitespace, either case and an optional 0x prefix', () => {
    expect(toHex(fromHex('0A ff\n00'))).toBe('0aff00')
    expect(toHex(fromHex('  0xDEAD beef'))).toBe('deadbeef')
    expect(fromHex('').length).toBe(0)
  })

  it('names the offset of the first non-hex character', () => {
    let caught: unknown
    try {
      fromHex('0x00 1g')
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(WireCodecError)
    const err = caught as WireCodecError
    expect(err.code).toBe('ERR_WIRE_BAD_HEX')
    expect(err.message).toBe('not a hex digit: "g" at offset 6')
    expect(err.details).toMatchObject({ offset: 6 })
    expect(() => fromHex('zz')).toThrow(/"z" at offset 0/)
    expect(() => fromHex('ab\u00e9')).toThrow(/"\u00e9" at offset 2/)
  })

  it('tells an odd number of digits apart from a bad character', () => {
    expect(codeOf(() => fromHex('abc'))).toBe('ERR_WIRE_BAD_HEX')
    expect(() => fromHex('ab c')).toThrow(/odd number of hex digits \(3\)/)
  })
})

describe('wire - json errors', () => {
  it('lists each nested {error: {code}} with its path, in document order', () => {
    const json: Json = {
      type: 'compound',
      parts: [
        { type: 'invalid', error: { code: 'ERR_WIRE_EMPTY', message: 'empty' }, bytes: '' },
        { type: 'user', serf: { error: { code: 'ERR_WIRE_UNKNOWN_TYPE', message: 'x' } } },
        { type: 'alive', tags: { error: 'a tag called error is data, not an error' } },
      ],
    }
    expect(jsonErrors(json)).toEqual([
      { path: 'parts[0]', code: 'ERR_WIRE_EMPTY', message: 'empty' },
      { path: 'parts[1].serf', code: 'ERR_WIRE_UNKNOWN_TYPE', message: 'x' },
    ])
    expect(jsonErrors({ type: 'ping', SeqNo: 1 })).toEqual([])
    expect(jsonErrors({ error: { code: 'ERR_WIRE_TRUNCATED', message: 'm' } })).toEqual([{ path: '.', code: 'ERR_WIRE_TRUNCATED', message: 'm' }])
  })
})
