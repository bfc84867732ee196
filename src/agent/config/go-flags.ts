/**
 * A command-line parser with the rules of Go's `flag` package, which `serf agent` uses
 * (serf-rpc.md 6.1): single- or double-dash long names, `-f=v` and `-f v` alike, a boolean takes
 * only `-f` or `-f=<bool>` (`-f false` would leave `false` as an argument), parsing stops at the
 * first non-flag argument or after `--`, repeatable flags append in order, and the error texts are
 * Go's (`flag provided but not defined: -x`).
 *
 * Why not yargs-parser (installed): it reads `-rejoin false` as rejoin=false, reads `-node` as the
 * short flags n,o,d,e unless short-option groups are turned off, accepts unknown flags silently and
 * has none of Go's error texts; matching Go would need as much code around it as this file.
 */
import { AgentFlagError } from '../errors.ts'

export type FlagKind = 'string' | 'bool' | 'int' | 'list'

export interface FlagSpec {
  readonly kind: FlagKind
}

/** Parsed values: a string, a boolean, an integer, or the list of a repeatable flag. */
export type FlagValue = string | boolean | number | string[]

export interface ParsedFlags {
  /** Only the flags that were given. */
  values: Map<string, FlagValue>
  /** Arguments after the first non-flag (or after `--`). */
  rest: string[]
  /** `-h` / `-help` was given (Go's ErrHelp). */
  help: boolean
}

/** Go's strconv.ParseBool spellings. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])

/** Go's strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b/0 prefixes, `_` between digits. */
export function parseGoInt(text: string): number | 'parse error' | 'value out of range' {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[1-9][0-9_]*|0)$/.exec(text)
  if (m === null || /__|_$|^[+-]?_/.test(text)) return 'parse error'
  let body = m[2]!.replace(/_/g, '')
  if (/^0[0-7]+$/.test(body)) body = '0o' + body.slice(1)
  const big = BigInt(body) * (m[1] === '-' ? -1n : 1n)
  if (big > 9_223_372_036_854_775_807n || big < -9_223_372_036_854_775_808n) return 'value out of range'
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) return 'value out of range'
  return Number(big)
}

export function parseGoFlags(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedFlags {
  const values = new Map<string, FlagValue>()
  let help = false
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg.length < 2 || arg[0] !== '-') break
    let dashes = 1
    if (arg[1] === '-') {
      dashes = 2
      if (arg.length === 2) {
        i++
        break
      }
    }
    const body = arg.slice(dashes)
    if (body.length === 0 || body[0] === '-' || body[0] === '=') throw new AgentFlagError(`bad flag syntax: ${arg}`)
    const eq = body.indexOf('=')
    const name = eq < 0 ? body : body.slice(0, eq)
    const inline = eq < 0 ? undefined : body.slice(eq + 1)
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined
    if (spec === undefined) {
      if (name === 'h' || name === 'help') {
        help = true
        continue
      }
      throw new AgentFlagError(`flag provided but not defined: -${name}`)
    }
    if (spec.kind === 'bool') {
      if (inline === undefined) values.set(name, true)
      else if (TRUE.has(inline)) values.set(name, true)
      else if (FALSE.has(inline)) values.set(name, false)
      else throw new AgentFlagError(`invalid boolean value "${inline}" for -${name}: parse error`)
      continue
    }
    let value = inline
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new AgentFlagError(`flag needs an argument: -${name}`)
      value = argv[++i]!
    }
    if (spec.kind === 'int') {
      const n = parseGoInt(value)
      if (typeof n !== 'number') throw new AgentFlagError(`invalid value "${value}" for flag -${name}: ${n}`)
      values.set(name, n)
    } else if (spec.kind === 'list') {
      const list = (values.get(name) as string[] | undefined) ?? []
      list.push(value)
      values.set(name, list)
    } else {
      values.set(name, value)
    }
  }
  return { values, rest: argv.slice(i), help }
}
