/**
 * Command-line flags as Go's `flag` package reads them, which is what Serf's verbs use
 * (serf-rpc.md §6.1, §8.1): `-name=value`, `-name value` and `--name=value` are the same; a
 * boolean takes only `-name` or `-name=false`; repeatable flags append; parsing stops at the first
 * argument that is not a flag (and after `--`); `-h`/`-help` asks for help. Errors carry Go's texts
 * (`flag provided but not defined: -x`).
 *
 * Chosen over yargs-parser: its GNU conventions (short-option groups, a boolean swallowing a
 * following "true"/"false", number coercion, camel-case aliases) would all have to be switched off
 * and still not give Go's stop-at-first-positional rule and error texts; this is 100 lines and exact.
 */
import { ClusterError } from '../errors/index.ts'

export type FlagKind = 'bool' | 'string' | 'int' | 'duration' | 'list'
export interface FlagDef {
  kind: FlagKind
  /** Default value (bool: false, string: '', int: 0, duration: 0n, list: []). */
  default?: boolean | string | number | bigint
}
export type FlagValue = boolean | string | number | bigint | string[]

export class FlagError extends ClusterError {
  static override name = 'FlagError'
  constructor(message: string) {
    super('ERR_CLI_USAGE', message)
  }
}

/** Thrown for `-h`, `-help`, `--help`: the verb prints its help on stderr and exits 0. */
export class HelpRequested extends ClusterError {
  static override name = 'HelpRequested'
  constructor() {
    super('ERR_CLI_HELP', 'help requested')
  }
}

export interface ParsedFlags {
  values: Record<string, FlagValue>
  /** Positional arguments (everything from the first non-flag on). */
  args: string[]
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])

export function parseGoFlags(argv: readonly string[], defs: Readonly<Record<string, FlagDef>>): ParsedFlags {
  // Help anywhere in argv wins, as in mitchellh/cli.
  if (argv.some((a) => a === '-h' || a === '-help' || a === '--help')) throw new HelpRequested()
  const values: Record<string, FlagValue> = {}
  for (const [name, def] of Object.entries(defs)) values[name] = def.kind === 'list' ? [] : (def.default ?? zero(def.kind))
  let i = 0
  for (; i < argv.length; i++) {
    const s = argv[i]!
    if (s.length < 2 || s[0] !== '-') break
    let minuses = 1
    if (s[1] === '-') {
      minuses = 2
      if (s.length === 2) {
        i++
        break
      }
    }
    let name = s.slice(minuses)
    if (name.length === 0 || name[0] === '-' || name[0] === '=') throw new FlagError(`bad flag syntax: ${s}`)
    let value: string | undefined
    const eq = name.indexOf('=')
    if (eq >= 0) {
      value = name.slice(eq + 1)
      name = name.slice(0, eq)
    }
    const def = Object.hasOwn(defs, name) ? defs[name] : undefined
    if (def === undefined) throw new FlagError(`flag provided but not defined: -${name}`)
    if (def.kind === 'bool') {
      if (value === undefined) values[name] = true
      else if (TRUE.has(value)) values[name] = true
      else if (FALSE.has(value)) values[name] = false
      else throw new FlagError(`invalid boolean value "${value}" for -${name}: parse error`)
      continue
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: -${name}`)
      value = argv[++i]!
    }
    values[name] = convert(def.kind, value, name, values[name])
  }
  return { values, args: argv.slice(i) }
}

function zero(kind: FlagKind): FlagValue {
  return kind === 'bool' ? false : kind === 'int' ? 0 : kind === 'duration' ? 0n : ''
}

function convert(kind: FlagKind, value: string, name: string, current: FlagValue | undefined): FlagValue {
  switch (kind) {
    case 'string':
      return value
    case 'list':
      return [...((current as string[] | undefined) ?? []), value]
    case 'int': {
      if (!/^[+-]?\d+$/.test(value)) throw new FlagError(`invalid value "${value}" for flag -${name}: parse error`)
      return Number(value)
    }
    case 'duration': {
      const ns = parseGoDuration(value)
      if (ns === undefined) throw new FlagError(`invalid value "${value}" for flag -${name}: parse error`)
      return ns
    }
    default:
      return value
  }
}

const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n }

/** Go's time.ParseDuration, in nanoseconds; undefined when it does not parse. */
export function parseGoDuration(text: string): bigint | undefined {
  let s = text
  let sign = 1n
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1n
    s = s.slice(1)
  }
  if (s === '0') return 0n
  if (s === '') return undefined
  let total = 0
  const re = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/
  while (s.length > 0) {
    const m = re.exec(s)
    if (m === null || m[1] === '' || m[1] === '.') return undefined
    total += Number(m[1]) * Number(UNIT_NS[m[2]!]!)
    s = s.slice(m[0].length)
  }
  return sign * BigInt(Math.round(total))
}
