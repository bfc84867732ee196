/**
 * How the calculator reacts to its workers: joins and weight changes, graceful leaves, and
 * failures with emergency hysteresis (a grace per failed worker; more than restartRatio of the
 * fleet failing at once is handled as a restart).
 */
import { AssignmentInputError } from './errors.ts'
import type { Draft } from './calculator-draft.ts'
import { rebalance } from './calculator-rounds.ts'
import { findWorker, removeWorker, upsertWorker } from './live-workers.ts'
import { checkWorker, type WorkerSpec } from './worker-spec.ts'

export function onJoined(d: Draft, worker: WorkerSpec): void {
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

export function onLeft(d: Draft, id: string): void {
  if (findWorker(d.s.live, id) === undefined) {
    d.refuse('ERR_ASSIGNMENT_UNKNOWN_WORKER', `worker ${id} left but is not tracked`)
    return
  }
  clearSuspect(d, id)
  d.setLive(removeWorker(d.s.live, id))
  plannedChange(d)
}

export function onFailed(d: Draft, id: string): void {
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

export function confirmFailure(d: Draft, id: string): void {
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
export function windowPending(d: Draft): boolean {
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

