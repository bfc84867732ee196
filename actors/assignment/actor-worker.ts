/**
 * The worker side of the assignment actor's core: every assignment this node receives passes the
 * group's term guard (older term, replayed version, implausibly future term, corrupt or oversized
 * bytes: a counted refusal), and each one accepted becomes the group's assignment in force and is
 * emitted with this node's partitions. Also how a worker tells the leader about itself.
 */
import { encodeGossamerMessage } from '../../src/wire/gossamer-message.ts'
import type { ActorStep } from './actor-step.ts'
import { ANNOUNCE_RETRY_MS, type GroupState } from './actor-state.ts'
import { partitionsOf, workerIndex, type Assignment } from './assignment.ts'
import { encodeGroupMessage } from './group-message.ts'
import type { MyAssignmentView } from './protocol.ts'
import { offerAssignment, offerEncoded } from './term-guard.ts'

/** Offers encoded assignment bytes (from a member or the store) to the group's guard. */
export function offerBytes(st: ActorStep, g: GroupState, bytes: Uint8Array, from: string): GroupState {
  const out = offerEncoded(g.guard, bytes, st.s.config.guard)
  const next = { ...g, guard: out.guard }
  if (out.assignment === undefined) {
    st.setGroup(next)
    return next
  }
  const after = accepted(st, next, out.assignment, from)
  // A leader's assignment that does not count this worker: the one in force sent in answer to its
  // registration (the next rebalance counts it), or the leader lost its registration (a restore
  // from a snapshot seconds old, a lost message). The announce timer decides: told again in
  // ANNOUNCE_RETRY_MS unless an assignment of the term counts it by then (announceDue).
  if (workerIndex(out.assignment, st.s.self) < 0 && after.leader !== null && after.leader.name !== st.s.self) {
    st.fx.push({ type: 'set-timer', group: g.group, key: 'announce', ms: ANNOUNCE_RETRY_MS })
  }
  return after
}

/** Offers an assignment this node published itself (its own worker, membership backend). */
export function offerOwn(st: ActorStep, g: GroupState, a: Assignment, mine?: number[]): GroupState {
  const out = offerAssignment(g.guard, a, st.s.config.guard)
  const next = { ...g, guard: out.guard }
  if (!out.verdict.accepted) {
    st.setGroup(next)
    return next
  }
  return accepted(st, next, a, st.s.self, mine)
}

/** `mine`: this node's partitions when the pool listed them already (else listed here, O(P)). */
function accepted(st: ActorStep, g: GroupState, a: Assignment, from: string, mine?: number[]): GroupState {
  const next: GroupState = { ...g, accepted: a, acceptedFrom: from, acceptedMine: mine ?? partitionsOf(a, st.s.self) }
  st.setGroup(next)
  st.stats.accepted++
  st.fx.push({ type: 'emit', msg: { type: 'assignment.changed', assignment: myView(st.s.self, next)! } })
  return next
}

export function myView(self: string, g: GroupState): MyAssignmentView | null {
  const a = g.accepted
  if (a === undefined) return null
  return { group: g.group, version: a.version, term: a.term, leader: g.acceptedFrom, partitions: [...(g.acceptedMine ?? partitionsOf(a, self))], totalPartitions: a.partitions, workers: a.workers.length }
}

/**
 * Tells the group's leader about this worker. membership: a reliable message to the leader when
 * it is another member that runs coordination (it answers with the assignment in force); nats: the
 * worker's key in the store (the leader watches the bucket).
 */
export function announce(st: ActorStep, g: GroupState): void {
  const body = encodeGroupMessage({ kind: 'register', group: g.group, sender: st.s.self, registration: g.local })
  if (st.s.backend === 'nats') {
    st.fx.push({ type: 'store', op: 'register', group: g.group, bytes: body })
    st.fx.push({ type: 'set-timer', group: g.group, key: 'announce', ms: ANNOUNCE_RETRY_MS })
    return
  }
  const leader = g.leader?.name
  if (leader === undefined || leader === st.s.self) return
  if (!st.isGossamer(leader)) {
    st.refuse('ERR_ASSIGNMENT_LEADER_UNREACHABLE', `group ${g.group}: the leader ${leader} is not an alive member with the gossamer tag`)
    return
  }
  st.fx.push({ type: 'send-gossamer', to: leader, bytes: encodeGossamerMessage('assignment', body) })
  st.fx.push({ type: 'set-timer', group: g.group, key: 'announce', ms: ANNOUNCE_RETRY_MS })
}

/**
 * The announce timer: told again while no assignment of the leader's term that counts this worker
 * has come. A registration the leader saw before it knew the worker as an alive member is kept but
 * not counted (nats: the key is then written again, and the leader's watch sees it anew).
 */
export function announceDue(st: ActorStep, g: GroupState): void {
  const leader = g.leader
  if (leader === null || leader.name === st.s.self) return
  const counted = g.accepted !== undefined && g.accepted.term >= leader.term && g.accepted.workers.some((w) => w.id === st.s.self)
  if (counted) return
  st.stats.reannounced++
  announce(st, g)
}

/** Withdraws this worker: membership: tells the leader; nats: deletes its key. */
export function withdraw(st: ActorStep, g: GroupState): void {
  if (st.s.backend === 'nats') {
    st.fx.push({ type: 'store', op: 'unregister', group: g.group })
    return
  }
  const leader = g.leader?.name
  if (leader === undefined || leader === st.s.self || !st.isGossamer(leader)) return
  st.fx.push({ type: 'send-gossamer', to: leader, bytes: encodeGossamerMessage('assignment', encodeGroupMessage({ kind: 'unregister', group: g.group, sender: st.s.self })) })
}
