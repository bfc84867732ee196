/**
 * createNode's options, checked in one place: `resolveNodeConfig(options)` returns the NodeConfig
 * the node runs with or throws InvalidConfigError naming the field (`bind`, `tags`, `keys[1]`,
 * `retryJoin.intervalMs`, ...), before anything is started. Defaults follow `serf agent`
 * (serf-rpc.md §6): bind 0.0.0.0:7946, profile lan, Serf protocol 5, leave timeout 5 s.
 */
import { hostname } from 'node:os'
import { InvalidConfigError } from '../errors/index.ts'
import { isPlainObject, knownFieldsOnly } from '../config/fields.ts'
import { checkBoolean, checkInt, checkNumber, checkOneOf, checkString, TIMER_MAX_MS } from '../config/values.ts'
import { parseIp } from '../transport/ip-address.ts'
import { decodeKeyText } from '../wire/keyring.ts'
import { createSwimConfig, validateSwimName } from '../../actors/swim/config.ts'
import { createSerfConfig, DEFAULT_SERF_CONFIG, USER_EVENT_SIZE_HARD_LIMIT } from '../../actors/member-manager/config.ts'
import type { NodeOptions } from './api.ts'
import { GOSSAMER_TAG, GOSSAMER_TAG_VERSION } from '../wire/gossamer-message.ts'
import { resolveCoordination, type CoordinationConfig } from './coordination-config.ts'
import { resolveLiveConfig, type LiveConfig } from '../inspect/live/live-config.ts'

/** Serf's and memberlist's well-known gossip port. */
export const DEFAULT_PORT = 7946
/** Serf's retry_interval default (ms). */
export const DEFAULT_RETRY_INTERVAL_MS = 30_000
/** Serf's broadcast timeout: how long a graceful leave waits for its intent to spread (ms). */
export const DEFAULT_LEAVE_TIMEOUT_MS = 5_000

export type Placement = 'workers' | 'inline'
export type NodeLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** An IP literal and a port. */
export interface HostPort {
  /** Canonical IP text, as the transport binds it. */
  host: string
  ip: Uint8Array
  port: number
}

export interface NodeConfig {
  name: string
  bind: HostPort
  /** What peers dial; undefined: the bind address (or, bound to 0.0.0.0 / ::, this host's first private address). */
  advertise: HostPort | undefined
  profile: 'lan' | 'wan' | 'local'
  /** Serf's protocol version (2-5): tag encoding and the delegate version; memberlist itself runs at 2, as Serf maps it. */
  protocol: number
  tags: Record<string, string>
  join: string[]
  retryJoin: { addresses: string[]; intervalMs: number; maxAttempts: number } | undefined
  /** Serf's -replay, for the event layer (old user events are delivered on join); no effect until it is wired. */
  replay: boolean
  /** base64 keys, primary first (from `keys`; a keyring file's are read at start). */
  keys: string[]
  keyringFile: string | undefined
  snapshotPath: string | undefined
  rejoinAfterLeave: boolean
  placement: Placement
  /** The actors' code cache folder (NodeOptions.codeCache); undefined: none. */
  codeCache: string | undefined
  /**
   * Serf's agent coalescing, for the event layer (serf-events coalesces; CreateNodeDeps.serf gets
   * this config): until it is wired, member events reach `events()` one per change, uncoalesced.
   */
  coalesce: { members: boolean; userEvents: boolean }
  logLevel: NodeLogLevel
  /** The lowest level kept for logs() (NodeOptions.logRingLevel): logLevel, or 'info' when silent. */
  logRingLevel: Exclude<NodeLogLevel, 'silent'>
  leaveTimeoutMs: number
  /** member-manager's reconnect and reap settings (ms) and `_serf_conflict` switch. */
  reconnectIntervalMs: number
  reconnectTimeoutMs: number
  tombstoneTimeoutMs: number
  nameConflictResolution: boolean
  /** swim's enableCompression. */
  compression: boolean
  /** The event layer's limits (bytes), passed to serf-events where it is wired. */
  querySizeLimit: number
  queryResponseSizeLimit: number
  userEventSizeLimit: number
  /** Partition detector, election and assignment (coordination-config.ts); undefined: not run. */
  coordination: CoordinationConfig | undefined
  /** The live page (issue 15): where it listens and its limits; undefined without `inspect`. */
  inspect: LiveConfig | undefined
}

