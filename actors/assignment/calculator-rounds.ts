/**
 * One rebalance at a time: compute the strategy's answer (inline, or on the compute pool when it
 * is large), cap its voluntary moves, stamp it with this leader's term and the next version,
 * publish it, and after the acknowledgement run what came due meanwhile or the next capped round.
 */
import { createAssignment, sameOwners, type Assignment } from './assignment.ts'
import type { Draft } from './calculator-draft.ts'
import type { RebalanceReason } from './calculator-types.ts'
import { moveCap } from './config.ts'
import { AssignmentInputError } from './errors.ts'
import { hasCapacity } from './live-workers.ts'
import { capMoves, estimateWork, rebalanceRequest } from './rebalance.ts'
import { createStrategy } from './strategies/registry.ts'

export function onComputed(d: Draft, requestId: number, result: Assignment): void {
  const pending = d.s.computing
  if (pending === undefined || pending.requestId !== requestId) {
    d.stats.computeDiscarded++
    return
  }
  d.s.computing = undefined
  if (pending.generation !== d.s.generation) {
    // The live set changed while it ran: its answer may name a worker that is gone.
    d.stats.computeDiscarded++
    rebalance(d, pending.reason)
    return
  }
  let target: Assignment
  try {
    target = createAssignment(result)
    if (target.partitions !== d.s.config.partitions || target.term !== d.s.term) {
      throw new AssignmentInputError('ERR_ASSIGNMENT_INVALID_PARTITIONS', `computed assignment has ${target.partitions} partitions at term ${target.term}; expected ${d.s.config.partitions} at ${d.s.term}`)
    }
  } catch (err) {
    d.stats.computeFailures++
    d.refuse(err)
    rebalance(d, pending.reason, { inline: true })
    return
  }
  apply(d, target, d.s.generation)
}

/** Computes the next assignment (here, or on the compute pool when large) unless busy. */
export function rebalance(d: Draft, reason: RebalanceReason, options: { inline?: boolean } = {}): void {
  if (d.s.computing !== undefined || d.s.awaitingAck) {
    d.s.due = strongest(d.s.due, reason)
    return
  }
  d.s.due = undefined
  if (!hasCapacity(d.s.live)) {
    d.stats.noCapacity++
    d.s.movesPending = false
    settle(d)
    return
  }
  const pending = d.s.target
  if (reason === 'round' && pending !== undefined && pending.generation === d.s.generation) {
    apply(d, pending.assignment, pending.generation)
    return
  }
  const request = rebalanceRequest(d.s.config, d.s.live, d.s.current, d.s.term)
  if (options.inline !== true && estimateWork(request) > d.s.config.inlineWorkLimit) {
    const requestId = d.s.nextRequestId
    d.s.nextRequestId = requestId + 1
    d.s.computing = { requestId, generation: d.s.generation, reason }
    d.stats.computeOffloaded++
    d.effects.push({ type: 'compute', requestId, request })
    return
  }
  let target: Assignment
  try {
    target = createStrategy(request.strategy, request.options).assign(request.input)
  } catch (err) {
    // Inputs are validated on entry, so this is a defect; count it rather than crash the host.
    d.refuse(err)
    settle(d)
    return
  }
  apply(d, target, d.s.generation)
}

/** Caps the target's moves, publishes the result if it changes anything (or fences an older term). */
function apply(d: Draft, target: Assignment, generation: number): void {
  const current = d.s.current
  const capped = capMoves(current, target, d.s.live, moveCap(d.s.config))
  const { moved, deferred } = capped
  const assignment = stamp(capped.assignment, (current?.version ?? 0) + 1, d.s.term)
  d.s.movesPending = deferred > 0
  d.s.target = deferred > 0 ? { assignment: target, generation } : undefined
  d.stats.movesDeferred += deferred
  const changed = current === undefined || !sameOwners(current, assignment)
  // A new leader republishes even an unchanged mapping: its term fences off the previous leader.
  if (!changed && current.term === d.s.term) {
    d.stats.unchanged++
    settle(d)
    return
  }
  d.s.current = assignment
  d.s.awaitingAck = true
  if (changed) d.s.lastRebalanceAt = d.now
  d.stats.published++
  d.stats.movedTotal += changed ? moved : 0
  d.stats.lastMoved = changed ? moved : 0
  d.effects.push({ type: 'publish', assignment })
  d.arm('publish', d.s.config.publishTimeoutMs)
}

/** `a` with this version and term (the owners array is shared: assignments are never mutated). */
function stamp(a: Assignment, version: number, term: number): Assignment {
  return a.version === version && a.term === term ? a : { ...a, version, term }
}

/** After an ack: run what came due meanwhile, else the next capped round, else settle. */
export function afterBusy(d: Draft): void {
  if (d.s.due !== undefined) {
    rebalance(d, d.s.due)
    return
  }
  settle(d)
}

/** Schedules the next round if moves remain; names the phase for what is still pending, stable if nothing. */
export function settle(d: Draft): void {
  if (d.s.computing !== undefined || d.s.awaitingAck) return
  if (d.s.movesPending) {
    if (!d.isArmed('round') && !d.isArmed('window')) {
      const at = Math.max(d.now, (d.s.lastRebalanceAt ?? d.now) + d.s.config.minRebalanceIntervalMs)
      d.arm('round', at - d.now)
    }
    return
  }
  if (d.isArmed('window')) {
    if (d.s.phase !== 'cold-start' && d.s.phase !== 'restart') d.s.phase = 'planned-scale'
    return
  }
  d.s.phase = 'stable'
}

const PRIORITY: Record<RebalanceReason, number> = { round: 0, 'planned-scale': 1, 'cold-start': 2, restart: 3, emergency: 4 }

function strongest(a: RebalanceReason | undefined, b: RebalanceReason): RebalanceReason {
  return a === undefined || PRIORITY[b] > PRIORITY[a] ? b : a
}

