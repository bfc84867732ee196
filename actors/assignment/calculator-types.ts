/**
 * The calculator core's protocol with its host: inputs in, effects out, and the state it threads
 * through. Effects are data; the host (the future assignment actor) performs them: publishes the
 * assignment to the store, arms and cancels timers on the actor clock, and runs large computations
 * on the compute pool, then feeds the outcomes back as inputs. All unions are append-only.
 */
import type { WireError } from '../../src/errors/index.ts'
import type { Assignment } from './assignment.ts'
import type { AssignmentConfig } from './config.ts'
import type { StrategyOptions } from './strategies/registry.ts'
import type { AssignInput, StrategyName } from './strategies/strategy.ts'
import type { WorkerSpec } from './worker-spec.ts'

/** parti's scaling reasons as states, plus `stable` (nothing pending) and `stopped` (leadership gone). */
export type CalculatorPhase = 'cold-start' | 'restart' | 'stable' | 'planned-scale' | 'emergency' | 'stopped'

/**
 * Timers the core arms: the stabilization window, the next capped round, the publication retry,
 * and one emergency grace per failed worker. A set-timer for an armed key re-arms it.
 */
export type TimerKey = 'window' | 'round' | 'publish' | `grace:${string}`

export type CalculatorInput =
  /** A worker registered (heartbeat seen), or a known one changed its weight. */
  | { type: 'worker-joined'; worker: WorkerSpec; now: number }
  /** A worker left gracefully: a planned change, rebalanced after the window. */
  | { type: 'worker-left'; id: string; now: number }
  /** A worker's heartbeats stopped: an emergency if it stays missing for emergencyGraceMs. */
  | { type: 'worker-failed'; id: string; now: number }
  /** A timer armed by a set-timer effect came due (`now` on the same clock). */
  | { type: 'timer-fired'; key: TimerKey; now: number }
  /** The store holds the assignment of this version. */
  | { type: 'published'; version: number; now: number }
  /** The store refused or lost it: it is sent again after publishTimeoutMs. */
  | { type: 'publish-failed'; version: number; error: WireError; now: number }
  /** The compute pool's answer to a compute effect: the strategy's answer alone (checked here, O(P)). */
  | { type: 'computed'; requestId: number; assignment: Assignment; now: number }
  | { type: 'compute-failed'; requestId: number; error: WireError; now: number }
  /** Leadership lost or the node stops: cancel everything, publish nothing more. */
  | { type: 'stop'; now: number }
  /**
   * The compute pool's answer to a compute effect whose request has a `round`: checked, capped,
   * compared and encoded on the pool, so what is left for the host's turn is O(1) (rebalance.ts).
   */
  | { type: 'round-computed'; requestId: number; result: RoundResult; now: number }

export type CalculatorEffect =
  /**
   * `encoded`: the assignment's bytes when the pool encoded them already (assignment-codec.ts);
   * `selfPartitions`: the partitions of the round's `self` worker, when the pool listed them.
   */
  | { type: 'publish'; assignment: Assignment; encoded?: Uint8Array; selfPartitions?: number[] }
  | { type: 'set-timer'; key: TimerKey; ms: number }
  | { type: 'cancel-timer'; key: TimerKey }
  /** Run `createStrategy(strategy, options).assign(input)` off the actor's thread (compute-task.ts). */
  | { type: 'compute'; requestId: number; request: ComputeRequest }

/** What the compute pool runs (compute-task.ts). Plain data: it crosses threads by structured clone. */
export interface ComputeRequest {
  strategy: StrategyName
  options: StrategyOptions
  input: AssignInput
  /**
   * Present: run the whole round on the pool (computeRound in rebalance.ts), not only the strategy:
   * its answer checked, capped against `input.previous` (the live set is `input.workers`),
   * compared with it, stamped with `input.version` / `input.term` and encoded; the answer is a
   * RoundResult.
   */
  round?: RoundSpec
}

/** How the pool finishes a round (calculator-rounds.ts builds it; rebalance.ts runs it). */
export interface RoundSpec {
  /** Voluntary moves allowed in this round (0: orphans only, as in a takeover). */
  cap: number
  /** The strategy's earlier answer that this capped round continues: no strategy run. */
  target?: Assignment
  /** A worker whose partitions the pool lists too (the host's own: RoundResult.selfPartitions). */
  self?: string
}

