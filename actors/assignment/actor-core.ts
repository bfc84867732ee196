/**
 * The assignment actor's core, pure: a message in, the next state and the effects out (the seam
 * pattern: the machine's context IS this state, its actions run the effects). No clock reads: the
 * machine passes `now` from the actor clock. Every refusal is counted; nothing here throws.
 */
import type { ElectionChangedMsg } from '../election/protocol.ts'
import { gossamerIndex, onMemberEvent } from './actor-members.ts'
import { ActorStep } from './actor-step.ts'
import { emptyBucketMap } from './bucket-map.ts'
import type { AssignmentActorState, AssignmentEffect, GroupState } from './actor-state.ts'
import { beginLeading, onEncoded, onRegistration, onWithdrawal, startCalc, stepCalc, stopLeading, liveWorkers } from './actor-leader.ts'
import { announce, announceDue, myView, offerBytes, withdraw } from './actor-worker.ts'
import { decodeAssignment } from './assignment-codec.ts'
import { createAssignmentConfig } from './config.ts'
import { decodeGroupMessage, type Registration } from './group-message.ts'
import type { AssignmentInbound, AssignmentRegisterMsg } from './protocol.ts'
import { createTermGuard, observeTerm } from './term-guard.ts'
import { checkWorker } from './worker-spec.ts'

/** The actor's messages, and the runtime's word that the context was restored after a crash. */
export type AssignmentCoreInput = AssignmentInbound | { type: 'runtime.restored' } | { type: 'runtime.shutdown' }

export function stepAssignmentActor(state: AssignmentActorState, input: AssignmentCoreInput, now: number): { state: AssignmentActorState; effects: AssignmentEffect[] } {
  const st = new ActorStep(state, now)
  switch (input.type) {
    case 'assignment.register':
      register(st, input)
      break
    case 'assignment.unregister': {
      const g = st.group(input.group)
      if (g !== undefined) {
        st.stats.unregisters++
        stopLeading(st, g)
        withdraw(st, g)
        st.fx.push({ type: 'election', op: 'resign', group: g.group })
        st.fx.push({ type: 'cancel-timer', group: g.group, key: 'announce' })
        st.dropGroup(g.group)
      }
      st.fx.push({ type: 'reply', to: input.replyTo, msg: { type: 'assignment.result', group: input.group, ok: g !== undefined, ...(g === undefined ? { error: { code: 'ERR_ASSIGNMENT_UNKNOWN_GROUP', message: `not registered in group ${input.group}` } } : {}) } })
      break
    }
    case 'assignment.view':
      replyView(st, st.group(input.group), input.replyTo, input.group)
      break
    case 'assignment.timer': {
      if (input.key === 'announce') {
        const g = st.group(input.group)
        if (g !== undefined) announceDue(st, g)
        break
      }
      // A timer of a leadership that ended was cancelled with it; one that raced the cancel finds no calculator.
      stepCalc(st, input.group, { type: 'timer-fired', key: input.key, now })
      break
    }
    case 'assignment.computed': {
      const stepped =
        input.round !== undefined
          ? stepCalc(st, input.group, { type: 'round-computed', requestId: input.requestId, result: input.round, now })
          : input.assignment !== undefined
          ? stepCalc(st, input.group, { type: 'computed', requestId: input.requestId, assignment: input.assignment, now })
          : stepCalc(st, input.group, { type: 'compute-failed', requestId: input.requestId, error: input.error ?? { code: 'ERR_COMPUTE_FAILED', message: 'no result' }, now })
      if (!stepped) st.stats.staleComputations++
      break
    }
    case 'assignment.store-opened':
      st.s.store = input.error === undefined ? 'running' : 'failed'
      st.s.storeError = input.error ?? null
      if (input.error !== undefined) st.storeFailed(input.error)
      break
    case 'assignment.store-entry':
      storeEntry(st, input)
      break
    case 'assignment.store-read':
      storeRead(st, input)
      break
    case 'assignment.store-done': {
      const g = st.group(input.group)
      if (input.error === undefined) {
        stepCalc(st, input.group, { type: 'published', version: input.version, now })
        break
      }
      st.storeFailed(input.error)
      if (g?.lead !== undefined && input.newerTerm !== undefined && input.newerTerm > g.lead.term) {
        // The store holds a newer leader's assignment: this term is over for the calculator.
        st.stats.fenced++
        stopLeading(st, g)
      } else stepCalc(st, input.group, { type: 'publish-failed', version: input.version, error: input.error, now })
      break
    }
    case 'assignment.encoded':
      onEncoded(st, input.group, input.version, input.term, input.bytes, input.error)
      break
    case 'assignment.store-failed':
      st.storeFailed(input.error)
      break
    case 'election.changed':
      electionChanged(st, input)
      break
    case 'runtime.restored':
      restored(st)
      break
    case 'runtime.shutdown':
      // The node stops (after a graceful leave, or not): no more publications, and every group
      // loses this worker now rather than at its failure (nats: its key is deleted).
      for (const name of Object.keys(st.s.groups)) {
        const g = stopLeading(st, st.group(name)!)
        withdraw(st, g)
        st.fx.push({ type: 'cancel-timer', group: name, key: 'announce' })
      }
      break
    case 'assignment.store-withdrawn':
      break
    case 'assignment.leader-view':
      if (input.error !== undefined) {
        st.stats.viewFailures++
        st.refuse(input.error)
        break
      }
      electionChanged(st, { type: 'election.changed', change: { group: input.group, leader: input.leader, term: input.term as ElectionChangedMsg['change']['term'], isSelf: input.isSelf, reason: 'observed', at: now } })
      break
    case 'member.event':
      onMemberEvent(st, input)
      break
    case 'gossamer.message':
      gossamerMessage(st, input.body)
      break
    default:
      st.refuse('ERR_ASSIGNMENT_UNKNOWN_INPUT', `unknown input ${String((input as { type?: unknown }).type)}`)
  }
  return st.done()
}

