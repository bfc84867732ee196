/**
 * actors/assignment: the leader's partition-assignment calculator (issue 14), pure pieces only.
 *
 * README. This folder holds what does not change with the "cores that return effects" refactor
 * (issue 11): the strategies (strategies/), the Assignment value and its encoding, the workers'
 * term guard, and this calculator core. There is deliberately no machine.ts, worker.ts or
 * protocol.ts yet: the assignment actor (inside election, DESIGN.md) is built after that refactor,
 * and will host this core unchanged: feed it inputs, perform the effects it returns.
 *
 * The core follows parti's calculator states (spec/coordination-anchors.md §1):
 * - cold-start: a leader with no published assignment waits coldStartWindowMs for the fleet, then
 *   assigns;
 * - restart: a leader that starts from the last published assignment (or sees more than
 *   restartRatio of its workers fail at once) waits restartWindowMs (coldStartWindowMs for a mass
 *   failure), then rebalances from it, moving only what the live set requires;
 * - planned-scale: a join, a graceful leave or a weight change opens plannedScaleWindowMs, started
 *   no earlier than minRebalanceIntervalMs after the last rebalance (parti's rate limit comes first);
 *   the window is not extended by later changes, so a flapping worker cannot postpone it forever;
 * - emergency: a failed worker still missing after emergencyGraceMs (hysteresis: one that comes back
 *   within it changes nothing) rebalances at once, with no window and no rate limit, because its
 *   partitions have nobody serving them;
 * - stable: nothing pending.
 * Each rebalance moves orphaned partitions at once and at most moveCap(config) others per round;
 * the rest follow in rounds minRebalanceIntervalMs apart. One computation and one publication are
 * in flight at a time; what comes due meanwhile waits in `due`. Every assignment carries this
 * leader's term and the next version.
 *
 * Leadership is a value, not a thread: startCalculator creates the state and `stop` ends it
 * (cancelling every timer); anything that arrives after stop is counted and ignored. There is no
 * second thread that could start or stop it concurrently (lessons/003).
 */
import { toWireError, type WireError } from '../../src/errors/index.ts'
import { createAssignment, sameOwners, type Assignment } from './assignment.ts'
import type {
  CalculatorEffect,
  CalculatorInput,
  CalculatorPhase,
  CalculatorState,
  CalculatorStats,
  CalculatorStep,
  RebalanceReason,
  TimerKey,
} from './calculator-types.ts'
import { moveCap, type AssignmentConfig } from './config.ts'
import { AssignmentInputError, StaleTermError } from './errors.ts'
import { findWorker, hasCapacity, removeWorker, upsertWorker } from './live-workers.ts'
import { capMoves, estimateWork, rebalanceRequest } from './rebalance.ts'
import { createStrategy } from './strategies/registry.ts'
import { checkCounter, checkWorker, normalizeWorkers, type WorkerSpec } from './worker-spec.ts'

export interface CalculatorStart {
  config: AssignmentConfig
  /** This leader's term (the election's fencing token). */
  term: number
  now: number
  /** Workers known to be alive when leadership begins. */
  workers?: readonly WorkerSpec[]
  /** The newest assignment in the store: the calculator starts from it (phase restart). */
  lastPublished?: Assignment
}

/**
 * Starts a calculator. Throws AssignmentInputError for a bad term or worker list, and
 * StaleTermError when `lastPublished` carries a newer term than ours (a newer leader exists).
 */
export function startCalculator(start: CalculatorStart): CalculatorStep {
  checkCounter('term', start.term)
  const live = normalizeWorkers(start.workers ?? [], { maxWorkers: start.config.maxWorkers, requireCapacity: false })
  const last = start.lastPublished
  if (last !== undefined) {
    checkCounter('term', last.term)
    if (last.term > start.term) throw new StaleTermError(start.term, last.term)
  }
  const phase: CalculatorPhase = last === undefined ? 'cold-start' : 'restart'
  const state: CalculatorState = {
    config: start.config,
    phase,
    term: start.term,
    live,
    suspects: [],
    generation: 0,
    current: last,
    awaitingAck: false,
    computing: undefined,
    nextRequestId: 1,
    due: undefined,
    movesPending: false,
    target: undefined,
    lastRebalanceAt: undefined,
    timers: [],
    stats: emptyStats(),
  }
  const d = new Draft(state, start.now)
  d.arm('window', phase === 'cold-start' ? start.config.coldStartWindowMs : start.config.restartWindowMs)
  return d.done()
}