const FIELDS = [
  'name', 'bind', 'advertise', 'profile', 'protocol', 'tags', 'join', 'retryJoin', 'replay', 'keys', 'keyringFile',
  'snapshotPath', 'rejoinAfterLeave', 'placement', 'codeCache', 'coalesce', 'logLevel', 'logRingLevel', 'leaveTimeoutMs', 'reconnectIntervalMs',
  'reconnectTimeoutMs', 'tombstoneTimeoutMs', 'nameConflictResolution', 'compression', 'querySizeLimit',
  'queryResponseSizeLimit', 'userEventSizeLimit', 'coordination', 'inspect',
] as const

/** "ip:port", "[v6]:port", "ip" or "[v6]" / a bare IPv6 (then `defaultPort`); an IP literal, not a name. */
export function parseHostPort(field: string, text: unknown, defaultPort: number): HostPort {
  checkString(field, text, { nonEmpty: true })
  let host = text
  let portText: string | undefined
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close < 0) throw new InvalidConfigError(field, 'has "[" without "]"', { got: text })
    host = text.slice(1, close)
    const rest = text.slice(close + 1)
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new InvalidConfigError(field, 'must be "[v6]:port"', { got: text })
      portText = rest.slice(1)
    }
  } else if (text.split(':').length === 2) {
    host = text.slice(0, text.indexOf(':'))
    portText = text.slice(text.indexOf(':') + 1)
  }
  const ip = parseIp(host)
  if (ip === undefined) throw new InvalidConfigError(field, 'must be an IP address with an optional port ("ip:port", "[v6]:port")', { got: text })
  const port = portText === undefined ? defaultPort : /^\d{1,5}$/.test(portText) ? Number(portText) : NaN
  if (!(port >= 0 && port <= 65_535)) throw new InvalidConfigError(field, 'must have a port in 0..65535', { got: text })
  return { host: ip.length === 4 ? host : host.toLowerCase(), ip, port }
}

/** The IP is 0.0.0.0 or :: (bind on every interface). */
export function isUnspecified(ip: Uint8Array): boolean {
  return ip.every((b) => b === 0)
}

/**
 * Why `tags` cannot be a node's tags (Serf's 512-byte Meta limit at `protocol`), or undefined:
 * member-manager's own config check, so the limit is the one it enforces.
 */
export function tagsProblem(tags: Readonly<Record<string, string>>, protocol: number): string | undefined {
  try {
    createSerfConfig({ nodeName: 'n', tags: { ...tags }, protocolVersion: protocol })
    return undefined
  } catch (err) {
    if (err instanceof InvalidConfigError) return err.message
    throw err
  }
}

function checkTags(field: string, tags: unknown, protocol: number): Record<string, string> {
  if (!isPlainObject(tags)) throw new InvalidConfigError(field, 'must be an object of strings', { got: tags })
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(tags)) {
    checkString(`${field}.${k}`, v)
    out[k] = v
  }
  if (tagsProblem(out, protocol) !== undefined) throw new InvalidConfigError(field, 'must encode in at most 512 bytes (Serf: "Encoded length of tags exceeds limit of 512 bytes")')
  return out
}

/**
 * Join addresses as swim reads them ("host", "host:port", "[v6]:port", a bare IPv6; port 7946 when
 * none), checked by swim's own config rule; a bad one is InvalidConfigError naming `<field>[i]`.
 */
export function checkJoinAddresses(field: string, addresses: unknown): string[] {
  if (!Array.isArray(addresses)) throw new InvalidConfigError(field, 'must be an array of addresses ("host", "host:port", "[v6]:port")', { got: addresses })
  try {
    createSwimConfig({ retryJoin: addresses as string[] })
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err
    const swimField = String(err.details?.['field'] ?? '')
    // swim names swim.retryJoin[i]: the same rule, named as the caller wrote it.
    throw new InvalidConfigError(swimField.replace(/^swim\.retryJoin/, field), err.message.replace(/^swim\.retryJoin(\[\d+\])? /, ''), { cause: err })
  }
  return [...(addresses as string[])]
}

