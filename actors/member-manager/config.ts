/**
 * Serf config (spec §5.13, §5.6): one create + one validate. Defaults are Serf 0.9.4's library
 * `DefaultConfig`; agent overrides are noted. Durations are milliseconds (`Ms` suffix).
 * Fields for user events, queries and coalescing are here too, so the whole Serf layer is configured
 * in one place even though their handlers come later.
 */
import { InvalidConfigError } from '../../src/errors/index.ts'
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

export function createSerfConfig(init: SerfInit): SerfConfig {
  const config: SerfConfig = { ...DEFAULT_SERF_CONFIG, tags: {}, nodeName: '' }
  for (const [k, v] of Object.entries(init)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v
  config.tags = { ...config.tags }
  validateSerfConfig(config)
  return config
}

const NON_NEGATIVE_MS = [
  'broadcastTimeoutMs',
  'leavePropagateDelayMs',
  'recentIntentTimeoutMs',
  'reconnectTimeoutMs',
  'tombstoneTimeoutMs',
  'flapTimeoutMs',
  'coalescePeriodMs',
  'quiescentPeriodMs',
  'userCoalescePeriodMs',
  'userQuiescentPeriodMs',
] as const
const POSITIVE_INT = [
  'eventBuffer',
  'queryBuffer',
  'reapIntervalMs',
  'reconnectIntervalMs',
  'queueCheckIntervalMs',
  'queueDepthWarning',
  'maxQueueDepth',
  'maxRecentIntents',
  'queryTimeoutMult',
  'querySizeLimit',
  'queryResponseSizeLimit',
  'userEventSizeLimit',
] as const

export function validateSerfConfig(config: SerfConfig): void {
  if (typeof config.nodeName !== 'string' || config.nodeName.length === 0) {
    throw new InvalidConfigError('serf.nodeName', 'must be a non-empty string')
  }
  if (!Number.isInteger(config.protocolVersion) || config.protocolVersion < 2 || config.protocolVersion > 5) {
    throw new InvalidConfigError('serf.protocolVersion', 'must be an integer in [2, 5]')
  }
  for (const f of NON_NEGATIVE_MS) {
    const v = config[f]
    if (!Number.isFinite(v) || v < 0) throw new InvalidConfigError(`serf.${f}`, 'must be a finite number >= 0 (ms)')
  }
  for (const f of POSITIVE_INT) {
    const v = config[f]
    if (!Number.isInteger(v) || v <= 0) throw new InvalidConfigError(`serf.${f}`, 'must be a positive integer')
  }
  if (!Number.isInteger(config.minQueueDepth) || config.minQueueDepth < 0) {
    throw new InvalidConfigError('serf.minQueueDepth', 'must be a non-negative integer')
  }
  if (config.userEventSizeLimit > USER_EVENT_SIZE_HARD_LIMIT) {
    throw new InvalidConfigError('serf.userEventSizeLimit', `must be <= ${USER_EVENT_SIZE_HARD_LIMIT}`)
  }
  if (typeof config.tags !== 'object' || config.tags === null) throw new InvalidConfigError('serf.tags', 'must be an object of strings')
  for (const [k, v] of Object.entries(config.tags)) {
    if (typeof v !== 'string') throw new InvalidConfigError(`serf.tags.${k}`, 'must be a string')
  }
  // Serf refuses oversized tags at create, as at SetTags (spec §5.7); found here, not at actor start.
  try {
    encodeTags(config.tags, config.protocolVersion) // throws TagsTooLargeError past META_MAX_SIZE
  } catch (err) {
    throw new InvalidConfigError('serf.tags', `must encode to at most ${META_MAX_SIZE} bytes of node meta`, { cause: err })
  }
  for (const f of ['enableNameConflictResolution', 'disableCoordinates'] as const) {
    if (typeof config[f] !== 'boolean') throw new InvalidConfigError(`serf.${f}`, 'must be a boolean')
  }
}
