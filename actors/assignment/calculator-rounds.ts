/**
 * One rebalance at a time: compute the strategy's answer, cap its voluntary moves, stamp it with
 * this leader's term and the next version (inline; or all of it on the compute pool when it is
 * large, so the host's turn does O(1) work), publish it, and after the acknowledgement run what
 * came due meanwhile or the next capped round.
 */
import { createAssignment, sameOwners, type Assignment } from './assignment.ts'
import type { Draft } from './calculator-draft.ts'
import type { RebalanceReason, RoundResult } from './calculator-types.ts'
import { moveCap } from './config.ts'
import { AssignmentInputError } from './errors.ts'
import { hasCapacity } from './live-workers.ts'
import { capMoves, estimateWork, rebalanceRequest, type CappedResult } from './rebalance.ts'
import { createStrategy } from './strategies/registry.ts'
import type { WorkerSpec } from './worker-spec.ts'

/** The pool's answer to a plain strategy request (no `round`): checked here in full, O(P). */
export function onComputed(d: Draft, requestId: number, result: Assignment): void {
  const pending = answered(d, requestId)
  if (pending === undefined) return
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
  const workers = workersOf(d, pending.reason)
  const capped = capMoves(d.s.current, target, workers, capOf(d, pending.reason))
  finish(d, pending.reason, target, capped, pending.generation, undefined, {})
}

/**
 * The pool's answer to a round request: it was checked, capped, compared and encoded there
 * (rebalance.ts computeRound), so only O(1) checks of its shape are left for this turn.
 */
export function onRoundComputed(d: Draft, requestId: number, result: RoundResult): void {
  const pending = answered(d, requestId)
  if (pending === undefined) return
  const version = (d.s.current?.version ?? 0) + 1
  const { partitions } = d.s.config
  const fits = (a: Assignment | undefined, stamped: boolean) =>
    a !== undefined && a.partitions === partitions && a.owners instanceof Uint16Array && a.owners.length === partitions && Array.isArray(a.workers) && a.term === d.s.term && (!stamped || a.version === version)
  if (!fits(result?.target, false) || !fits(result.assignment, true) || typeof result.changed !== 'boolean' || !(result.encoded === undefined || result.encoded instanceof Uint8Array)) {
    d.stats.computeFailures++
    d.refuse('ERR_ASSIGNMENT_INVALID_PARTITIONS', `the pool's round does not fit ${partitions} partitions at term ${d.s.term}, version ${version}`)
    rebalance(d, pending.reason, { inline: true })
    return
  }
  const selfPartitions = Array.isArray(result.selfPartitions) ? result.selfPartitions : undefined
  finish(d, pending.reason, result.target, { assignment: result.assignment, moved: result.moved, deferred: result.deferred }, pending.generation, result.changed, { encoded: result.encoded, selfPartitions })
}

/** The computation this answer is for, or undefined (stale: counted; a changed live set recomputes). */
function answered(d: Draft, requestId: number): { generation: number; reason: RebalanceReason } | undefined {
  const pending = d.s.computing
  if (pending === undefined || pending.requestId !== requestId) {
    d.stats.computeDiscarded++
    return undefined
  }
  d.s.computing = undefined
  // The live set changed while it ran: its answer may name a worker that is gone. A takeover's
  // worker set was fixed when it began, so its answer still serves (the restart window follows).
  if (pending.generation !== d.s.generation && pending.reason !== 'takeover') {
    d.stats.computeDiscarded++
    rebalance(d, pending.reason)
    return undefined
  }
  return pending
}

/** The workers a rebalance counts: the takeover's set while its publication is pending, else the live set. */
function workersOf(d: Draft, reason: RebalanceReason): readonly WorkerSpec[] {
  return reason === 'takeover' ? (d.s.takeover ?? d.s.live) : d.s.live
}

/** Voluntary moves a round may make: none in a takeover (orphans only), else the configured cap. */
function capOf(d: Draft, reason: RebalanceReason): number {
  return reason === 'takeover' ? 0 : moveCap(d.s.config)
}