function register(st: ActorStep, m: AssignmentRegisterMsg): void {
  const fail = (err: unknown) => st.fx.push({ type: 'reply', to: m.replyTo, msg: { type: 'assignment.result', group: m.group, ok: false, error: st.refuse(err) } })
  let local: Registration
  try {
    // The calculator's own validation: the field named (assignment.partitions, assignment.strategy).
    const config = createAssignmentConfig({ ...st.s.config.calculator, partitions: m.partitions, ...(m.strategy === undefined ? {} : { strategy: m.strategy }) })
    const weight = m.weight ?? 1
    checkWorker({ id: st.s.self, weight })
    local = { partitions: config.partitions, strategy: config.strategy, weight }
  } catch (err) {
    fail(err)
    return
  }
  const old = st.group(m.group)
  if (old === undefined && Object.keys(st.s.groups).length >= st.s.config.maxGroups) {
    fail({ code: 'ERR_ASSIGNMENT_TOO_MANY_GROUPS', message: `this node takes part in ${st.s.config.maxGroups} groups already` })
    return
  }
  st.stats.registers++
  const g: GroupState = old === undefined
    ? { group: m.group, local, leader: null, guard: createTermGuard(), accepted: undefined, acceptedFrom: '', registrations: emptyBucketMap(), lead: undefined }
    : { ...old, local }
  st.setGroup(g)
  if (old === undefined) st.fx.push({ type: 'election', op: 'campaign', group: m.group })
  announce(st, g)
  // A leader's own weight change counts at once.
  if (old?.lead?.calc !== undefined) stepCalc(st, m.group, { type: 'worker-joined', worker: { id: st.s.self, weight: local.weight }, now: st.now })
  st.fx.push({ type: 'reply', to: m.replyTo, msg: { type: 'assignment.result', group: m.group, ok: true } })
}

function replyView(st: ActorStep, g: GroupState | undefined, to: Extract<AssignmentEffect, { type: 'reply' }>['to'], group: string): void {
  const calc = g?.lead?.calc
  st.fx.push({
    type: 'reply',
    to,
    msg: {
      type: 'assignment.view-reply',
      group,
      registered: g !== undefined,
      leader: g?.leader?.name ?? null,
      term: g?.leader?.term ?? 0,
      leading: g?.lead === undefined ? null : (calc?.phase ?? 'reading'),
      mine: g === undefined ? null : myView(st.s.self, g),
      liveWorkers: g?.lead === undefined ? 0 : liveWorkers(st, g).length,
      refused: g?.guard.refused ?? createTermGuard().refused,
      lastRefusal: g?.guard.lastRefusal ?? null,
      calculator: calc?.stats ?? null,
    },
  })
}

