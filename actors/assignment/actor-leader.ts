/**
 * The leader side of the assignment actor's core: hosts one calculator (calculator.ts) per group
 * this node leads, in the actor's context. Leadership is a value here, not a thread (lessons/003):
 * it begins with the election's `isSelf` for a term and ends with the first change that is not,
 * and a calculator that ended is never stepped again. A new leader starts from the last published
 * assignment (phase restart): the store's (nats), or the newest its own worker accepted
 * (membership: every candidate is a worker of the group, so it holds the last one it was sent).
 *
 * The calculator's effects become the actor's: timers and computations keyed by group, and each
 * publication sent through the backend (the store; or a reliable message to every registered,
 * alive worker with the gossamer tag, which is acknowledged at once).
 */
import { encodeGossamerMessage } from '../../src/wire/gossamer-message.ts'
import type { WireError } from '../../src/errors/index.ts'
import type { ActorStep } from './actor-step.ts'
import type { GroupState } from './actor-state.ts'
import { bmDelete, bmForEach, bmHas, bmSet } from './bucket-map.ts'
import { offerOwn } from './actor-worker.ts'
import type { Assignment } from './assignment.ts'
import { encodeAssignment } from './assignment-codec.ts'
import { startCalculator, stepCalculator } from './calculator.ts'
import type { CalculatorEffect, CalculatorInput } from './calculator-types.ts'
import { createAssignmentConfig } from './config.ts'
import { StaleTermError } from './errors.ts'
import { encodeGroupMessage, type Registration } from './group-message.ts'
import { checkWorker, type WorkerSpec } from './worker-spec.ts'
import { findWorker } from './live-workers.ts'

/** Begins leading `g` for `term`: reads the store's last assignment first (nats), or starts now. */
export function beginLeading(st: ActorStep, g: GroupState, term: number): void {
  st.stats.leaderships++
  if (st.s.backend === 'nats') {
    st.setGroup({ ...g, lead: { term, calc: undefined } })
    st.fx.push({ type: 'store', op: 'read', group: g.group, term })
    return
  }
  startCalc(st, g, term, g.accepted)
}

/** Starts the calculator from `last` (restart) or from nothing (cold start). */
export function startCalc(st: ActorStep, g: GroupState, term: number, last: Assignment | undefined): void {
  const config = createAssignmentConfig({ ...st.s.config.calculator, partitions: g.local.partitions, strategy: g.local.strategy })
  let from = last
  if (from !== undefined && from.partitions !== config.partitions) {
    st.refuse('ERR_ASSIGNMENT_CONFIG_MISMATCH', `group ${g.group}: the last assignment has ${from.partitions} partitions, this leader ${config.partitions}: cold start`)
    from = undefined
  }
  try {
    // The last assignment's workers that are alive members keep their partitions in the takeover
    // (membership: they register with this leader only once they hear of it).
    const alive = from?.workers.filter((w) => st.isAlive(w.id)).map((w) => w.id) ?? []
    const { state, effects } = startCalculator({ config, term, now: st.now, workers: liveWorkers(st, g), alive, ...(from === undefined ? {} : { lastPublished: from }) })
    st.setGroup({ ...g, lead: { term, calc: state } })
    perform(st, g.group, effects)
  } catch (err) {
    // A newer leader has published already: this one must publish nothing.
    if (err instanceof StaleTermError) st.stats.fenced++
    st.refuse(err)
    st.setGroup({ ...g, lead: undefined })
  }
}

/** Ends the leadership of `g`: the calculator stops (its timers are cancelled) and is dropped. */
export function stopLeading(st: ActorStep, g: GroupState): GroupState {
  if (g.lead?.calc !== undefined) {
    const { effects } = stepCalculator(g.lead.calc, { type: 'stop', now: st.now })
    perform(st, g.group, effects)
  }
  const next = { ...st.group(g.group)!, lead: undefined }
  st.setGroup(next)
  return next
}

