/**
 * Calculator config: one create + one validate (STYLE.md "Config"). Timing defaults are parti's
 * (spec/coordination-anchors.md §1 "Key defaults", §14 "Assignment"); the per-round move cap is
 * Akka's least-shard-allocation limits (§2). Every duration is in ms on the actor clock.
 */
import { InvalidConfigError } from '../../src/errors/index.ts'
import { DEFAULT_LOAD_FACTOR, DEFAULT_VNODES } from './strategies/consistent-hash.ts'
import { STRATEGY_NAMES } from './strategies/registry.ts'
import type { StrategyName } from './strategies/strategy.ts'
import { MAX_PARTITIONS, MAX_WORKERS } from './worker-spec.ts'

export interface AssignmentConfig {
  /** Partitions to assign, 1..1,000,000. No default: it is the application's shard count. */
  partitions: number
  /** 'consistent-hash' (bounded loads, the default), 'rendezvous' (weighted HRW) or 'round-robin'. */
  strategy: StrategyName
  /** Consistent hashing: vnodes per worker of average weight (parti: 150; its docs advise 100-300). */
  vnodes: number
  /** Consistent hashing: c, no worker keeps more than ceil(c × fair share) (1.25: the max/average target). */
  loadFactor: number
  /** Hash seed of the ring and the rendezvous draws; every leader must share it, so it is config. */
  seed: number
  /** parti ColdStartWindow 30 s: after a leader starts with no assignment, wait for the fleet to register. */
  coldStartWindowMs: number
  /** parti PlannedScaleWindow 10 s: after a join or a graceful leave, wait for the rest of the change. */
  plannedScaleWindowMs: number
  /**
   * A leader that starts from a published assignment waits this long for the workers' heartbeats
   * before rebalancing (10 s = parti's PlannedScaleWindow: workers that are still there re-register
   * well within it at a 2 s heartbeat).
   */
  restartWindowMs: number
  /** parti EmergencyGracePeriod, 1.5 × its 2 s heartbeat: a failed worker must stay missing this long (hysteresis). */
  emergencyGraceMs: number
  /** parti RestartDetectionRatio 0.5: more than this fraction of the workers failing at once is a fleet restart, not an emergency. */
  restartRatio: number
  /** parti MinRebalanceInterval 10 s: a planned rebalance (or the next capped round) waits at least this long after the last one. */
  minRebalanceIntervalMs: number
  /** Akka rebalance-relative-limit 0.1: at most this fraction of the partitions move voluntarily in one round. */
  maxMovesFraction: number
  /** Akka rebalance-absolute-limit: at most this many voluntary moves per round; 0 = no absolute limit (Akka's default). */
  maxMovesPerRound: number
  /** parti OperationTimeout 10 s: a publication not acknowledged within this is sent again. */
  publishTimeoutMs: number
  /** Bound on tracked workers (parti holds 100 stable ids); a join past it is refused and counted. */
  maxWorkers: number
  /**
   * Computations estimated above this many work units (about partitions + ring vnodes for
   * consistent hashing, partitions × workers for rendezvous) go to the compute pool instead of the
   * actor's thread. 200,000 is about 5-10 ms of work on this class of machine.
   */
  inlineWorkLimit: number
}

export type AssignmentInit = Partial<Omit<AssignmentConfig, 'partitions'>> & { partitions: number }

export const DEFAULT_ASSIGNMENT_CONFIG: Readonly<Omit<AssignmentConfig, 'partitions'>> = Object.freeze({
  strategy: 'consistent-hash',
  vnodes: DEFAULT_VNODES,
  loadFactor: DEFAULT_LOAD_FACTOR,
  seed: 0,
  coldStartWindowMs: 30_000,
  plannedScaleWindowMs: 10_000,
  restartWindowMs: 10_000,
  emergencyGraceMs: 3_000,
  restartRatio: 0.5,
  minRebalanceIntervalMs: 10_000,
  maxMovesFraction: 0.1,
  maxMovesPerRound: 0,
  publishTimeoutMs: 10_000,
  maxWorkers: 10_000,
  inlineWorkLimit: 200_000,
})

export function createAssignmentConfig(init: AssignmentInit): AssignmentConfig {
  if (typeof init !== 'object' || init === null) throw new InvalidConfigError('assignment', 'must be an object with at least { partitions }')
  const config = { ...DEFAULT_ASSIGNMENT_CONFIG } as AssignmentConfig
  for (const [k, v] of Object.entries(init)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v
  validateAssignmentConfig(config)
  return config
}

export function validateAssignmentConfig(config: AssignmentConfig): void {
  const field = (name: keyof AssignmentConfig) => `assignment.${name}`
  const int = (name: keyof AssignmentConfig, min: number, max: number) => {
    const v = config[name]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidConfigError(field(name), `must be an integer in ${min}..${max}`)
  }
  const real = (name: keyof AssignmentConfig, min: number, max: number, minOpen = false) => {
    const v = config[name]
    if (typeof v !== 'number' || !Number.isFinite(v) || v > max || (minOpen ? v <= min : v < min)) {
      throw new InvalidConfigError(field(name), `must be a number in ${minOpen ? '(' : '['}${min}, ${max}]`)
    }
  }
  int('partitions', 1, MAX_PARTITIONS)
  if (!STRATEGY_NAMES.includes(config.strategy)) throw new InvalidConfigError(field('strategy'), `must be one of ${STRATEGY_NAMES.join(', ')}`)
  int('vnodes', 1, 1000)
  real('loadFactor', 1, 10)
  int('seed', 0, 0xffff_ffff)
  const DAY_MS = 86_400_000
  for (const name of ['coldStartWindowMs', 'plannedScaleWindowMs', 'restartWindowMs', 'emergencyGraceMs', 'minRebalanceIntervalMs'] as const) int(name, 0, DAY_MS)
  int('publishTimeoutMs', 1, DAY_MS)
  real('restartRatio', 0, 1, true)
  real('maxMovesFraction', 0, 1, true)
  int('maxMovesPerRound', 0, MAX_PARTITIONS)
  int('maxWorkers', 1, MAX_WORKERS)
  int('inlineWorkLimit', 0, Number.MAX_SAFE_INTEGER)
  // parti's documented ordering: the fleet-start window is at least the planned-scale one.
  if (config.coldStartWindowMs < config.plannedScaleWindowMs) {
    throw new InvalidConfigError(field('coldStartWindowMs'), 'must be >= assignment.plannedScaleWindowMs')
  }
}

/** Voluntary moves allowed in one round: min(absolute limit if set, max(1, floor(fraction × P))). */
export function moveCap(config: AssignmentConfig): number {
  const relative = Math.max(1, Math.floor(config.maxMovesFraction * config.partitions))
  return config.maxMovesPerRound > 0 ? Math.min(config.maxMovesPerRound, relative) : relative
}
