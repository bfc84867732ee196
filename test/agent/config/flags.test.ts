import { describe, expect, it } from 'vitest'
import { parseGoDuration, formatGoDuration } from '../../../src/cli/go-duration.ts'
import { parseAgentCommandLine } from '../../../src/agent/config/flags.ts'

const SPECS = { node: { kind: 'string' }, rejoin: { kind: 'bool' }, 'retry-max': { kind: 'int' }, join: { kind: 'list' } } as const

describe('agent - config - go-duration', () => {
  it.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['0', 0],
    ['-2s', -2000],
    ['100us', 0.1],
    ['.5s', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toEqual({ ok: true, ms })
  })

  it.each([
    ['', 'time: invalid duration ""'],
    ['x', 'time: invalid duration "x"'],
    ['10', 'time: missing unit in duration "10"'],
    ['10y', 'time: unknown unit "y" in duration "10y"'],
    ['1.s.', 'time: invalid duration "1.s."'],
  ])('%j is refused with Go\'s text', (text, error) => {
    expect(parseGoDuration(text)).toEqual({ ok: false, error })
  })

  it('prints durations as Go does', () => {
    expect([30_000, 1000, 90_000, 500, 3_600_000].map(formatGoDuration)).toEqual(['30s', '1s', '1m30s', '500ms', '1h0m0s'])
  })
})

describe('agent - config - flags', () => {
  it('maps flags to config keys, tags per key, compression from -disable-compression only', () => {
    const cmd = parseAgentCommandLine([
      '-node=n1',
      '-tag',
      'role=web',
      '-tag=dc=east=1',
      '-tag=empty=',
      '-join=10.0.0.1',
      '-retry-join=10.0.0.2',
      '-retry-interval=5s',
      '-retry-max=3',
      '-event-handler=user:deploy=d.sh',
      '-rejoin',
      '-replay',
      '-disable-compression',
      '-config-file=a.json',
      '-config-dir',
      'conf.d',
      '-config-file=b.json',
    ])
    expect(cmd.config).toEqual({
      node_name: 'n1',
      tags: { role: 'web', dc: 'east=1', empty: '' },
      start_join: ['10.0.0.1'],
      retry_join: ['10.0.0.2'],
      retry_interval: 5000,
      retry_max_attempts: 3,
      event_handlers: ['user:deploy=d.sh'],
      rejoin_after_leave: true,
      replay_on_join: true,
      enable_compression: false,
    })
    // -config-file and -config-dir keep one order between them, as Serf's shared list.
    expect(cmd.configPaths).toEqual(['a.json', 'conf.d', 'b.json'])
  })

  it.each([['foo'], ['=bar']])('refuses the tag %j with Serf\'s text', (tag) => {
    expect(() => parseAgentCommandLine([`-tag=${tag}`])).toThrow(`Error: Invalid tag: '${tag}'`)
  })

  it.each([
    [['-bogus'], 'flag provided but not defined: -bogus'],
    [['-retry-max=x'], 'invalid value "x" for flag -retry-max: parse error'],
  ])('%j fails with Go\'s text and the agent\'s flag code', (argv, message) => {
    expect(() => parseAgentCommandLine(argv)).toThrow(expect.objectContaining({ code: 'ERR_AGENT_FLAG', message }))
  })

  it('-h and -help ask for help where a flag may stand, as Go\'s flag package', () => {
    expect(parseAgentCommandLine(['-node=a', '-h']).help).toBe(true)
    expect(parseAgentCommandLine(['-help']).help).toBe(true)
    expect(parseAgentCommandLine(['x', '-h']).help).toBe(false)
  })

  it('refuses a bad retry interval with Go\'s text', () => {
    expect(() => parseAgentCommandLine(['-retry-interval=soon'])).toThrow('Error: time: invalid duration "soon"')
  })
})