function electionChanged(st: ActorStep, m: ElectionChangedMsg): void {
  st.stats.electionChanges++
  const c = m.change
  let g = st.group(c.group)
  if (g === undefined) return // a group this node does not take part in
  const leader = c.leader === null ? null : { name: c.leader, term: c.term }
  const newLeader = leader?.name !== g.leader?.name || leader?.term !== g.leader?.term
  g = { ...g, leader, guard: c.term > 0 ? observeTerm(g.guard, c.term) : g.guard }
  st.setGroup(g)
  if (c.isSelf) {
    if (g.lead !== undefined && g.lead.term === c.term) return
    if (g.lead !== undefined) g = stopLeading(st, g)
    beginLeading(st, g, c.term)
    return
  }
  if (g.lead !== undefined) g = stopLeading(st, g)
  // membership: the new leader hears of this worker; nats: the key is written again (a failed write heals).
  if (newLeader) announce(st, g)
}

/**
 * Restored from the persisted snapshot after a crash: the groups, their registrations, term guards
 * and accepted assignments, and the member table are back. A leadership is not resumed from the
 * snapshot (its timers, computations and publications in flight died with the crash, and the
 * snapshot may be older than its last turn): it is dropped, and each group's leader is asked of the
 * election, which answers as a change would (a node that still leads starts its calculator again
 * from the last assignment, in the same term). Each worker tells its leader about itself again.
 */
function restored(st: ActorStep): void {
  st.stats.restores++
  // A record persisted before the Gossamer index existed: rebuilt from the member table.
  st.s.gossamerMembers ??= gossamerIndex(st.s.members)
  for (const name of Object.keys(st.s.groups)) {
    const g = { ...st.group(name)!, lead: undefined }
    st.setGroup(g)
    announce(st, g)
    st.fx.push({ type: 'ask-view', group: name })
  }
}

/**
 * A message of the assignment channel. Its sender is the name in the body: swim's `from` is the
 * TCP peer's "ip:port" for a reliable message (an ephemeral port, not the member's address).
 */
function gossamerMessage(st: ActorStep, body: Uint8Array): void {
  let msg
  try {
    msg = decodeGroupMessage(body, (st.s.config.guard.maxBytes ?? 4 * 1024 * 1024) + 512)
  } catch (err) {
    st.refuse(err)
    return
  }
  const g = st.group(msg.group)
  if (g === undefined) {
    st.refuse('ERR_ASSIGNMENT_UNKNOWN_GROUP', `a ${msg.kind} message for group ${msg.group}, which this node does not take part in`)
    return
  }
  if (msg.kind === 'assignment') offerBytes(st, g, msg.bytes, msg.sender)
  else if (msg.kind === 'register') onRegistration(st, g, msg.sender, msg.registration)
  else onWithdrawal(st, g, msg.sender)
}

function storeEntry(st: ActorStep, m: Extract<AssignmentCoreInput, { type: 'assignment.store-entry' }>): void {
  const g = st.group(m.group)
  if (g === undefined) return // a group this node does not take part in
  if (m.kind === 'assignment') {
    if (m.bytes !== null) offerBytes(st, g, m.bytes, g.leader?.name ?? '')
    return
  }
  const node = m.node ?? ''
  if (node === st.s.self) return
  if (m.bytes === null) {
    onWithdrawal(st, g, node)
    return
  }
  let msg
  try {
    msg = decodeGroupMessage(m.bytes, 1024)
  } catch (err) {
    st.refuse(err)
    return
  }
  if (msg.kind !== 'register' || msg.group !== m.group || msg.sender !== node) {
    st.refuse('ERR_ASSIGNMENT_MESSAGE_CORRUPT', `the worker key of ${node} in group ${m.group} holds no registration for it`)
    return
  }
  onRegistration(st, g, node, msg.registration)
}

function storeRead(st: ActorStep, m: Extract<AssignmentCoreInput, { type: 'assignment.store-read' }>): void {
  const g = st.group(m.group)
  if (g?.lead === undefined || g.lead.term !== m.term || g.lead.calc !== undefined) {
    st.stats.staleComputations++
    return
  }
  if (m.error !== undefined) st.storeFailed(m.error)
  let last = g.accepted
  if (m.bytes !== null) {
    try {
      const stored = decodeAssignment(m.bytes, { maxBytes: st.s.config.guard.maxBytes ?? 4 * 1024 * 1024 })
      if (last === undefined || stored.version > last.version) last = stored
    } catch (err) {
      st.refuse(err) // a corrupt stored assignment: start from what this worker accepted, or cold
    }
  }
  startCalc(st, g, m.term, last)
}
