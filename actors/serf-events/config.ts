/**
 * serf-events config: one create + one validate. Defaults are Serf 0.9.4's library `DefaultConfig`
 * (spec §5.13) and memberlist's LAN GossipInterval (§4.1); the `serf agent` overrides (coalescing on)
 * are AGENT_SERF_EVENTS_OVERRIDES. The `max*` fields are our own bounds where Go has none.
 * Durations are milliseconds (`Ms` suffix).
 */
import { knownFieldsOnly, rejectUnknownFields, configObject } from '../../src/config/fields.ts'
import { checkInt, checkNumber, TIMER_MAX_MS } from '../../src/config/values.ts'
import { InvalidConfigError } from '../../src/errors/index.ts'
import { seconds } from '../../src/types/time.ts'

/** Serf's sane cap on user events (UserEventSizeLimit may not exceed it), 9 KiB (§5.8). */
export const USER_EVENT_SIZE_HARD_LIMIT = 9216
/** Serf's internal-query name prefix (§5.10). */
export const INTERNAL_QUERY_PREFIX = '_serf_'

export interface SerfEventsConfig {
  /** User-event dedupe ring: slots keyed by LTime % eventBuffer; also the old-event window (512). */
  eventBuffer: number
  /** Query dedupe ring, same rules (512). */
  queryBuffer: number
  /** Limit on len(name)+len(payload) and on the encoded event, bytes (512; at most 9216). */
  userEventSizeLimit: number
  /** Limit on the encoded query, bytes (1024). */
  querySizeLimit: number
  /** Limit on an encoded response (and on a relayed one), bytes (1024). */
  queryResponseSizeLimit: number
  /** Default query timeout = gossipIntervalMs × this × ceil(log10(N+1)) (16). */
  queryTimeoutMult: number
  /** memberlist GossipInterval used by the default query timeout (LAN 200 ms). */
  gossipIntervalMs: number
  /** Serf (delegate) protocol version; queries need ≥ 4 (library 4, agent 5). */
  protocolVersion: number
  /** Member-event coalescing: flush at most this long after the first event (library 0 = off, agent 3 s). */
  coalescePeriodMs: number
  /** ... or after this long without a new one (library 0, agent 1 s). */
  quiescentPeriodMs: number
  /** The same two for user events sent with CC (coalesce) set (library 0, agent 3 s / 1 s). */
  userCoalescePeriodMs: number
  userQuiescentPeriodMs: number
  /** Ours: events kept per ring slot (same LTime) for dedupe; past it an event is dropped, counted (64). */
  maxEventsPerSlot: number
  /** Ours: query IDs kept per query-ring slot (64). */
  maxQueriesPerSlot: number
  /**
   * Serf eventJoinIgnore: a join's push/pull raises the event min time to the remote EventLTime,
   * so events older than the join are not delivered (the agent's `-replay=false`; library false).
   */
  eventJoinIgnore: boolean
  /** Ours: received queries awaiting a response (Serf: the internal-query channel holds 1024). */
  maxPendingQueries: number
  /** Ours: queries this node originated that are still collecting (256). */
  maxOpenQueries: number
  /** Ours: longest tag-filter regular expression accepted, characters (256). */
  maxFilterExprLength: number
  /** Ours: distinct members held by the member coalescer between flushes; a full one flushes early (4096). */
  maxCoalescedMembers: number
  /** Ours: user events held by the user coalescer between flushes; a full one flushes early (1024). */
  maxCoalescedUserEvents: number
}

export type SerfEventsInit = Partial<SerfEventsConfig>