/** Applies one input. Pure: never throws; bad inputs are refused and counted in stats.refused. */
export function stepCalculator(state: CalculatorState, input: CalculatorInput): CalculatorStep {
  const d = new Draft(state, input.now)
  if (state.phase === 'stopped') {
    d.stats.ignoredAfterStop++
    return d.done()
  }
  switch (input.type) {
    case 'worker-joined':
      onJoined(d, input.worker)
      break
    case 'worker-left':
      onLeft(d, input.id)
      break
    case 'worker-failed':
      onFailed(d, input.id)
      break
    case 'timer-fired':
      onTimer(d, input.key)
      break
    case 'published':
      onPublished(d, input.version)
      break
    case 'publish-failed':
      if (d.s.awaitingAck && d.s.current?.version === input.version) {
        d.stats.publishRetries++
        d.arm('publish', d.s.config.publishTimeoutMs)
      } else d.stats.staleAcks++
      break
    case 'computed':
      onComputed(d, input.requestId, input.assignment)
      break
    case 'compute-failed':
      if (d.s.computing?.requestId === input.requestId) {
        d.stats.computeFailures++
        const reason = d.s.computing.reason
        d.s.computing = undefined
        // No pool (or a broken one): compute here rather than never assign; the stall is the lesser harm.
        rebalance(d, reason, { inline: true })
      } else d.stats.computeDiscarded++
      break
    case 'stop':
      for (const t of d.s.timers) d.effects.push({ type: 'cancel-timer', key: t.key })
      d.s.timers = []
      d.s.computing = undefined
      d.s.due = undefined
      d.s.phase = 'stopped'
      break
    default:
      d.refuse('ERR_ASSIGNMENT_UNKNOWN_INPUT', `unknown input type ${String((input as { type?: unknown }).type)}`)
  }
  return d.done()
}

function onJoined(d: Draft, worker: WorkerSpec): void {
  try {
    checkWorker(worker)
  } catch (err) {
    d.refuse(err)
    return
  }
  const known = findWorker(d.s.live, worker.id)
  const suspect = d.s.suspects.some((x) => x.id === worker.id)
  if (suspect) {
    // Back within the grace: the failure never happened as far as the assignment goes.
    d.s.suspects = d.s.suspects.filter((x) => x.id !== worker.id)
    d.cancel(`grace:${worker.id}`)
    d.stats.transientFailures++
  }
  if (known !== undefined && known.weight === worker.weight) return
  if (known === undefined && d.s.live.length >= d.s.config.maxWorkers) {
    d.refuse(new AssignmentInputError('ERR_ASSIGNMENT_TOO_MANY_WORKERS', `worker ${worker.id} refused: already tracking maxWorkers (${d.s.config.maxWorkers})`, { id: worker.id }))
    return
  }
  d.setLive(upsertWorker(d.s.live, worker))
  plannedChange(d)
}

function onLeft(d: Draft, id: string): void {
  if (findWorker(d.s.live, id) === undefined) {
    d.refuse('ERR_ASSIGNMENT_UNKNOWN_WORKER', `worker ${id} left but is not tracked`)
    return
  }
  clearSuspect(d, id)
  d.setLive(removeWorker(d.s.live, id))
  plannedChange(d)
}

function onFailed(d: Draft, id: string): void {
  if (findWorker(d.s.live, id) === undefined) {
    d.refuse('ERR_ASSIGNMENT_UNKNOWN_WORKER', `worker ${id} failed but is not tracked`)
    return
  }
  if (d.s.suspects.some((x) => x.id === id)) return
  const owns = d.s.current !== undefined && d.s.current.workers.some((w) => w.id === id)
  if (windowPending(d) || !owns) {
    // The pending cold-start or restart rebalance will see it gone (or it serves nothing of ours).
    d.setLive(removeWorker(d.s.live, id))
    return
  }
  d.s.suspects = [...d.s.suspects, { id, since: d.now }]
  if (d.s.config.emergencyGraceMs === 0) confirmFailure(d, id)
  else d.arm(`grace:${id}`, d.s.config.emergencyGraceMs)
}

function confirmFailure(d: Draft, id: string): void {
  clearSuspect(d, id)
  d.setLive(removeWorker(d.s.live, id))
  if (windowPending(d)) return
  const assigned = (d.s.current?.workers ?? []).filter((w) => w.weight > 0)
  const missing = assigned.filter((w) => findWorker(d.s.live, w.id) === undefined || d.s.suspects.some((x) => x.id === w.id)).length
  if (assigned.length > 0 && missing > d.s.config.restartRatio * assigned.length) {
    // Most of the fleet at once: a restart (rolling update, power loss), not a few failures.
    // Piling everything onto the survivors would only move it all back when the others return.
    d.stats.massFailures++
    d.s.phase = 'restart'
    d.cancel('round')
    d.arm('window', d.s.config.coldStartWindowMs)
    return
  }
  d.stats.emergencies++
  d.s.phase = 'emergency'
  d.cancel('window')
  d.cancel('round')
  rebalance(d, 'emergency')
}

/** A cold-start or restart window is still open: its rebalance will use the live set as it is then. */
function windowPending(d: Draft): boolean {
  return (d.s.phase === 'cold-start' || d.s.phase === 'restart') && d.isArmed('window')
}

