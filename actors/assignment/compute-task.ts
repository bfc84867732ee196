/**
 * The calculator's compute-pool task: a `compute` effect's request, run on a piscina thread
 * (src/runtime/compute-pool.ts loads this module by URL and calls `computeAssignment`). The pool
 * needs no registration; the host passes ASSIGNMENT_TASK to `env.compute.run`. Pure: the same
 * request gives the same Assignment on any thread.
 */
import { computeTask } from '../../src/types/actor-env.ts'
import type { Assignment } from './assignment.ts'
import { encodeAssignment } from './assignment-codec.ts'
import type { ComputeRequest, RoundResult } from './calculator-types.ts'
import { computeRound } from './rebalance.ts'
import { createStrategy } from './strategies/registry.ts'

export function computeAssignment(request: ComputeRequest): Assignment {
  return createStrategy(request.strategy, request.options).assign(request.input)
}

/** A whole round (rebalance.ts computeRound), encoded here too: the actor's turn keeps O(1) work. */
export function computeRoundTask(request: ComputeRequest): RoundResult {
  return computeRound(request, { encode: true })
}

/** Encodes an assignment (assignment-codec.ts) off the actor's thread: large ones are 200 KB and more. */
export function encodeAssignmentTask(a: Assignment): Uint8Array {
  return encodeAssignment(a)
}

export const ENCODE_TASK = computeTask<Assignment, Uint8Array>(new URL('./compute-task.ts', import.meta.url), 'encodeAssignmentTask')

export const ASSIGNMENT_TASK = computeTask<ComputeRequest, Assignment>(new URL('./compute-task.ts', import.meta.url), 'computeAssignment')

export const ROUND_TASK = computeTask<ComputeRequest, RoundResult>(new URL('./compute-task.ts', import.meta.url), 'computeRoundTask')
