/**
 * The live page's settings, checked in one place: createNode's `inspect` ({ addr, allowRemote })
 * and the agent's `-ui-addr` / `-ui-allow-remote` both come through here. A bad address is an
 * InvalidConfigError naming the field; a non-loopback one without allowRemote is refused (coded).
 * The limits below bound what one page server can hold, whatever its clients do.
 */
import { InvalidConfigError } from '../../errors/index.ts'
import { isPlainObject, rejectUnknownFields } from '../../config/fields.ts'
import { parseIp } from '../../transport/ip-address.ts'
import { InspectRemoteRefusedError } from './live-errors.ts'

export interface LiveLimits {
  /** Live (SSE) clients served at once; one more gets a 503. */
  maxClients: number
  /** Bytes queued for one client that does not read; past it the client is dropped (counted). */
  clientBufferBytes: number
  /** Transitions kept for a page that connects (the newest). */
  transitionsKept: number
  /** Transitions of one actor recorded per flush; the rest are counted as coalesced. */
  perActorPerFlush: number
  /** How often the transitions gathered are sent to the clients, ms. */
  flushIntervalMs: number
  /** How often the actors' figures and the members are read while a client is connected, ms. */
  statsIntervalMs: number
  /** A comment line sent this often keeps idle connections (and proxies) from timing out, ms. */
  heartbeatMs: number
  /** Actors (and their children) tracked; transitions of further ones are counted, not shown. */
  maxActors: number
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = {
  maxClients: 32,
  clientBufferBytes: 1 << 20,
  transitionsKept: 200,
  perActorPerFlush: 8,
  flushIntervalMs: 200,
  statsIntervalMs: 1_000,
  heartbeatMs: 15_000,
  maxActors: 256,
}

export interface LiveConfig {
  host: string
  port: number
  allowRemote: boolean
  limits: LiveLimits
}

/** True for 127.0.0.0/8 and ::1 (and ::ffff:127.x, which parseIp gives as IPv4). */
export function isLoopback(ip: Uint8Array): boolean {
  if (ip.length === 4) return ip[0] === 127
  return ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1
}

/** "ip:port" or "[v6]:port" (port 0 picks one) to host and port; `field` names it in the error. */
export function parseListenAddr(field: string, text: unknown): { host: string; port: number; ip: Uint8Array } {
  if (typeof text !== 'string' || text === '') throw new InvalidConfigError(field, 'must be "ip:port" (e.g. "127.0.0.1:7374")', { got: text })
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text)
  if (m === null) throw new InvalidConfigError(field, 'must be "ip:port" or "[v6]:port"', { got: text })
  const ip = parseIp(m[1]!)
  if (ip === undefined) throw new InvalidConfigError(field, 'must be an IP address and a port', { got: text })
  const port = Number(m[2])
  if (port > 65_535) throw new InvalidConfigError(field, 'must have a port in 0..65535', { got: text })
  return { host: m[1]!, port, ip }
}

/** Checks createNode's `inspect` option (field names start with `inspect`). */
export function resolveLiveConfig(value: unknown, limits: Partial<LiveLimits> = {}): LiveConfig {
  if (!isPlainObject(value)) throw new InvalidConfigError('inspect', 'must be an object { addr, allowRemote? }', { got: value })
  rejectUnknownFields('inspect', value, ['addr', 'allowRemote'])
  const allowRemote = value['allowRemote'] ?? false
  if (typeof allowRemote !== 'boolean') throw new InvalidConfigError('inspect.allowRemote', 'must be a boolean', { got: allowRemote })
  const { host, port, ip } = parseListenAddr('inspect.addr', value['addr'])
  if (!allowRemote && !isLoopback(ip)) throw new InspectRemoteRefusedError(value['addr'] as string)
  return { host, port, allowRemote, limits: { ...DEFAULT_LIVE_LIMITS, ...limits } }
}
