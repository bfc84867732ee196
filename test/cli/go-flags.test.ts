/** Go's flag rules as Serf's verbs and `serf agent` see them, Go durations, and the monitor verb's event lines. */
import { describe, expect, it } from 'vitest'
import { FlagError, parseGoDurationNs as parseGoDuration, parseGoFlags, parseGoInt } from '../../src/cli/go-flags.ts'
import { formatEvent } from '../../src/cli/verbs/monitor.ts'

const defs = {
  detailed: { kind: 'bool' as const },
  coalesce: { kind: 'bool' as const, default: true },
  format: { kind: 'string' as const, default: 'text' },
  tag: { kind: 'list' as const },
  'relay-factor': { kind: 'int' as const, default: 0 },
  timeout: { kind: 'duration' as const, default: 0n },
}

describe('parseGoFlags', () => {
  it('takes -f=v, -f v and --f=v alike; repeatable flags append; parsing stops at the first positional', () => {
    const p = parseGoFlags(['-format', 'json', '--tag=a=1', '-tag', 'b=2', '-detailed', 'name', '-format=text'], defs)
    expect(p.values).toMatchObject({ format: 'json', tag: ['a=1', 'b=2'], detailed: true, coalesce: true })
    expect(p.args).toEqual(['name', '-format=text'])
  })

  it('a boolean takes only -f or -f=value; "-f false" leaves "false" as a positional', () => {
    expect(parseGoFlags(['-coalesce=false'], defs).values['coalesce']).toBe(false)
    const p = parseGoFlags(['-detailed', 'false'], defs)
    expect([p.values['detailed'], p.args]).toEqual([true, ['false']])
    expect(() => parseGoFlags(['-detailed=maybe'], defs)).toThrow('invalid boolean value "maybe" for -detailed: parse error')
  })

  it("reports Go's texts: unknown flag, missing value, bad int; -- ends the flags; help anywhere", () => {
    expect(() => parseGoFlags(['-bogus'], defs)).toThrow(new FlagError('flag provided but not defined: -bogus'))
    expect(() => parseGoFlags(['-format'], defs)).toThrow('flag needs an argument: -format')
    expect(() => parseGoFlags(['-relay-factor=x'], defs)).toThrow('invalid value "x" for flag -relay-factor: parse error')
    expect(parseGoFlags(['--', '-detailed'], defs).args).toEqual(['-detailed'])
    expect(parseGoFlags(['name', '-h'], defs, { helpAnywhere: true }).help).toBe(true)
    expect(parseGoFlags(['-bogus', '--help'], defs, { helpAnywhere: true }).help).toBe(true)
  })

  it('parses Go durations to nanoseconds', () => {
    expect(parseGoDuration('1m30s')).toBe(90_000_000_000n)
    expect(parseGoDuration('500ms')).toBe(500_000_000n)
    expect(parseGoDuration('1.5h')).toBe(5_400_000_000_000n)
    expect(parseGoDuration('0')).toBe(0n)
    expect(parseGoDuration('10')).toBeUndefined()
    expect(parseGoDuration('1x')).toBeUndefined()
    expect(parseGoFlags(['-timeout=2s'], defs).values['timeout']).toBe(2_000_000_000n)
  })
})

const SPECS = { node: { kind: 'string' }, rejoin: { kind: 'bool' }, 'retry-max': { kind: 'int' }, join: { kind: 'list' } } as const

describe('parseGoFlags: the agent\'s cases', () => {
  it.each([
    [['-node=a'], { node: 'a' }, []],
    [['-node', 'a'], { node: 'a' }, []],
    [['--node=a'], { node: 'a' }, []],
    [['--node', 'a'], { node: 'a' }, []],
    [['-node', '-x'], { node: '-x' }, []], // a value may start with a dash, as in Go
    [['-node='], { node: '' }, []],
    [['-rejoin'], { rejoin: true }, []],
    [['-rejoin=false'], { rejoin: false }, []],
    [['-rejoin=T'], { rejoin: true }, []],
    // A boolean never takes the next argument: `false` is the first non-flag and stops parsing.
    [['-rejoin', 'false', '-node=a'], { rejoin: true }, ['false', '-node=a']],
    [['-retry-max=0x10'], { 'retry-max': 16 }, []],
    [['-retry-max', '-3'], { 'retry-max': -3 }, []],
    [['-join=a', '-join', 'b', '-join=c'], { join: ['a', 'b', 'c'] }, []],
    [['-node=a', '--', '-rejoin'], { node: 'a' }, ['-rejoin']],
    [['x', '-node=a'], {}, ['x', '-node=a']],
    [['-', '-node=a'], {}, ['-', '-node=a']],
  ])('%j parses as Go does', (argv, want, rest) => {
    const p = parseGoFlags(argv, SPECS)
    expect(Object.fromEntries(p.given)).toEqual(want)
    expect(p.args).toEqual(rest)
  })

  it.each([
    [['-bogus'], 'flag provided but not defined: -bogus'],
    [['-node'], 'flag needs an argument: -node'],
    [['-retry-max=x'], 'invalid value "x" for flag -retry-max: parse error'],
    [['-retry-max=99999999999999999999'], 'invalid value "99999999999999999999" for flag -retry-max: value out of range'],
    [['-rejoin=yes'], 'invalid boolean value "yes" for -rejoin: parse error'],
    [['---node=a'], 'bad flag syntax: ---node=a'],
    [['-=a'], 'bad flag syntax: -=a'],
  ])('%j fails with Go\'s text', (argv, message) => {
    expect(() => parseGoFlags(argv, SPECS)).toThrow(expect.objectContaining({ code: 'ERR_CLI_USAGE', message }))
  })

  it('-h and -help ask for help instead of failing; without helpAnywhere only where a flag may stand', () => {
    expect(parseGoFlags(['-h'], SPECS).help).toBe(true)
    expect(parseGoFlags(['-help'], SPECS).help).toBe(true)
    expect(parseGoFlags(['x', '-h'], SPECS)).toMatchObject({ help: false, args: ['x', '-h'] })
  })

  it('keeps every occurrence in command-line order', () => {
    expect(parseGoFlags(['-join=a', '-rejoin', '-node', 'n', '-join', 'b'], SPECS).order).toEqual([
      { name: 'join', value: 'a' },
      { name: 'rejoin', value: true },
      { name: 'node', value: 'n' },
      { name: 'join', value: 'b' },
    ])
  })

  it('reads ints as strconv.ParseInt(s, 0, 64)', () => {
    expect([parseGoInt('010'), parseGoInt('0b11'), parseGoInt('1_000'), parseGoInt('+7'), parseGoInt('1__0'), parseGoInt('')]).toEqual([
      8,
      3,
      1000,
      7,
      'parse error',
      'parse error',
    ])
  })
})

describe('monitor event lines', () => {
  it("print each record field as Go's %#v shows it", () => {
    const raw = { Event: 'user', LTime: 4, Name: 'deploy', Payload: Uint8Array.of(0x70, 0x6c), Coalesce: true }
    expect(formatEvent({ event: 'user', ltime: 4n, name: 'deploy', payload: raw.Payload, coalesce: true, raw })).toBe(
      'Event Info:\n\tEvent: "user"\n\tLTime: 4\n\tName: "deploy"\n\tPayload: []byte{0x70, 0x6c}\n\tCoalesce: true',
    )
  })
})
