/**
 * One rebalance round, as pure functions of the calculator: the request a strategy computes, what
 * it costs (inline or compute pool), and the per-round move cap applied to its answer.
 */
import { createAssignment, partitionsOf, sameOwners, tableMap, type Assignment } from './assignment.ts'
import { encodeAssignment } from './assignment-codec.ts'
import type { AssignmentConfig } from './config.ts'
import type { ComputeRequest, RoundResult } from './calculator-types.ts'
import { AssignmentInputError } from './errors.ts'
import { createStrategy } from './strategies/registry.ts'
import { findWorker } from './live-workers.ts'
import type { WorkerSpec } from './worker-spec.ts'

export function rebalanceRequest(config: AssignmentConfig, live: readonly WorkerSpec[], current: Assignment | undefined, term: number): ComputeRequest {
  return {
    strategy: config.strategy,
    options: { vnodes: config.vnodes, loadFactor: config.loadFactor, seed: config.seed },
    input: {
      partitions: config.partitions,
      // The live list itself, not a copy: the pool's answer comes back without workers when they are
      // these (computeRound), and the actor puts this same array back (attachWorkers): its context
      // then holds one list the runtime already persisted, not 1,000 new objects a round.
      workers: live,
      ...(current === undefined ? {} : { previous: current }),
      term,
      version: (current?.version ?? 0) + 1,
    },
  }
}

/** Rough work units of a request: partitions plus ring points (consistent hash), pairs (rendezvous), partitions (round robin). */
export function estimateWork(request: ComputeRequest): number {
  const P = request.input.partitions
  const W = request.input.workers.length
  switch (request.strategy) {
    case 'consistent-hash':
      return 2 * P + W * (request.options.vnodes ?? 150)
    case 'rendezvous':
      return P * W
    case 'round-robin':
      return P
  }
}

export interface CappedResult {
  assignment: Assignment
  /** Partitions whose owner changes (mandatory and voluntary, as applied). */
  moved: number
  /** Voluntary moves left for a later round. */
  deferred: number
}

/**
 * Applies `target` to `current` under the per-round cap. A partition whose owner is gone (not
 * live) takes its target owner at once: it has nobody serving it, so its move is never capped.
 * The other (voluntary) moves are applied in partition order up to `cap`; the rest keep their
 * current owner until a later round recomputes the target from this result.
 */
export function capMoves(current: Assignment | undefined, target: Assignment, live: readonly WorkerSpec[], cap: number): CappedResult {
  if (current === undefined) return { assignment: target, moved: target.partitions, deferred: 0 }
  // Current owners re-indexed into target's table; -1 = gone (target's table is the live set).
  const map = tableMap(current, target)
  const liveOwner = new Int32Array(current.workers.length)
  for (let i = 0; i < current.workers.length; i++) liveOwner[i] = findWorker(live, current.workers[i]!.id) === undefined ? -1 : map[i]!
  // Copied on the first deferred move only: most rounds apply the target whole (200 KB at 100,000 partitions).
  let owners: Uint16Array | undefined
  let moved = 0
  let voluntary = 0
  let deferred = 0
  for (let p = 0; p < target.partitions; p++) {
    const from = p < current.partitions ? liveOwner[current.owners[p]!]! : -1
    if (from === target.owners[p]) continue
    if (from < 0) {
      moved++
      continue
    }
    if (voluntary < cap) {
      voluntary++
      moved++
    } else {
      owners ??= target.owners.slice()
      owners[p] = from
      deferred++
    }
  }
  if (owners === undefined) return { assignment: target, moved, deferred }
  return { assignment: createAssignment({ version: target.version, term: target.term, partitions: target.partitions, workers: target.workers, owners }), moved, deferred }
}

/**
 * One whole rebalance round, as the compute pool runs it for a request with `round` (compute-task.ts):
 * the strategy's answer (or the round's earlier target), checked in full (createAssignment: every
 * owner index inside the table), capped against `input.previous`, stamped with the request's
 * version and term, compared with the previous assignment, and encoded when it is to be published.
 * Everything here is O(P): done off the actor's thread, it leaves the actor O(1) work per answer.
 */
export function computeRound(request: ComputeRequest, options: { encode: boolean }): RoundResult {
  const round = request.round
  if (round === undefined) throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_REQUEST', 'computeRound needs a request with round')
  const { term, version, previous, partitions } = request.input
  if (term === undefined || version === undefined) throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_REQUEST', 'a round request names its term and version')
  const answer = round.target ?? createStrategy(request.strategy, request.options).assign(request.input)
  const target = createAssignment(answer)
  if (target.partitions !== partitions || target.term !== term) {
    throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_PARTITIONS', `computed assignment has ${target.partitions} partitions at term ${target.term}; expected ${partitions} at ${term}`)
  }
  const capped = capMoves(previous, target, request.input.workers, round.cap)
  const a = capped.assignment
  const assignment = a.version === version && a.term === term ? a : { ...a, version, term }
  const changed = previous === undefined || !sameOwners(previous, assignment)
  const publishable = changed || previous.term !== term
  // Workers equal to the request's go back as nothing (1,000 objects a list to clone through two
  // threads, twice): the actor re-attaches its own (attachWorkers).
  const same = sameWorkers(target.workers, request.input.workers)
  return {
    target: same ? { ...target, workers: [] } : target,
    assignment: same && sameWorkers(assignment.workers, request.input.workers) ? { ...assignment, workers: [] } : assignment,
    ...(same ? { workersFromRequest: true } : {}),
    moved: capped.moved,
    deferred: capped.deferred,
    changed,
    ...(options.encode && publishable ? { encoded: encodeAssignment(assignment) } : {}),
    ...(round.self === undefined ? {} : { selfPartitions: partitionsOf(assignment, round.self) }),
  }
}

function sameWorkers(a: readonly WorkerSpec[], b: readonly WorkerSpec[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i]!.id !== b[i]!.id || a[i]!.weight !== b[i]!.weight) return false
  return true
}

/**
 * The pool's RoundResult with its workers back: the request's own list (the same array, not a
 * copy) where the pool left them out (`workersFromRequest`). An assignment with no workers is
 * never valid (createAssignment needs one with capacity), so an empty list means "the request's".
 */
export function attachWorkers(result: RoundResult, request: ComputeRequest): RoundResult {
  if (result.workersFromRequest !== true) return result
  const workers = request.input.workers
  const target = result.target.workers.length === 0 ? { ...result.target, workers } : result.target
  const assignment = result.assignment.workers.length === 0 ? { ...result.assignment, workers } : result.assignment
  const { workersFromRequest: _, ...rest } = result
  return { ...rest, target, assignment }
}