export const DEFAULT_SERF_EVENTS_CONFIG: Readonly<SerfEventsConfig> = Object.freeze({
  eventBuffer: 512,
  queryBuffer: 512,
  userEventSizeLimit: 512,
  querySizeLimit: 1024,
  queryResponseSizeLimit: 1024,
  queryTimeoutMult: 16,
  gossipIntervalMs: 200,
  protocolVersion: 4,
  coalescePeriodMs: 0,
  quiescentPeriodMs: 0,
  userCoalescePeriodMs: 0,
  userQuiescentPeriodMs: 0,
  maxEventsPerSlot: 64,
  maxQueriesPerSlot: 64,
  eventJoinIgnore: false,
  maxPendingQueries: 1024,
  maxOpenQueries: 256,
  maxFilterExprLength: 256,
  maxCoalescedMembers: 4096,
  maxCoalescedUserEvents: 1024,
})

/** What `serf agent` changes: protocol 5, member and user coalescing 3 s / 1 s (§5.8, §5.13). */
export const AGENT_SERF_EVENTS_OVERRIDES: Readonly<SerfEventsInit> = Object.freeze({
  protocolVersion: 5,
  coalescePeriodMs: seconds(3),
  quiescentPeriodMs: seconds(1),
  userCoalescePeriodMs: seconds(3),
  userQuiescentPeriodMs: seconds(1),
  eventJoinIgnore: true,
})

const FIELDS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_SERF_EVENTS_CONFIG))
const TIMER_FIELDS = ['coalescePeriodMs', 'quiescentPeriodMs', 'userCoalescePeriodMs', 'userQuiescentPeriodMs'] as const
const POSITIVE_INT = [
  'eventBuffer',
  'queryBuffer',
  'querySizeLimit',
  'queryResponseSizeLimit',
  'queryTimeoutMult',
  'maxEventsPerSlot',
  'maxQueriesPerSlot',
  'maxPendingQueries',
  'maxOpenQueries',
  'maxFilterExprLength',
  'maxCoalescedMembers',
  'maxCoalescedUserEvents',
] as const

/** The library defaults with `init` spread over them, validated (a misspelled field is named). */
export function createSerfEventsConfig(init: SerfEventsInit = {}): SerfEventsConfig {
  const given = knownFieldsOnly('serfEvents', init, FIELDS)
  const config: SerfEventsConfig = { ...DEFAULT_SERF_EVENTS_CONFIG }
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v
  validateSerfEventsConfig(config)
  return config
}

/** Throws InvalidConfigError naming the first field that is unknown, mistyped, out of range or inconsistent. */
export function validateSerfEventsConfig(config: SerfEventsConfig): void {
  rejectUnknownFields('serfEvents', configObject('serfEvents', config), FIELDS)
  for (const f of POSITIVE_INT) checkInt(`serfEvents.${f}`, config[f], 1)
  // Serf.Create refuses a limit above the sane cap (§5.8).
  checkInt('serfEvents.userEventSizeLimit', config.userEventSizeLimit, 1, USER_EVENT_SIZE_HARD_LIMIT, 'bytes')
  checkInt('serfEvents.gossipIntervalMs', config.gossipIntervalMs, 1, TIMER_MAX_MS, 'ms')
  if (typeof config.eventJoinIgnore !== 'boolean') throw new InvalidConfigError('serfEvents.eventJoinIgnore', 'must be true or false', { got: config.eventJoinIgnore })
  checkInt('serfEvents.protocolVersion', config.protocolVersion, 2, 5)
  for (const f of TIMER_FIELDS) checkNumber(`serfEvents.${f}`, config[f], { min: 0, max: TIMER_MAX_MS, unit: 'ms' })
  // The agent coalesces only when both periods are set; one without the other is a mistake, not "off".
  for (const [c, q] of [['coalescePeriodMs', 'quiescentPeriodMs'], ['userCoalescePeriodMs', 'userQuiescentPeriodMs']] as const) {
    if ((config[c] > 0) !== (config[q] > 0)) {
      throw new InvalidConfigError(`serfEvents.${q}`, `must be > 0 exactly when ${c} is (both 0 turns coalescing off)`, { got: config[q] })
    }
  }
}
