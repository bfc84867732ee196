/**
 * The shared config checks (src/config) and the value formatting every InvalidConfigError uses
 * (src/errors/format-value.ts).
 */
import { describe, expect, it } from 'vitest'
import { formatValue, InvalidConfigError } from '../../src/errors/index.ts'
import { configObject, knownFieldsOnly, rejectUnknownFields } from '../../src/config/fields.ts'
import { closestName, editDistance } from '../../src/config/suggest.ts'
import { checkInt, checkNumber, checkOneOf, TIMER_MAX_MS } from '../../src/config/values.ts'

/** The InvalidConfigError `fn` throws (fails the test if it throws anything else or nothing). */
function configErrorOf(fn: () => unknown): InvalidConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError)
    return err as InvalidConfigError
  }
  throw new Error('expected an InvalidConfigError, nothing was thrown')
}

describe('formatValue', () => {
  it.each([
    ['10', '"10"'],
    [10, '10'],
    [-1, '-1'],
    [1.5, '1.5'],
    [Number.NaN, 'NaN'],
    [-0, '-0'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [10n, '10n'],
    [true, 'true'],
    [null, 'null'],
    [undefined, 'undefined'],
    [[1, 'a'], '[1, "a"]'],
    [[1, 2, 3, 4, 5], '[1, 2, 3, 4, …]'],
    [{ a: 1, 'b-c': 'x' }, '{a: 1, "b-c": "x"}'],
    [{ nested: { deep: 1 } }, '{nested: {…}}'],
    [new Uint8Array(16), 'Uint8Array(16 bytes)'],
    [new Map([[1, 2]]), 'Map(1)'],
    [function named() {}, 'function named'],
  ] as const)('shows %s as %s', (value, text) => {
    expect(formatValue(value)).toBe(text)
  })

  it('bounds the text, and survives a getter that throws', () => {
    expect(formatValue('x'.repeat(1000)).length).toBeLessThanOrEqual(80)
    const hostile = {
      get boom(): never {
        throw new Error('no')
      },
    }
    expect(formatValue(hostile)).toBe('an object')
  })

  it('is what InvalidConfigError shows after "got", and only when a value is given', () => {
    expect(new InvalidConfigError('swim.tcpTimeoutMs', 'must be an integer', { got: '10' }).message).toBe('swim.tcpTimeoutMs must be an integer (got "10")')
    expect(new InvalidConfigError('swim.tcpTimeoutMs', 'must be an integer', { got: undefined }).message).toBe('swim.tcpTimeoutMs must be an integer (got undefined)')
    expect(new InvalidConfigError('swim.tcpTimeoutMs', 'must be an integer').message).toBe('swim.tcpTimeoutMs must be an integer')
  })
})

describe('closestName', () => {
  const swimish = ['probeIntervalMs', 'probeTimeoutMs', 'gossipNodes', 'gossipIntervalMs', 'tcpTimeoutMs']
  it.each([
    ['probeIntervall', 'probeIntervalMs'],
    ['probeInterval', 'probeIntervalMs'],
    ['ProbeIntervalMS', 'probeIntervalMs'],
    ['gossipNodse', 'gossipNodes'],
    ['tcpTimeout', 'tcpTimeoutMs'],
  ])('suggests %s -> %s', (name, near) => {
    expect(closestName(name, swimish)).toBe(near)
  })

  it('suggests nothing for a different word', () => {
    expect(closestName('port', ['path'])).toBeUndefined()
    expect(closestName('retries', swimish)).toBeUndefined()
    expect(closestName('', swimish)).toBeUndefined()
  })

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('capaicty', 'capacity')).toBe(1)
    expect(editDistance('abc', 'abc')).toBe(0)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })
})

describe('config objects', () => {
  it.each([['x'], [5], [null], [[1, 2]], [new Map()], [new Date(0)]])('refuses %j as a config object, naming the section', (value) => {
    const err = configErrorOf(() => configObject('gossipQueue', value))
    expect(err.code).toBe('ERR_INVALID_CONFIG')
    expect(err.details).toEqual({ field: 'gossipQueue' })
    expect(err.message).toBe(`gossipQueue must be an object of config fields (got ${formatValue(value)})`)
  })

  it('takes undefined as {} and plain objects as they are, Object.create(null) included', () => {
    expect(configObject('s', undefined)).toEqual({})
    const bare = Object.create(null) as Record<string, unknown>
    bare['a'] = 1
    expect(configObject('s', bare)).toBe(bare)
  })

  it('names an unknown field and suggests the nearest known one', () => {
    const err = configErrorOf(() => rejectUnknownFields('swim', { probeIntervall: 500 }, ['probeIntervalMs', 'probeTimeoutMs']))
    expect(err.message).toBe('swim.probeIntervall is not a known field; did you mean probeIntervalMs?')
    expect(err.details).toEqual({ field: 'swim.probeIntervall' })
  })

  it('lists the known fields when none is near, and counts a key set to undefined', () => {
    expect(configErrorOf(() => rejectUnknownFields('mailbox', { colour: 1 }, ['capacity', 'overflow'])).message).toBe(
      'mailbox.colour is not a known field (known: capacity, overflow)',
    )
    expect(configErrorOf(() => knownFieldsOnly('mailbox', { capacty: undefined }, ['capacity'])).details).toEqual({ field: 'mailbox.capacty' })
    expect(configErrorOf(() => knownFieldsOnly('mailbox', { 'odd key': 1 }, ['capacity'])).details).toEqual({ field: 'mailbox["odd key"]' })
  })
})

describe('value checks', () => {
  it.each([
    ['10', 'must be an integer in [1, 100] (got "10")'],
    [Number.NaN, 'must be an integer in [1, 100] (got NaN)'],
    [1.5, 'must be an integer in [1, 100] (got 1.5)'],
    [-1, 'must be an integer in [1, 100] (got -1)'],
    [101, 'must be an integer in [1, 100] (got 101)'],
  ])('checkInt refuses %j', (value, rule) => {
    expect(configErrorOf(() => checkInt('x.n', value, 1, 100)).message).toBe(`x.n ${rule}`)
  })

  it('words open ranges plainly and adds the unit', () => {
    expect(configErrorOf(() => checkInt('x.n', 0, 1)).message).toBe('x.n must be a positive integer (got 0)')
    expect(configErrorOf(() => checkInt('x.n', -1, 0, Number.MAX_SAFE_INTEGER, 'ms')).message).toBe('x.n must be a non-negative integer (ms) (got -1)')
    expect(configErrorOf(() => checkNumber('x.t', -1, { min: 0, exclusiveMin: true, max: TIMER_MAX_MS, unit: 'ms' })).message).toBe(
      `x.t must be a finite number in (0, ${TIMER_MAX_MS}] (ms) (got -1)`,
    )
    expect(configErrorOf(() => checkNumber('x.t', Number.POSITIVE_INFINITY, { min: 0 })).message).toBe('x.t must be a finite number >= 0 (got Infinity)')
    expect(configErrorOf(() => checkOneOf('x.o', 'loud', ['a', 'b'])).message).toBe('x.o must be one of "a", "b" (got "loud")')
    expect(() => checkInt('x.n', 100, 1, 100)).not.toThrow()
  })
})
