/**
 * Serf config (spec §5.13, §5.6): one create + one validate. Defaults are Serf 0.9.4's library
 * `DefaultConfig`; agent overrides are noted. Durations are milliseconds (`Ms` suffix).
 * Fields for user events, queries and coalescing are here too, so the whole Serf layer is configured
 * in one place even though their handlers come later.
 */
import { InvalidConfigError } from '../../src/errors/index.ts'
import { configObject, isPlainObject, knownFieldsOnly, rejectUnknownFields } from '../../src/config/fields.ts'
import { checkBoolean, checkInt, checkNumber, checkString, TIMER_MAX_MS } from '../../src/config/values.ts'
import { encodeTags, META_MAX_SIZE } from './tags.ts'
import { hours, minutes, seconds } from '../../src/types/time.ts'

export interface SerfConfig {
  /** This node's name (must be unique in the cluster). Required. */
  nodeName: string
  /** Initial tags of the local node, encoded into its memberlist Meta. */
  tags: Record<string, string>
  /** Serf (delegate) protocol version: library 4, agent 5. < 3 encodes tags as the bare role string. */
  protocolVersion: number
  /** Wait for our leave intent to spread (and for memberlist's dead) at most this long (5 s). */
  broadcastTimeoutMs: number
  /** After a leave is broadcast, wait this long before reporting left (1 s). */
  leavePropagateDelayMs: number
  /** User-event ring size; also the number of slots sent in push/pull `Events` (512). */
  eventBuffer: number
  /** Query dedupe ring size (512). */
  queryBuffer: number
  /** How often failed/left members and stale intents are reaped (15 s). */
  reapIntervalMs: number
  /** A buffered intent older than this is dropped on the next reap tick (5 min). */
  recentIntentTimeoutMs: number
  /** Bound on buffered intents for unknown members; the oldest is dropped (counted) past it. Ours. */
  maxRecentIntents: number
  /** How often a reconnect to a failed member may be attempted (30 s). */
  reconnectIntervalMs: number
  /** A failed member is erased (member-reap) after this long (24 h). */
  reconnectTimeoutMs: number
  /** A left member is erased (member-reap) after this long (24 h). */
  tombstoneTimeoutMs: number
  /** A failed member that rejoins within this is counted as a flap (60 s; metric only). */
  flapTimeoutMs: number
  /** Serf queue check (30 s), warning depth (128), max depth (4096), min depth (0 = off). */
  queueCheckIntervalMs: number
  queueDepthWarning: number
  maxQueueDepth: number
  minQueueDepth: number
  /** Query timeout = GossipInterval × this × ceil(log10(N+1)) (16). */
  queryTimeoutMult: number
  /** Encoded query / response size limits in bytes (1024 each). */
  querySizeLimit: number
  queryResponseSizeLimit: number
  /** len(name)+len(payload) limit for user events (512; hard cap 9216). */
  userEventSizeLimit: number
  /** Run `_serf_conflict` on a name conflict about ourselves (true). */
  enableNameConflictResolution: boolean
  /** Turn Vivaldi coordinates off (false). */
  disableCoordinates: boolean
  /** Member/user event coalescing periods; library 0 (off), agent 3 s / 1 s. */
  coalescePeriodMs: number
  quiescentPeriodMs: number
  userCoalescePeriodMs: number
  userQuiescentPeriodMs: number
}

export type SerfInit = Partial<SerfConfig> & { nodeName: string }

/** Hard cap on user events (Serf's UserEventSizeLimit maximum, 9 KiB). */
export const USER_EVENT_SIZE_HARD_LIMIT = 9216
/** Serf refuses node Meta (encoded tags) larger than memberlist's MetaMaxSize (defined with the tags). */
export { META_MAX_SIZE }

export const DEFAULT_SERF_CONFIG: Readonly<Omit<SerfConfig, 'nodeName' | 'tags'>> = Object.freeze({
  protocolVersion: 4,
  broadcastTimeoutMs: seconds(5),
  leavePropagateDelayMs: seconds(1),
  eventBuffer: 512,
  queryBuffer: 512,
  reapIntervalMs: seconds(15),
  recentIntentTimeoutMs: minutes(5),
  maxRecentIntents: 4096,
  reconnectIntervalMs: seconds(30),
  reconnectTimeoutMs: hours(24),
  tombstoneTimeoutMs: hours(24),
  flapTimeoutMs: seconds(60),
  queueCheckIntervalMs: seconds(30),
  queueDepthWarning: 128,
  maxQueueDepth: 4096,
  minQueueDepth: 0,
  queryTimeoutMult: 16,
  querySizeLimit: 1024,
  queryResponseSizeLimit: 1024,
  userEventSizeLimit: 512,
  enableNameConflictResolution: true,
  disableCoordinates: false,
  coalescePeriodMs: 0,
  quiescentPeriodMs: 0,
  userCoalescePeriodMs: 0,
  userQuiescentPeriodMs: 0,
})