/** A join address as "ip:port" when it is an IP literal (the form members' addresses are written in); else as given. */
export function canonicalJoinAddress(address: string): string {
  try {
    const hp = parseHostPort('join', address.slice(address.indexOf('/') + 1), DEFAULT_PORT)
    return hp.ip.length === 16 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`
  } catch {
    return address
  }
}

function checkKeys(field: string, keys: unknown): string[] {
  if (!Array.isArray(keys)) throw new InvalidConfigError(field, 'must be an array of base64 keys', { got: keys })
  return keys.map((k, i) => {
    checkString(`${field}[${i}]`, k, { nonEmpty: true })
    try {
      decodeKeyText(k)
    } catch (err) {
      throw new InvalidConfigError(`${field}[${i}]`, 'must be base64 of a 16, 24 or 32-byte key', { cause: err })
    }
    return k.trim()
  })
}

function checkRetryJoin(value: unknown): NodeConfig['retryJoin'] {
  if (value === undefined) return undefined
  const r = knownFieldsOnly('retryJoin', value, ['addresses', 'intervalMs', 'maxAttempts'])
  const addresses = checkJoinAddresses('retryJoin.addresses', r['addresses'])
  if (addresses.length === 0) throw new InvalidConfigError('retryJoin.addresses', 'must hold at least one address')
  const intervalMs = r['intervalMs'] ?? DEFAULT_RETRY_INTERVAL_MS
  checkInt('retryJoin.intervalMs', intervalMs, 1, TIMER_MAX_MS, 'ms')
  const maxAttempts = r['maxAttempts'] ?? 0
  checkInt('retryJoin.maxAttempts', maxAttempts, 0)
  return { addresses, intervalMs, maxAttempts }
}

/** The node's config from createNode's options; throws InvalidConfigError naming the first bad field. */
export function resolveNodeConfig(options: NodeOptions | undefined): NodeConfig {
  const o = knownFieldsOnly('options', options, FIELDS)
  const name = o['name'] ?? hostname()
  checkString('name', name, { nonEmpty: true })
  try {
    validateSwimName(name)
  } catch (err) {
    // swim's rule for names, named as the caller wrote it.
    if (err instanceof InvalidConfigError) throw new InvalidConfigError('name', err.message.replace(/^swim\.name /, ''), { got: name })
    throw err
  }
  const bind = parseHostPort('bind', o['bind'] ?? `0.0.0.0:${DEFAULT_PORT}`, DEFAULT_PORT)
  const advertise = o['advertise'] === undefined ? undefined : parseHostPort('advertise', o['advertise'], bind.port)
  if (advertise !== undefined && isUnspecified(advertise.ip)) throw new InvalidConfigError('advertise', 'must be an address peers can dial, not 0.0.0.0 or ::', { got: o['advertise'] })
  const profile = o['profile'] ?? 'lan'
  checkOneOf('profile', profile, ['lan', 'wan', 'local'] as const)
  const protocol = o['protocol'] ?? 5
  checkInt('protocol', protocol, 2, 5)
  const coordination = resolveCoordination(o['coordination'] as NodeOptions['coordination'])
  const given = o['tags'] ?? {}
  // Reserved: a member with it is sent Gossamer's own messages (a node without coordination would count them as dropped).
  if (typeof given === 'object' && given !== null && Object.hasOwn(given, GOSSAMER_TAG)) throw new InvalidConfigError(`tags.${GOSSAMER_TAG}`, 'is reserved (set by coordination)')
  const tags = checkTags('tags', coordination === undefined ? given : { ...(given as object), [GOSSAMER_TAG]: GOSSAMER_TAG_VERSION }, protocol)
  const join = checkJoinAddresses('join', o['join'] ?? [])
  const retryJoin = checkRetryJoin(o['retryJoin'])
  const keys = checkKeys('keys', o['keys'] ?? [])
  const keyringFile = o['keyringFile']
  if (keyringFile !== undefined) {
    checkString('keyringFile', keyringFile, { nonEmpty: true })
    // Serf: "Encryption key not allowed while using a keyring".
    if (keys.length > 0) throw new InvalidConfigError('keys', 'are not allowed with keyringFile (the keyring file holds the keys)')
  }
  const snapshotPath = o['snapshotPath']
  if (snapshotPath !== undefined) checkString('snapshotPath', snapshotPath, { nonEmpty: true })
  const flags: Record<string, boolean> = {}
  for (const f of ['replay', 'rejoinAfterLeave'] as const) {
    const v = o[f] ?? false
    checkBoolean(f, v)
    flags[f] = v
  }
  const placement = o['placement'] ?? 'workers'
  checkOneOf('placement', placement, ['workers', 'inline'] as const)
  const codeCache = o['codeCache'] ?? false
  if (codeCache !== false) checkString('codeCache', codeCache, { nonEmpty: true })
  const c = knownFieldsOnly('coalesce', o['coalesce'], ['members', 'userEvents'])
  const members = c['members'] ?? true
  const userEvents = c['userEvents'] ?? true
  checkBoolean('coalesce.members', members)
  checkBoolean('coalesce.userEvents', userEvents)
  const coalesce = { members, userEvents }
  const logLevel = o['logLevel'] ?? 'info'
  checkOneOf('logLevel', logLevel, ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const)
  const logRingLevel = o['logRingLevel'] ?? (logLevel === 'silent' ? 'info' : logLevel)
  checkOneOf('logRingLevel', logRingLevel, ['trace', 'debug', 'info', 'warn', 'error'] as const)
  const leaveTimeoutMs = o['leaveTimeoutMs'] ?? DEFAULT_LEAVE_TIMEOUT_MS
  // member-manager arms twice this for swim's part of the leave: it must stay a valid timer.
  checkInt('leaveTimeoutMs', leaveTimeoutMs, 0, Math.floor(TIMER_MAX_MS / 2), 'ms')
  // member-manager's rules: the interval arms a timer, the timeouts are only compared with elapsed time.
  const reconnectIntervalMs = o['reconnectIntervalMs'] ?? DEFAULT_SERF_CONFIG.reconnectIntervalMs
  checkInt('reconnectIntervalMs', reconnectIntervalMs, 1, TIMER_MAX_MS, 'ms')
  const reconnectTimeoutMs = o['reconnectTimeoutMs'] ?? DEFAULT_SERF_CONFIG.reconnectTimeoutMs
  checkNumber('reconnectTimeoutMs', reconnectTimeoutMs, { min: 0, unit: 'ms' })
  const tombstoneTimeoutMs = o['tombstoneTimeoutMs'] ?? DEFAULT_SERF_CONFIG.tombstoneTimeoutMs
  checkNumber('tombstoneTimeoutMs', tombstoneTimeoutMs, { min: 0, unit: 'ms' })
  const nameConflictResolution = o['nameConflictResolution'] ?? true
  checkBoolean('nameConflictResolution', nameConflictResolution)
  const compression = o['compression'] ?? true
  checkBoolean('compression', compression)
  const querySizeLimit = o['querySizeLimit'] ?? DEFAULT_SERF_CONFIG.querySizeLimit
  checkInt('querySizeLimit', querySizeLimit, 1, Number.MAX_SAFE_INTEGER, 'bytes')
  const queryResponseSizeLimit = o['queryResponseSizeLimit'] ?? DEFAULT_SERF_CONFIG.queryResponseSizeLimit
  checkInt('queryResponseSizeLimit', queryResponseSizeLimit, 1, Number.MAX_SAFE_INTEGER, 'bytes')
  const userEventSizeLimit = o['userEventSizeLimit'] ?? DEFAULT_SERF_CONFIG.userEventSizeLimit
  // Serf: "user event size limit exceeds limit of 9216 bytes".
  checkInt('userEventSizeLimit', userEventSizeLimit, 1, USER_EVENT_SIZE_HARD_LIMIT, 'bytes')
  return {
    name,
    bind,
    advertise,
    profile,
    protocol,
    tags,
    join,
    retryJoin,
    replay: flags['replay']!,
    keys,
    keyringFile,
    snapshotPath,
    rejoinAfterLeave: flags['rejoinAfterLeave']!,
    placement,
    codeCache: codeCache === false ? undefined : codeCache,
    coalesce,
    logLevel,
    logRingLevel,
    leaveTimeoutMs,
    reconnectIntervalMs,
    reconnectTimeoutMs,
    tombstoneTimeoutMs,
    nameConflictResolution,
    compression,
    querySizeLimit,
    queryResponseSizeLimit,
    userEventSizeLimit,
    coordination,
    inspect: o['inspect'] === undefined ? undefined : resolveLiveConfig(o['inspect']),
  }
}
