/**
 * One rebalance round, as pure functions of the calculator: the request a strategy computes, what
 * it costs (inline or compute pool), and the per-round move cap applied to its answer.
 */
import { createAssignment, tableMap, type Assignment } from './assignment.ts'
import type { AssignmentConfig } from './config.ts'
import type { ComputeRequest } from './calculator-types.ts'
import { findWorker } from './live-workers.ts'
import type { WorkerSpec } from './worker-spec.ts'

export function rebalanceRequest(config: AssignmentConfig, live: readonly WorkerSpec[], current: Assignment | undefined, term: number): ComputeRequest {
  return {
    strategy: config.strategy,
    options: { vnodes: config.vnodes, loadFactor: config.loadFactor, seed: config.seed },
    input: {
      partitions: config.partitions,
      workers: live.map((w) => ({ id: w.id, weight: w.weight })),
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
