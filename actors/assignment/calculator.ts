/**
 * actors/assignment: the leader's partition-assignment calculator (issue 14), pure pieces only.
 *
 * README. The calculator core below is pure; the assignment actor (protocol.ts, machine.ts,
 * actor-core.ts and its concept files, worker.ts, io/) hosts one per group this node leads, in
 * the machine's context: it feeds it inputs and performs the effects it returns (seam pattern).
 *
 * The core follows parti's calculator states (spec/coordination-anchors.md §1):
 * - cold-start: a leader with no published assignment waits coldStartWindowMs for the fleet, then
 *   assigns;
 * - restart: a leader that starts from the last published assignment (or sees more than
 *   restartRatio of its workers fail at once) waits restartWindowMs (coldStartWindowMs for a mass
 *   failure), then rebalances from it, moving only what the live set requires. A leader of a NEW
 *   term that starts from a previous term's assignment first publishes a takeover, at once (one
 *   computation): the last assignment under its own term, with the partitions of workers that are
 *   not alive moved as an emergency would move them and nothing else moved. Departure from parti
 *   (whose restart publishes nothing until its window ends): a leader that crashed took its
 *   liveness with it, so its failed workers' partitions would have nobody serving them for the
 *   whole window (10 s), and the workers would go on following the old term, which the takeover
 *   fences at once. The phase stays `restart` through it: the full rebalance still waits for the
 *   window, so workers that come back meanwhile get their partitions back only then;
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
import { timerFiring } from '../../src/types/armed-timers.ts'
import type { Assignment } from './assignment.ts'
import { Draft, emptyStats } from './calculator-draft.ts'
import { onFailed, onJoined, onLeft, confirmFailure } from './calculator-membership.ts'
import { afterBusy, onComputed, onRoundComputed, rebalance } from './calculator-rounds.ts'
import type { CalculatorInput, CalculatorPhase, CalculatorState, CalculatorStep, RebalanceReason, TimerKey } from './calculator-types.ts'
import type { AssignmentConfig } from './config.ts'
import { StaleTermError } from './errors.ts'
import { findWorker } from './live-workers.ts'
import { checkCounter, normalizeWorkers, type WorkerSpec } from './worker-spec.ts'

export interface CalculatorStart {
  config: AssignmentConfig
  /** This leader's term (the election's fencing token). */
  term: number
  now: number
  /** Workers known to be alive when leadership begins. */
  workers?: readonly WorkerSpec[]
  /** The newest assignment in the store: the calculator starts from it (phase restart). */
  lastPublished?: Assignment
  /**
   * Names the host knows as alive members now. A worker of `lastPublished` among them keeps its
   * partitions in the takeover publication even if it has not registered with this leader yet
   * (membership: workers tell a new leader about themselves only once they hear of it). Default:
   * only `workers` count.
   */
  alive?: readonly string[]
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
  // A new term over a previous term's assignment publishes at once (see the header); with no
  // restart window the full rebalance comes at once anyway.
  const takeover = last !== undefined && last.term < start.term && start.config.restartWindowMs > 0 ? takeoverWorkers(live, last, start.alive ?? []) : undefined
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
    takeover,
    lastRebalanceAt: undefined,
    timers: [],
    stats: emptyStats(),
  }
  const d = new Draft(state, start.now)
  d.arm('window', phase === 'cold-start' ? start.config.coldStartWindowMs : start.config.restartWindowMs)
  if (takeover !== undefined) rebalance(d, 'takeover')
  return d.done()
}

/** The live workers plus the last assignment's workers that are alive members (at their last weight). */
function takeoverWorkers(live: readonly WorkerSpec[], last: Assignment, alive: readonly string[]): WorkerSpec[] {
  const names = new Set(alive)
  const out = [...live]
  for (const w of last.workers) if (names.has(w.id) && findWorker(live, w.id) === undefined) out.push({ id: w.id, weight: w.weight })
  return normalizeWorkers(out, { requireCapacity: false })
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
    case 'round-computed':
      onRoundComputed(d, input.requestId, input.result)
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

function onTimer(d: Draft, key: TimerKey): void {
  const firing = timerFiring(d.s.timers, key, d.now)
  if (firing.kind === 'stale') {
    d.stats.staleTimers++
    return
  }
  if (firing.kind === 'early') {
    // A window whose timer is lost never closes: wait out the rest.
    d.stats.earlyTimers++
    d.arm(key, firing.remainingMs)
    return
  }
  d.s.timers = firing.timers
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