/** Steps the group's calculator (when this node leads it) and performs what follows. */
export function stepCalc(st: ActorStep, group: string, input: CalculatorInput): boolean {
  const g = st.group(group)
  const calc = g?.lead?.calc
  if (g === undefined || calc === undefined) return false
  const { state, effects } = stepCalculator(calc, input)
  st.setGroup({ ...g, lead: { term: g.lead!.term, calc: state } })
  perform(st, group, effects)
  return true
}

/** The registered workers the calculator counts: alive ones whose registration matches the leader's. */
export function liveWorkers(st: ActorStep, g: GroupState): WorkerSpec[] {
  // No copy of the registrations (1,000 and more; this runs once, cold, when a leadership starts).
  const out: WorkerSpec[] = [{ id: st.s.self, weight: g.local.weight }]
  bmForEach(g.registrations, (r, id) => {
    if (id !== st.s.self && st.isAlive(id) && matches(g.local, r)) out.push({ id, weight: r.weight })
  })
  return out
}

function matches(a: Registration, b: Registration): boolean {
  return a.partitions === b.partitions && a.strategy === b.strategy
}

/** A worker's registration (or a weight change) reached this node; it counts while this node leads. */
export function onRegistration(st: ActorStep, g: GroupState, node: string, r: Registration): void {
  if (!matches(g.local, r)) {
    st.refuse('ERR_ASSIGNMENT_CONFIG_MISMATCH', `group ${g.group}: ${node} registered ${r.partitions} partitions (${r.strategy}); this node has ${g.local.partitions} (${g.local.strategy})`)
    return
  }
  try {
    checkWorker({ id: node, weight: r.weight })
  } catch (err) {
    st.refuse(err)
    return
  }
  if (!bmHas(g.registrations, node) && g.registrations.size >= (st.s.config.calculator.maxWorkers ?? 10_000)) {
    st.refuse('ERR_ASSIGNMENT_TOO_MANY_WORKERS', `group ${g.group}: registration of ${node} past the worker bound`)
    return
  }
  st.setGroup({ ...g, registrations: bmSet(g.registrations, node, r) })
  if (!st.isAlive(node)) return
  stepCalc(st, g.group, { type: 'worker-joined', worker: { id: node, weight: r.weight }, now: st.now })
  // membership: the worker gets the assignment in force now, not at the next rebalance (only one
  // this leader published: a previous term's would be refused by a worker that knows this term).
  const lead = st.group(g.group)?.lead
  const current = lead?.calc?.current
  if (st.s.backend === 'membership' && current !== undefined && current.term === lead!.term && node !== st.s.self && st.isGossamer(node)) {
    sendTo(st, node, envelopeOf(g.group, st.s.self, encodeAssignment(current)))
  }
}

/** A worker withdrew (or its registration key was deleted): a planned leave. */
export function onWithdrawal(st: ActorStep, g: GroupState, node: string): void {
  if (!bmHas(g.registrations, node)) return
  st.setGroup({ ...g, registrations: bmDelete(g.registrations, node) })
  stepCalc(st, g.group, { type: 'worker-left', id: node, now: st.now })
}

function perform(st: ActorStep, group: string, effects: CalculatorEffect[]): void {
  for (const e of effects) {
    switch (e.type) {
      case 'set-timer':
        st.fx.push({ type: 'set-timer', group, key: e.key, ms: e.ms })
        break
      case 'cancel-timer':
        st.fx.push({ type: 'cancel-timer', group, key: e.key })
        break
      case 'compute':
        // A round on the pool lists this node's own partitions too (its worker accepts what it publishes).
        st.fx.push({ type: 'compute', group, requestId: e.requestId, request: e.request.round === undefined ? e.request : { ...e.request, round: { ...e.request.round, self: st.s.self } } })
        break
      case 'publish':
        publish(st, group, e.assignment, e.encoded, e.selfPartitions)
        break
    }
  }
}

/**
 * Assignments of at least this many partitions are encoded on the compute pool (200 KB at 100,000
 * partitions takes 1-3 ms here, more in a cold thread): the actor's turn stays short.
 */
export const ENCODE_OFFLOAD_PARTITIONS = 20_000

