/** Go's flag rules as Serf's verbs see them, Go durations, and the monitor verb's event lines. */
import { describe, expect, it } from 'vitest'
import { FlagError, HelpRequested, parseGoDuration, parseGoFlags } from '../../src/cli/go-flags.ts'
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
    expect(() => parseGoFlags(['name', '-h'], defs)).toThrow(HelpRequested)
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

describe('monitor event lines', () => {
  it("print each record field as Go's %#v shows it", () => {
    const raw = { Event: 'user', LTime: 4, Name: 'deploy', Payload: Uint8Array.of(0x70, 0x6c), Coalesce: true }
    expect(formatEvent({ event: 'user', ltime: 4n, name: 'deploy', payload: raw.Payload, coalesce: true, raw })).toBe(
      'Event Info:\n\tEvent: "user"\n\tLTime: 4\n\tName: "deploy"\n\tPayload: []byte{0x70, 0x6c}\n\tCoalesce: true',
    )
  })
})