/** Computes the next assignment (here, or on the compute pool when large) unless busy. */
export function rebalance(d: Draft, reason: RebalanceReason, options: { inline?: boolean } = {}): void {
  if (d.s.computing !== undefined || d.s.awaitingAck) {
    d.s.due = strongest(d.s.due, reason)
    return
  }
  d.s.due = undefined
  const workers = workersOf(d, reason)
  if (!hasCapacity(workers)) {
    d.stats.noCapacity++
    if (reason === 'takeover') d.s.takeover = undefined
    else d.s.movesPending = false
    settle(d)
    return
  }
  const pending = d.s.target
  const continued = reason === 'round' && pending !== undefined && pending.generation === d.s.generation ? pending.assignment : undefined
  const request = rebalanceRequest(d.s.config, workers, d.s.current, d.s.term)
  const cap = capOf(d, reason)
  if (options.inline !== true && estimateWork(request) > d.s.config.inlineWorkLimit) {
    const requestId = d.s.nextRequestId
    d.s.nextRequestId = requestId + 1
    d.s.computing = { requestId, generation: d.s.generation, reason }
    d.stats.computeOffloaded++
    // The whole round runs on the pool: the strategy, the full check, the cap, the comparison and
    // the encoding are each O(P) (1-4 ms at P = 100,000): none of it is left for the host's turn.
    d.effects.push({ type: 'compute', requestId, request: { ...request, round: { cap, ...(continued === undefined ? {} : { target: continued }) } } })
    return
  }
  let target: Assignment
  try {
    target = continued ?? createStrategy(request.strategy, request.options).assign(request.input)
  } catch (err) {
    // Inputs are validated on entry, so this is a defect; count it rather than crash the host.
    d.refuse(err)
    if (reason === 'takeover') d.s.takeover = undefined
    settle(d)
    return
  }
  finish(d, reason, target, capMoves(d.s.current, target, workers, cap), d.s.generation, undefined, {})
}

/**
 * Publishes a capped round if it changes anything (or fences an older term). `changed` undefined:
 * compared here (the inline path, small by definition). A takeover leaves the target and the
 * pending moves to the restart window's rebalance (its held-back moves are not "deferred").
 */
function finish(d: Draft, reason: RebalanceReason, target: Assignment, capped: CappedResult, generation: number, changedHint: boolean | undefined, pool: { encoded?: Uint8Array | undefined; selfPartitions?: number[] | undefined }): void {
  const current = d.s.current
  const { moved, deferred } = capped
  const assignment = stamp(capped.assignment, (current?.version ?? 0) + 1, d.s.term)
  if (reason === 'takeover') d.s.takeover = undefined
  else {
    d.s.movesPending = deferred > 0
    d.s.target = deferred > 0 ? { assignment: target, generation } : undefined
    d.stats.movesDeferred += deferred
  }
  const changed = changedHint ?? (current === undefined || !sameOwners(current, assignment))
  // A new leader republishes even an unchanged mapping: its term fences off the previous leader.
  if (!changed && current !== undefined && current.term === d.s.term) {
    d.stats.unchanged++
    settle(d)
    return
  }
  d.s.current = assignment
  d.s.awaitingAck = true
  if (changed) d.s.lastRebalanceAt = d.now
  if (reason === 'takeover') d.stats.takeovers++
  d.stats.published++
  d.stats.movedTotal += changed ? moved : 0
  d.stats.lastMoved = changed ? moved : 0
  d.effects.push({ type: 'publish', assignment, ...(pool.encoded === undefined ? {} : { encoded: pool.encoded }), ...(pool.selfPartitions === undefined ? {} : { selfPartitions: pool.selfPartitions }) })
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

const PRIORITY: Record<RebalanceReason, number> = { round: 0, 'planned-scale': 1, 'cold-start': 2, restart: 3, takeover: 4, emergency: 5 }

function strongest(a: RebalanceReason | undefined, b: RebalanceReason): RebalanceReason {
  return a === undefined || PRIORITY[b] > PRIORITY[a] ? b : a
}

