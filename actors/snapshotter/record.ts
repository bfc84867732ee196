/**
 * Snapshot records in Serf's line format (spec §6): one record per `\n`-terminated line. This file
 * formats the lines we write and classifies the lines we read, with Serf's exact prefixes and its
 * rule that an `alive:` line splits name and address at the LAST space (names may contain spaces).
 */
import { formatIp } from '../../src/wire/address.ts'

/** One parsed line of a snapshot file. Clocks are u64, so they are bigint. */
export type SnapshotLine =
  | { kind: 'alive'; name: string; addr: string }
  | { kind: 'not-alive'; name: string }
  | { kind: 'clock'; ltime: bigint }
  | { kind: 'event-clock'; ltime: bigint }
  | { kind: 'query-clock'; ltime: bigint }
  | { kind: 'coordinate' }
  | { kind: 'leave' }
  | { kind: 'comment'; text: string }
  /** A known prefix with a value Serf would also reject (it logs a warning and skips the line). */
  | { kind: 'bad'; reason: string }
  /** Anything else: Serf logs "Unrecognized snapshot line" and skips it. */
  | { kind: 'unknown' }

const MAX_U64 = (1n << 64n) - 1n
const DIGITS = /^[0-9]+$/

/** parseU64 accepts what Go's strconv.ParseUint(s, 10, 64) accepts, or returns undefined. */
export function parseU64(text: string): bigint | undefined {
  if (!DIGITS.test(text)) return undefined
  const value = BigInt(text)
  return value <= MAX_U64 ? value : undefined
}

/** parseLine classifies one line (without its `\n`) exactly as Serf's replay does. */
export function parseLine(line: string): SnapshotLine {
  if (line.startsWith('alive: ')) {
    const info = line.slice(7)
    const at = info.lastIndexOf(' ')
    if (at === -1) return { kind: 'bad', reason: 'alive line without an address' }
    const addr = info.slice(at + 1)
    const why = addressProblem(addr)
    if (why !== undefined) return { kind: 'bad', reason: `alive address ${JSON.stringify(addr)}: ${why}` }
    return { kind: 'alive', name: info.slice(0, at), addr }
  }
  if (line.startsWith('not-alive: ')) return { kind: 'not-alive', name: line.slice(11) }
  if (line.startsWith('clock: ')) return clockLine('clock', line.slice(7))
  if (line.startsWith('event-clock: ')) return clockLine('event-clock', line.slice(13))
  if (line.startsWith('query-clock: ')) return clockLine('query-clock', line.slice(13))
  if (line.startsWith('coordinate: ')) return { kind: 'coordinate' }
  if (line === 'leave') return { kind: 'leave' }
  if (line.startsWith('#')) return { kind: 'comment', text: line }
  return { kind: 'unknown' }
}

/**
 * addressProblem checks an `alive:` address as far as a rejoin needs it: `host:port` with a decimal
 * port in 0..65535 (what memberlist's Join accepts). Serf stores any text and only fails later, at
 * the rejoin; we refuse the line at once (counted as unreadable) and never write such an address.
 * Returns why the address is unusable, or undefined.
 */
export function addressProblem(addr: string): string | undefined {
  const colon = addr.lastIndexOf(':')
  if (colon === -1) return 'no :port'
  // By hand, not a regex: the writer checks every alive record it takes.
  const digits = addr.length - colon - 1
  if (digits < 1 || digits > 5) return 'port must be 0..65535'
  let port = 0
  for (let i = colon + 1; i < addr.length; i++) {
    const d = addr.charCodeAt(i) - 48
    if (d < 0 || d > 9) return 'port must be 0..65535'
    port = port * 10 + d
  }
  return port > 65535 ? 'port must be 0..65535' : undefined
}

function clockLine(kind: 'clock' | 'event-clock' | 'query-clock', text: string): SnapshotLine {
  const ltime = parseU64(text)
  return ltime === undefined ? { kind: 'bad', reason: `${kind} is not a u64: ${JSON.stringify(text)}` } : { kind, ltime }
}

export const aliveLine = (name: string, addr: string): string => `alive: ${name} ${addr}\n`
export const notAliveLine = (name: string): string => `not-alive: ${name}\n`
export const clockText = (kind: 'clock' | 'event-clock' | 'query-clock', ltime: bigint): string => `${kind}: ${ltime}\n`
export const LEAVE_LINE = 'leave\n'

/**
 * isWritableName tells whether a member name can be written as a record: a line break would split
 * the record and corrupt the file for Serf too, so such names are refused (and counted) at intake.
 */
export function isWritableName(name: string): boolean {
  return !name.includes('\n') && !name.includes('\r')
}

/**
 * isWritableAddr tells whether an address can be written in an `alive:` line that replay accepts:
 * `:port` with a port in 0..65535 (addressProblem), and no space or line break.
 */
export function isWritableAddr(addr: string): boolean {
  return addressProblem(addr) === undefined && !addr.includes(' ') && !addr.includes('\n') && !addr.includes('\r')
}

/**
 * formatTcpAddr writes an address as Go's net.TCPAddr.String() does: dotted IPv4 (also for
 * IPv4-mapped IPv6), RFC 5952 IPv6 in brackets (longest run of two or more zero groups as `::`,
 * the first on a tie), `:port` for an empty IP.
 */
export function formatTcpAddr(ip: Uint8Array, port: number): string {
  if (ip.length === 0) return `:${port}`
  // The common case by hand: one string per record instead of an array and a join (this runs once
  // per member-alive record on the snapshotter's hot path).
  if (ip.length === 4) return `${ip[0]!}.${ip[1]!}.${ip[2]!}.${ip[3]!}:${port}`
  if (ip.length === 4 || ip.length === 16) {
    const text = formatIp(ip)
    return text.includes(':') ? `[${text}]:${port}` : `${text}:${port}`
  }
  // Go prints "?" followed by hex for an IP of any other length.
  return `?${Array.from(ip, (b) => b.toString(16).padStart(2, '0')).join('')}:${port}`
}

/** parseIpv4 turns dotted text into 4 bytes (for tests, the CLI and the bench), or undefined. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > 255) return undefined
    out[i] = Number(p)
  }
  return out
}
