/**
 * Partition-detector config: one create + one validate (STYLE.md "Config"), with the shared checks
 * of src/config. Defaults follow spec/coordination-anchors.md §2 (Akka SBR stable-after and
 * down-all-when-unstable), §10 (Hazelcast minimum-cluster-size, Akka static-quorum) and §14.
 * Every duration is in ms on the actor clock.
 */
import { InvalidConfigError } from '../../src/errors/index.ts'
import { knownFieldsOnly } from '../../src/config/fields.ts'
import { TIMER_MAX_MS, checkBoolean, checkInt, checkNumber } from '../../src/config/values.ts'

export interface PartitionDetectorConfig {
  /**
   * The expected cluster size, fixed (Akka static-quorum's "absolute size"); 0 = learn it: the
   * high-water mark of alive members, persisted, lowered by graceful leaves and reaps only.
   */
  expectedSize: number
  /**
   * Minority when visible ≤ minorityFraction × expected. 0.5 (the default) = "not a strict
   * majority": a tie counts as minority, the safe side for a lease. Allowed 0.5..0.99: below 0.5 two
   * disjoint sides could both call themselves healthy-or-degraded.
   */
  minorityFraction: number
  /**
   * Stability grace: a status change is published only after the view has not changed for this
   * long (Akka stable-after). 0 = by expected size from Akka's table: 7 s at 5 nodes, 10 s at 10,
   * 13 s at 20, 17 s at 50, 20 s at 100, 30 s at 1000 (interpolated; see graceFor).
   */
  graceMs: number
  /**
   * Akka down-all-when-unstable: if the view keeps changing so that no status settles within
   * grace + unstableAfterMs of the first change, escalate (status minority, event
   * partition.escalated). 0 = Akka's 3/4 of the grace, at least 4 s.
   */
  unstableAfterMs: number
  /** Turn the escalation off (Akka `down-all-when-unstable = off`). */
  downAllWhenUnstable: boolean
  /** Bound on tracked members (the member table's own bound is far below); past it, events are refused and counted. */
  maxMembers: number
  /**
   * Count only members whose tags carry this key ('' = every member). The election's majority is of
   * the nodes that can vote: in a cluster mixed with real serf agents (which never vote), a node
   * running coordination counts only the members that advertise GOSSAMER_TAG, or a Gossamer
   * minority of the whole cluster could never elect anyone.
   */
  countOnlyTag: string
}

export type PartitionDetectorInit = Partial<PartitionDetectorConfig>

export const DEFAULT_PARTITION_DETECTOR_CONFIG: Readonly<PartitionDetectorConfig> = Object.freeze({
  expectedSize: 0,
  minorityFraction: 0.5,
  graceMs: 0,
  unstableAfterMs: 0,
  downAllWhenUnstable: true,
  maxMembers: 100_000,
  countOnlyTag: '',
})

const FIELDS = Object.keys(DEFAULT_PARTITION_DETECTOR_CONFIG)

export function createPartitionDetectorConfig(init?: PartitionDetectorInit): PartitionDetectorConfig {
  const given = knownFieldsOnly('partitionDetector', init, FIELDS)
  const config = { ...DEFAULT_PARTITION_DETECTOR_CONFIG } as PartitionDetectorConfig
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v
  validatePartitionDetectorConfig(config)
  return config
}

export function validatePartitionDetectorConfig(config: PartitionDetectorConfig): void {
  checkInt('partitionDetector.expectedSize', config.expectedSize, 0, config.maxMembers)
  if (typeof config.countOnlyTag !== 'string' || config.countOnlyTag.length > 256) throw new InvalidConfigError('partitionDetector.countOnlyTag', 'must be a string of at most 256 characters', { got: config.countOnlyTag })
  checkNumber('partitionDetector.minorityFraction', config.minorityFraction, { min: 0.5, max: 0.99 })
  checkInt('partitionDetector.graceMs', config.graceMs, 0, TIMER_MAX_MS, 'ms')
  checkInt('partitionDetector.unstableAfterMs', config.unstableAfterMs, 0, TIMER_MAX_MS, 'ms')
  checkBoolean('partitionDetector.downAllWhenUnstable', config.downAllWhenUnstable)
  checkInt('partitionDetector.maxMembers', config.maxMembers, 1, 10_000_000)
  if (config.expectedSize > config.maxMembers) {
    throw new InvalidConfigError('partitionDetector.expectedSize', `must be <= partitionDetector.maxMembers (${config.maxMembers})`)
  }
}

/** Akka's recommended minimum stable-after by cluster size (split-brain-resolver.md), in ms. */
const AKKA_STABLE_AFTER: readonly (readonly [size: number, ms: number])[] = [
  [5, 7_000],
  [10, 10_000],
  [20, 13_000],
  [50, 17_000],
  [100, 20_000],
  [1000, 30_000],
]

/** The grace for an expected size: the configured graceMs, or Akka's table interpolated linearly (clamped at 5 and 1000). */
export function graceFor(config: PartitionDetectorConfig, expected: number): number {
  if (config.graceMs > 0) return config.graceMs
  const first = AKKA_STABLE_AFTER[0]!
  if (expected <= first[0]) return first[1]
  for (let i = 1; i < AKKA_STABLE_AFTER.length; i++) {
    const [s1, m1] = AKKA_STABLE_AFTER[i]!
    if (expected <= s1) {
      const [s0, m0] = AKKA_STABLE_AFTER[i - 1]!
      return Math.round(m0 + ((m1 - m0) * (expected - s0)) / (s1 - s0))
    }
  }
  return AKKA_STABLE_AFTER[AKKA_STABLE_AFTER.length - 1]![1]
}

/** How long past the grace an unsettled view may go before escalation: configured, or max(4 s, 3/4 of the grace) (Akka). */
export function unstableAfterFor(config: PartitionDetectorConfig, graceMs: number): number {
  return config.unstableAfterMs > 0 ? config.unstableAfterMs : Math.max(4_000, Math.round(graceMs * 0.75))
}