function clearSuspect(d: Draft, id: string): void {
  if (!d.s.suspects.some((x) => x.id === id)) return
  d.s.suspects = d.s.suspects.filter((x) => x.id !== id)
  d.cancel(`grace:${id}`)
}

/** A join, leave or weight change: open the planned-scale window unless one is already pending. */
function plannedChange(d: Draft): void {
  if (d.isArmed('window')) return
  const { plannedScaleWindowMs, minRebalanceIntervalMs } = d.s.config
  // parti: the rate limit applies before the window starts.
  const windowStart = Math.max(d.now, (d.s.lastRebalanceAt ?? -Infinity) + minRebalanceIntervalMs)
  d.arm('window', windowStart - d.now + plannedScaleWindowMs)
  if (d.s.phase === 'stable') d.s.phase = 'planned-scale'
}

function onTimer(d: Draft, key: TimerKey): void {
  const armed = d.s.timers.find((t) => t.key === key)
  if (armed === undefined || armed.dueAt > d.now) {
    d.stats.staleTimers++
    return
  }
  d.s.timers = d.s.timers.filter((t) => t.key !== key)
  if (key === 'window') {
    const reason: RebalanceReason = d.s.phase === 'cold-start' || d.s.phase === 'restart' ? d.s.phase : 'planned-scale'
    if (reason === 'planned-scale') d.s.phase = 'planned-scale'
    d.cancel('round')
    rebalance(d, reason)
  } else if (key === 'round') {
    rebalance(d, 'round')
  } else if (key === 'publish') {
    if (d.s.awaitingAck && d.s.current !== undefined) {
      d.stats.publishRetries++
      d.effects.push({ type: 'publish', assignment: d.s.current })
      d.arm('publish', d.s.config.publishTimeoutMs)
    }
  } else {
    const id = key.slice('grace:'.length)
    if (d.s.suspects.some((x) => x.id === id)) confirmFailure(d, id)
  }
}

function onPublished(d: Draft, version: number): void {
  if (!d.s.awaitingAck || d.s.current?.version !== version) {
    d.stats.staleAcks++
    return
  }
  d.s.awaitingAck = false
  d.stats.acked++
  d.cancel('publish')
  afterBusy(d)
}

function onComputed(d: Draft, requestId: number, result: Assignment): void {
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
function rebalance(d: Draft, reason: RebalanceReason, options: { inline?: boolean } = {}): void {
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
  apply(d, createStrategy(request.strategy, request.options).assign(request.input), d.s.generation)
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
function afterBusy(d: Draft): void {
  if (d.s.due !== undefined) {
    rebalance(d, d.s.due)
    return
  }
  settle(d)
}

/** Schedules the next round if moves remain; names the phase for what is still pending, stable if nothing. */
function settle(d: Draft): void {
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

function emptyStats(): CalculatorStats {
  return {
    published: 0,
    acked: 0,
    publishRetries: 0,
    movedTotal: 0,
    lastMoved: 0,
    movesDeferred: 0,
    emergencies: 0,
    transientFailures: 0,
    massFailures: 0,
    noCapacity: 0,
    unchanged: 0,
    computeOffloaded: 0,
    computeDiscarded: 0,
    computeFailures: 0,
    staleTimers: 0,
    staleAcks: 0,
    ignoredAfterStop: 0,
    refused: {},
    lastRefusal: undefined,
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** A copy-on-write working copy of the state for one step, collecting effects in order. */
class Draft {
  readonly s: Mutable<CalculatorState>
  readonly stats: CalculatorStats
  readonly effects: CalculatorEffect[] = []

  constructor(
    state: CalculatorState,
    readonly now: number,
  ) {
    this.stats = { ...state.stats, refused: { ...state.stats.refused } }
    this.s = { ...state, stats: this.stats }
  }

  setLive(live: WorkerSpec[]): void {
    this.s.live = live
    this.s.generation++
  }

  isArmed(key: TimerKey): boolean {
    return this.s.timers.some((t) => t.key === key)
  }

  arm(key: TimerKey, ms: number): void {
    this.s.timers = [...this.s.timers.filter((t) => t.key !== key), { key, dueAt: this.now + ms }]
    this.effects.push({ type: 'set-timer', key, ms })
  }

  cancel(key: TimerKey): void {
    if (!this.isArmed(key)) return
    this.s.timers = this.s.timers.filter((t) => t.key !== key)
    this.effects.push({ type: 'cancel-timer', key })
  }

  refuse(errOrCode: unknown, message?: string): void {
    const wire: WireError = typeof errOrCode === 'string' ? { code: errOrCode, message: message ?? errOrCode } : toWireError(errOrCode)
    this.stats.refused[wire.code] = (this.stats.refused[wire.code] ?? 0) + 1
    this.stats.lastRefusal = { code: wire.code, message: wire.message }
  }

  done(): CalculatorStep {
    return { state: this.s, effects: this.effects }
  }
}