function publish(st: ActorStep, group: string, a: Assignment, encoded: Uint8Array | undefined, selfPartitions: number[] | undefined): void {
  if (encoded !== undefined) {
    // Encoded on the pool with the round (rebalance.ts computeRound): only its size is checked here.
    onEncoded(st, group, a.version, a.term, encoded, undefined, selfPartitions)
    return
  }
  if (a.partitions >= ENCODE_OFFLOAD_PARTITIONS) {
    st.fx.push({ type: 'encode', group, assignment: a })
    return
  }
  let bytes: Uint8Array
  try {
    bytes = encodeAssignment(a, { maxBytes: st.s.config.guard.maxBytes ?? 4 * 1024 * 1024 })
  } catch (err) {
    stepCalc(st, group, { type: 'publish-failed', version: a.version, error: st.refuse(err), now: st.now })
    return
  }
  deliver(st, group, a, bytes)
}

/** The pool's encoding of a publication came back: delivered if this leadership still wants it. */
export function onEncoded(st: ActorStep, group: string, version: number, term: number, bytes: Uint8Array | undefined, error: WireError | undefined, selfPartitions?: number[]): void {
  const current = st.group(group)?.lead?.calc?.current
  if (current === undefined || current.version !== version || current.term !== term) {
    st.stats.staleComputations++
    return
  }
  const limit = st.s.config.guard.maxBytes ?? 4 * 1024 * 1024
  let out = bytes
  if (out === undefined) {
    // No pool (or a broken one): encode here rather than never publish; the stall is the lesser harm.
    st.refuse(error ?? { code: 'ERR_COMPUTE_FAILED', message: 'no encoding came back' })
    try {
      out = encodeAssignment(current, { maxBytes: limit })
    } catch (err) {
      stepCalc(st, group, { type: 'publish-failed', version, error: st.refuse(err), now: st.now })
      return
    }
  }
  if (out.length > limit) {
    stepCalc(st, group, { type: 'publish-failed', version, error: st.refuse({ code: 'ERR_ASSIGNMENT_OVERSIZED', message: `the assignment encodes to ${out.length} bytes; the limit is ${limit}` }), now: st.now })
    return
  }
  deliver(st, group, current, out, selfPartitions)
}

function deliver(st: ActorStep, group: string, a: Assignment, bytes: Uint8Array, selfPartitions?: number[]): void {
  st.stats.published++
  if (st.s.backend === 'nats') {
    st.fx.push({ type: 'store', op: 'publish', group, version: a.version, term: a.term, bytes })
    return
  }
  const g = st.group(group)!
  // One envelope for every member (encoded once: an assignment of 100,000 partitions is 200 KB).
  const envelope = envelopeOf(group, st.s.self, bytes)
  // To every Gossamer member registered with this leader, and to the assignment's own workers:
  // after a takeover they own partitions before they have heard of this leader (they register once
  // its first renewal reaches them, up to a third of a lease later), and the takeover is what tells
  // them the new term. Walked from the Gossamer members (G), not the registrations and workers (W):
  // this turn runs once a round, cold, and W is 1,000 and more.
  bmForEach(st.s.gossamerMembers, (_t, node) => {
    if (node !== st.s.self && (bmHas(g.registrations, node) || findWorker(a.workers, node) !== undefined)) sendTo(st, node, envelope)
  })
  offerOwn(st, g, a, selfPartitions)
  // Sent reliably over TCP by swim; a worker that misses it gets the one in force when it registers again.
  stepCalc(st, group, { type: 'published', version: a.version, now: st.now })
}

function envelopeOf(group: string, sender: string, assignmentBytes: Uint8Array): Uint8Array {
  return encodeGossamerMessage('assignment', encodeGroupMessage({ kind: 'assignment', group, sender, bytes: assignmentBytes }))
}

function sendTo(st: ActorStep, node: string, envelope: Uint8Array): void {
  st.stats.sends++
  st.fx.push({ type: 'send-gossamer', to: node, bytes: envelope })
}
