/**
 * What every Serf client verb shares (serf-rpc.md §8.1): the `-rpc-addr`/`-rpc-auth` flags with
 * their `$SERF_RPC_ADDR`/`$SERF_RPC_AUTH` defaults, connecting with Serf's error text, Go-flag
 * parsing with Serf's help and usage-error behaviour (help on stderr and exit 0; an unknown flag:
 * Go's message on stderr, the help on stdout, exit 1), and Serf's output helpers: columnize and
 * Go's JSON (2-space indent, HTML characters escaped).
 */
import type { CliIo } from '../io.ts'
import { FlagError, HelpRequested, parseGoFlags } from '../go-flags.ts'
import type { FlagDef, ParsedFlags } from '../go-flags.ts'
import { RpcClient } from '../../rpc/client.ts'
import { formatIp } from '../../wire/address.ts'

export const EXIT_OK = 0
export const EXIT_FAIL = 1
export const DEFAULT_RPC_ADDR = '127.0.0.1:7373'
/** The two connection flags every client verb takes, as its help lists them (last). */
export const RPC_FLAGS_HELP = `  -rpc-addr=ADDR            the agent's RPC address (default $SERF_RPC_ADDR, else ${DEFAULT_RPC_ADDR})
  -rpc-auth=TOKEN           the agent's rpc_auth token (default $SERF_RPC_AUTH)`

export type Env = Readonly<Record<string, string | undefined>>

export interface VerbSpec {
  /** One line for `gossamer --help`. */
  summary: string
  /** The verb's help text (`Usage: gossamer <verb> ...`). */
  help: string
  flags: Record<string, FlagDef>
  /** Whether -rpc-addr and -rpc-auth apply (all client verbs). */
  rpc: boolean
}

export type Parsed = ParsedFlags & { rpcAddr: string; rpcAuth: string }

/** Parses argv; on help or a flag error prints as Serf does and returns the exit code instead. */
export function parseVerbArgs(spec: VerbSpec, argv: readonly string[], io: CliIo, env: Env): Parsed | number {
  const flags: Record<string, FlagDef> = { ...spec.flags }
  if (spec.rpc) {
    flags['rpc-addr'] = { kind: 'string', default: nonEmpty(env['SERF_RPC_ADDR']) ?? DEFAULT_RPC_ADDR }
    flags['rpc-auth'] = { kind: 'string', default: env['SERF_RPC_AUTH'] ?? '' }
  }
  try {
    const parsed = parseGoFlags(argv, flags, { helpAnywhere: true })
    if (parsed.help) throw new HelpRequested()
    return { ...parsed, rpcAddr: String(parsed.values['rpc-addr'] ?? ''), rpcAuth: String(parsed.values['rpc-auth'] ?? '') }
  } catch (err) {
    if (err instanceof HelpRequested) {
      io.err(spec.help)
      return EXIT_OK
    }
    if (err instanceof FlagError) {
      io.err(err.message)
      io.out(spec.help)
      return EXIT_FAIL
    }
    throw err
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}

/** Connects; on failure prints `Error connecting to Serf agent: <err>` and returns undefined. */
export async function connectAgent(parsed: Parsed, io: CliIo): Promise<RpcClient | undefined> {
  try {
    return await RpcClient.connect({ addr: parsed.rpcAddr, authKey: parsed.rpcAuth })
  } catch (err) {
    io.out(`Error connecting to Serf agent: ${(err as Error).message}`)
    return undefined
  }
}

/** `ip:port`, brackets for IPv6 (Go's net.JoinHostPort). */
export function hostPort(addr: Uint8Array, port: number): string {
  const ip = formatIp(addr)
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}

/** ryanuber/columnize with Serf's settings: `|`-separated cells, 2-space gaps, last column unpadded, trimmed. */
export function columnize(rows: readonly string[]): string {
  const cells = rows.map((r) => r.split('|').map((c) => c.trim()))
  const widths: number[] = []
  for (const row of cells) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)))
  const lines = cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length) + '  ')).join(''))
  return lines.join('\n').trim()
}

/** Go's json.MarshalIndent(v, "", "  "): 2-space indent, <, > and & escaped as \u003c, \u003e, \u0026. */
export function goJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** An object with its keys sorted (Go marshals maps in key order). */
export function sortedKeys<T>(m: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {}
  for (const k of Object.keys(m).sort()) out[k] = m[k]!
  return out
}

/** Splits `k=v` as Serf's verbs do; undefined when there is no `=`. */
export function splitTag(text: string): [string, string] | undefined {
  const at = text.indexOf('=')
  return at < 0 ? undefined : [text.slice(0, at), text.slice(at + 1)]
}

/** Serf's own rule for the text of a remote error. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Runs `body` with a connected client and closes it after; connection failures print and return 1. */
export async function withAgent(parsed: Parsed, io: CliIo, body: (client: RpcClient) => Promise<number>): Promise<number> {
  const client = await connectAgent(parsed, io)
  if (client === undefined) return EXIT_FAIL
  try {
    return await body(client)
  } finally {
    client.close()
  }
}

/** An AbortSignal that fires on SIGINT while `body` runs (the handler is removed after). */
export async function onInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const handler = (): void => controller.abort()
  process.once('SIGINT', handler)
  try {
    return await body(controller.signal)
  } finally {
    process.off('SIGINT', handler)
  }
}

/** Resolves with 'aborted' when the signal fires, else with the promise's value. */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | 'aborted'> {
  if (signal === undefined) return p
  if (signal.aborted) return Promise.resolve('aborted')
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve('aborted')
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

/**
 * Prints one line as Go's Ui does: the text plus a newline, even when the text already ends in one
 * (a go-multierror join error ends in "\n\n", and Serf prints it with a third).
 */
export function say(io: CliIo, text: string): void {
  io.out(text.endsWith('\n') ? text + '\n' : text)
}

/**
 * The Gossamer-only group verbs (`leader`, `assignments`): one GROUP argument and -format=text|json,
 * with Serf's wording for a missing argument and a bad format. A number is the exit status.
 */
export function parseGroupVerbArgs(spec: VerbSpec, argv: readonly string[], io: CliIo, env: Env): { parsed: Parsed; group: string; format: 'text' | 'json' } | number {
  const parsed = parseVerbArgs(spec, argv, io, env)
  if (typeof parsed === 'number') return parsed
  const format = parsed.values['format'] as string
  if (parsed.args.length !== 1 || parsed.args[0] === '') {
    io.out('A group name must be specified')
    io.out('')
    io.out(spec.help)
    return EXIT_FAIL
  }
  if (format !== 'text' && format !== 'json') {
    io.out(`Encoding error: Invalid output format "${format}"`)
    return EXIT_FAIL
  }
  return { parsed, group: parsed.args[0]!, format }
}
