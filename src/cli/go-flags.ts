/**
 * Command-line flags as Go's `flag` package reads them: the one parser of `gossamer agent` and of
 * every client verb, since `serf agent` and Serf's verbs all use it (serf-rpc.md §6.1, §8.1).
 * `-name=value`, `-name value`, `--name=value` are the same; a boolean takes only `-name` or
 * `-name=<bool>` (`-name false` leaves `false` as the first positional); repeatable flags append in
 * order; parsing stops at the first argument that is not a flag, and after `--`; ints are
 * strconv.ParseInt(s, 0, 64). Errors carry Go's texts (`flag provided but not defined: -x`).
 *
 * Help differs by caller: Serf's verbs run under mitchellh/cli, which takes `-h`/`-help`/`--help`
 * anywhere in argv as a help request before any parsing (`helpAnywhere`); `serf agent` has only Go's
 * own rule, where `-h`/`-help` count as a help request where a flag may stand.
 *
 * Chosen over yargs-parser (tried, then removed): it reads `-rejoin false` as rejoin=false, reads `-node` as
 * the short flags n,o,d,e unless short-option groups are turned off, coerces numbers, accepts unknown
 * flags silently and has none of Go's error texts or its stop-at-first-positional rule; matching Go
 * would need as much code around it as this file.
 */
import { ClusterError } from '../errors/index.ts'
import { parseGoDuration } from './go-duration.ts'

export type FlagKind = 'bool' | 'string' | 'int' | 'duration' | 'list'

export interface FlagDef {
  readonly kind: FlagKind
  /** Value when the flag is absent (bool: false, string: '', int: 0, duration: 0n ns, list: []). */
  readonly default?: boolean | string | number | bigint
}

/** A string, a boolean, an int, a duration in ns, or the values of a repeatable flag in order. */
export type FlagValue = boolean | string | number | bigint | string[]

/** A command line Go's flag package refuses; `message` is Go's text. */
export class FlagError extends ClusterError {
  static override name = 'FlagError'
  constructor(message: string) {
    super('ERR_CLI_USAGE', message)
  }
}

/** Thrown for `-h`, `-help`, `--help` by the verbs: the verb prints its help on stderr and exits 0. */
export class HelpRequested extends ClusterError {
  static override name = 'HelpRequested'
  constructor() {
    super('ERR_CLI_HELP', 'help requested')
  }
}

export interface ParseOptions {
  /** mitchellh/cli's rule (the verbs): a help flag anywhere in argv wins, before any parsing. */
  readonly helpAnywhere?: boolean
}

export interface ParsedFlags {
  /** Every defined flag: the given value, else its default. */
  values: Record<string, FlagValue>
  /** Only the flags that were given. */
  given: Map<string, FlagValue>
  /** Each flag occurrence in command-line order (a list flag once per value). */
  order: Array<{ name: string; value: string | boolean }>
  /** Positional arguments: everything from the first non-flag on (or after `--`). */
  args: string[]
  /** A help flag was given (Go's ErrHelp); with helpAnywhere nothing else was parsed. */
  help: boolean
}

/** Go's strconv.ParseBool spellings. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])
const HELP = new Set(['-h', '-help', '--help'])

export function parseGoFlags(argv: readonly string[], defs: Readonly<Record<string, FlagDef>>, options: ParseOptions = {}): ParsedFlags {
  const values: Record<string, FlagValue> = {}
  for (const [name, def] of Object.entries(defs)) values[name] = def.kind === 'list' ? [] : (def.default ?? zero(def.kind))
  const given = new Map<string, FlagValue>()
  const order: ParsedFlags['order'] = []
  if (options.helpAnywhere === true && argv.some((a) => HELP.has(a))) return { values, given, order, args: [], help: true }
  let help = false
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
    const body = s.slice(minuses)
    if (body.length === 0 || body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${s}`)
    const eq = body.indexOf('=')
    const name = eq < 0 ? body : body.slice(0, eq)
    let value = eq < 0 ? undefined : body.slice(eq + 1)
    const def = Object.hasOwn(defs, name) ? defs[name] : undefined
    if (def === undefined) {
      if (name === 'h' || name === 'help') {
        help = true
        continue
      }
      throw new FlagError(`flag provided but not defined: -${name}`)
    }
    if (def.kind === 'bool') {
      let b: boolean
      if (value === undefined || TRUE.has(value)) b = true
      else if (FALSE.has(value)) b = false
      else throw new FlagError(`invalid boolean value "${value}" for -${name}: parse error`)
      values[name] = b
      given.set(name, b)
      order.push({ name, value: b })
      continue
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: -${name}`)
      value = argv[++i]!
    }
    const v = convert(def.kind, value, name, given.get(name))
    values[name] = v
    given.set(name, v)
    order.push({ name, value })
  }
  return { values, given, order, args: argv.slice(i), help }
}

function zero(kind: FlagKind): FlagValue {
  return kind === 'bool' ? false : kind === 'int' ? 0 : kind === 'duration' ? 0n : ''
}

function convert(kind: FlagKind, value: string, name: string, current: FlagValue | undefined): FlagValue {
  switch (kind) {
    case 'list':
      return [...((current as string[] | undefined) ?? []), value]
    case 'int': {
      const n = parseGoInt(value)
      if (typeof n !== 'number') throw new FlagError(`invalid value "${value}" for flag -${name}: ${n}`)
      return n
    }
    case 'duration': {
      const ns = parseGoDurationNs(value)
      if (ns === undefined) throw new FlagError(`invalid value "${value}" for flag -${name}: parse error`)
      return ns
    }
    default:
      return value
  }
}

/** Go's strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b/0 prefixes, `_` between digits. */
export function parseGoInt(text: string): number | 'parse error' | 'value out of range' {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[1-9][0-9_]*|0)$/.exec(text)
  if (m === null || /__|_$|^[+-]?_/.test(text)) return 'parse error'
  let body = m[2]!.replace(/_/g, '')
  if (/^0[0-7]+$/.test(body)) body = '0o' + body.slice(1)
  const big = BigInt(body) * (m[1] === '-' ? -1n : 1n)
  if (big > 9_223_372_036_854_775_807n || big < -9_223_372_036_854_775_808n) return 'value out of range'
  // Beyond 2^53 a JS number would silently round: refused as Go refuses beyond int64.
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) return 'value out of range'
  return Number(big)
}

/** Go's time.ParseDuration in nanoseconds (a duration flag's value); undefined when it does not parse. */
export function parseGoDurationNs(text: string): bigint | undefined {
  const d = parseGoDuration(text)
  return d.ok ? BigInt(Math.round(d.ms * 1e6)) : undefined
}