/** A round computed on the pool (plain data: crosses threads by structured clone). */
export interface RoundResult {
  /** The strategy's answer (the end point capped rounds work toward). */
  target: Assignment
  /** What to publish: `target` capped, stamped with the request's version and term. */
  assignment: Assignment
  moved: number
  deferred: number
  /** Whether `assignment` maps any partition to another worker than `input.previous` does. */
  changed: boolean
  /** `assignment` encoded (assignment-codec.ts) when it is to be published (changed, or a new term). */
  encoded?: Uint8Array
  /** partitionsOf(assignment, round.self), when the request named one. */
  selfPartitions?: number[]
  /**
   * Set by the pool: `target` and `assignment` (those with an empty list) have the request's
   * `input.workers`, left out of the answer; attachWorkers (rebalance.ts) puts them back.
   */
  workersFromRequest?: true
}

/** Why a rebalance runs; `round` is the next capped round of an earlier one. */
export type RebalanceReason = 'cold-start' | 'restart' | 'planned-scale' | 'emergency' | 'round' | 'takeover'

export interface CalculatorStats {
  /** Assignments emitted for publication (capped rounds and retries of none included). */
  published: number
  /** Publications the store acknowledged. */
  acked: number
  /** Publications sent again (timeout or failure). */
  publishRetries: number
  /** Partitions that changed owner, over all publications, and in the last one. */
  movedTotal: number
  lastMoved: number
  /** Voluntary moves held back by the per-round cap (summed over rounds). */
  movesDeferred: number
  /** Takeover publications: a new term's first assignment, published at once (calculator.ts). */
  takeovers: number
  /** Confirmed failures that rebalanced at once. */
  emergencies: number
  /** Failed workers that came back within the grace (hysteresis at work). */
  transientFailures: number
  /** Failures of more than restartRatio of the workers, handled as a fleet restart. */
  massFailures: number
  /** Rebalances that found no worker with weight > 0 (nothing published). */
  noCapacity: number
  /** Rebalances whose result equalled the assignment in force (nothing published). */
  unchanged: number
  /** Computations sent to the compute pool; results dropped as stale; failures (then computed inline). */
  computeOffloaded: number
  computeDiscarded: number
  computeFailures: number
  /** Timer firings for a key not armed (raced a cancel). */
  staleTimers: number
  /** Timer firings before their due time (a host clock's rounding); re-armed for the rest. */
  earlyTimers: number
  /** Acknowledgements for a version not awaiting one. */
  staleAcks: number
  /** Inputs after stop. */
  ignoredAfterStop: number
  /** Refused inputs by code (bad worker spec, too many workers, unknown worker, ...). */
  refused: Record<string, number>
  lastRefusal: WireError | undefined
}

export interface CalculatorState {
  readonly config: AssignmentConfig
  readonly phase: CalculatorPhase
  /** This leader's term: stamped on everything it publishes. */
  readonly term: number
  /** Live workers, sorted by id (weight 0 = draining). Workers inside their grace stay here. */
  readonly live: readonly WorkerSpec[]
  /** Failed workers still inside their grace: id and the time they were reported. */
  readonly suspects: readonly { id: string; since: number }[]
  /** Bumped on every change of `live`; a computation for an older generation is stale. */
  readonly generation: number
  /** The assignment in force: the newest this leader emitted, or the last published one it started from. */
  readonly current: Assignment | undefined
  /** Whether `current` awaits the store's acknowledgement. */
  readonly awaitingAck: boolean
  /** The computation in flight, if any. */
  readonly computing: { requestId: number; generation: number; reason: RebalanceReason } | undefined
  readonly nextRequestId: number
  /** A rebalance that came due while a computation or a publication was in flight. */
  readonly due: RebalanceReason | undefined
  /** Whether the last rebalance left voluntary moves for another round. */
  readonly movesPending: boolean
  /**
   * The strategy's answer that capped rounds are still working toward, and the live-set generation
   * it was computed for: the next round applies its next slice instead of recomputing, so the
   * rounds end where one uncapped rebalance would have. Dropped when the live set changes.
   */
  readonly target: { assignment: Assignment; generation: number } | undefined
  /**
   * The takeover's worker set while its publication is pending (calculator.ts): the live workers
   * plus the last assignment's workers the host knows as alive members. Cleared once published.
   */
  readonly takeover: readonly WorkerSpec[] | undefined
  /** Clock time of the last publication of a new mapping (the min rebalance interval counts from it). */
  readonly lastRebalanceAt: number | undefined
  /** Armed timers and when they come due. */
  readonly timers: readonly { key: TimerKey; dueAt: number }[]
  readonly stats: CalculatorStats
}

export interface CalculatorStep {
  state: CalculatorState
  effects: CalculatorEffect[]
}