/** The `serf agent` overrides of the library defaults (protocol 5, coalescing on). */
export const AGENT_SERF_OVERRIDES: Readonly<Partial<SerfConfig>> = Object.freeze({
  protocolVersion: 5,
  coalescePeriodMs: seconds(3),
  quiescentPeriodMs: seconds(1),
  userCoalescePeriodMs: seconds(3),
  userQuiescentPeriodMs: seconds(1),
})

const SERF_FIELDS: ReadonlySet<string> = new Set([...Object.keys(DEFAULT_SERF_CONFIG), 'nodeName', 'tags'])

/**
 * The library defaults with `init` spread over them, validated. `init` must be a plain object of
 * known fields (a misspelled one is an InvalidConfigError naming it); `nodeName` is required.
 */
export function createSerfConfig(init: SerfInit): SerfConfig {
  const given = knownFieldsOnly('serf', init, SERF_FIELDS)
  const config: SerfConfig = { ...DEFAULT_SERF_CONFIG, tags: {}, nodeName: '' }
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v
  if (isPlainObject(config.tags)) config.tags = { ...config.tags }
  validateSerfConfig(config)
  return config
}

/**
 * Durations used as timer delays (the leave's propagate delay, coalescing windows; the ticks below):
 * at most TIMER_MAX_MS. broadcastTimeoutMs is checked apart: at most half of it (swim's leave gets 2 ×).
 */
const TIMER_MS = ['leavePropagateDelayMs', 'coalescePeriodMs', 'quiescentPeriodMs', 'userCoalescePeriodMs', 'userQuiescentPeriodMs'] as const
const TIMER_INTERVAL_MS = ['reapIntervalMs', 'reconnectIntervalMs', 'queueCheckIntervalMs'] as const
/** Durations compared with elapsed time only (no timer): any finite number of ms >= 0. */
const ELAPSED_MS = ['recentIntentTimeoutMs', 'reconnectTimeoutMs', 'tombstoneTimeoutMs', 'flapTimeoutMs'] as const
const POSITIVE_INT = [
  'eventBuffer',
  'queryBuffer',
  'queueDepthWarning',
  'maxQueueDepth',
  'maxRecentIntents',
  'queryTimeoutMult',
  'querySizeLimit',
  'queryResponseSizeLimit',
] as const

/**
 * Throws InvalidConfigError naming the first field that is unknown, of the wrong type, out of range
 * or inconsistent; the message shows the value received.
 */
export function validateSerfConfig(config: SerfConfig): void {
  rejectUnknownFields('serf', configObject('serf', config), SERF_FIELDS)
  checkString('serf.nodeName', config.nodeName, { nonEmpty: true })
  checkInt('serf.protocolVersion', config.protocolVersion, 2, 5)
  checkNumber('serf.broadcastTimeoutMs', config.broadcastTimeoutMs, { min: 0, max: Math.floor(TIMER_MAX_MS / 2), unit: 'ms' })
  for (const f of TIMER_MS) checkNumber(`serf.${f}`, config[f], { min: 0, max: TIMER_MAX_MS, unit: 'ms' })
  for (const f of TIMER_INTERVAL_MS) checkInt(`serf.${f}`, config[f], 1, TIMER_MAX_MS, 'ms')
  for (const f of ELAPSED_MS) checkNumber(`serf.${f}`, config[f], { min: 0, unit: 'ms' })
  for (const f of POSITIVE_INT) checkInt(`serf.${f}`, config[f], 1)
  checkInt('serf.userEventSizeLimit', config.userEventSizeLimit, 1, USER_EVENT_SIZE_HARD_LIMIT, 'bytes')
  checkInt('serf.minQueueDepth', config.minQueueDepth, 0)
  if (!isPlainObject(config.tags)) throw new InvalidConfigError('serf.tags', 'must be an object of strings', { got: config.tags })
  for (const [k, v] of Object.entries(config.tags)) checkString(`serf.tags.${k}`, v)
  // Serf refuses oversized tags at create, as at SetTags (spec §5.7); found here, not at actor start.
  try {
    encodeTags(config.tags, config.protocolVersion) // throws TagsTooLargeError past META_MAX_SIZE
  } catch (err) {
    throw new InvalidConfigError('serf.tags', `must encode to at most ${META_MAX_SIZE} bytes of node meta`, { cause: err })
  }
  for (const f of ['enableNameConflictResolution', 'disableCoordinates'] as const) checkBoolean(`serf.${f}`, config[f])
}
