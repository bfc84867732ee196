/**
 * The election actor with the `membership` backend, pure: the actor core (actor-core.ts: requests,
 * views, replies, counters) and the membership core (membership-core.ts: the leases) composed into
 * one step. The actor core's `backend` and `follow` effects become membership inputs; the
 * membership core's `change` and `done` effects go back into the actor core (as the nats backend's
 * `election.change-in` and `election.done` messages do), until nothing is left. What comes out is
 * for the machine to carry out: replies and emitted changes, sends, timers, and whether a promise
 * must be persisted before this step's sends leave.
 */
import { stepElectionActor, type ElectionActorEffect, type ElectionActorState } from './actor-core.ts'
import { stepMembership, type MembershipEffect, type MembershipInput, type MembershipState } from './membership-core.ts'
import type { ElectionInbound } from './protocol.ts'

export type MembershipHostEffect = Extract<ElectionActorEffect, { type: 'reply' | 'emit' }> | Exclude<MembershipEffect, { type: 'change' | 'done' }>

export interface MembershipHostStep {
  actor: ElectionActorState
  membership: MembershipState
  effects: MembershipHostEffect[]
}

type Work = { to: 'actor'; input: ElectionInbound } | { to: 'membership'; input: MembershipInput }

export function stepMembershipHost(actor: ElectionActorState, membership: MembershipState, first: Work, now: number): MembershipHostStep {
  const effects: MembershipHostEffect[] = []
  const queue: Work[] = [first]
  // Each change or reply is handled once; the queue ends because neither core answers the other's
  // outputs with more inputs of the kind that produced them (done/change produce only replies/emits).
  while (queue.length > 0) {
    const w = queue.shift()!
    if (w.to === 'actor') {
      const r = stepElectionActor(actor, w.input)
      actor = r.state
      for (const e of r.effects) {
        if (e.type === 'reply' || e.type === 'emit') effects.push(e)
        else if (e.type === 'follow') queue.push({ to: 'membership', input: { type: 'follow', group: e.group, now } })
        else queue.push({ to: 'membership', input: { type: 'op', op: e.op, group: e.group, ...(e.term === undefined ? {} : { term: e.term }), replyTo: e.replyTo, now } })
      }
    } else {
      const r = stepMembership(membership, w.input)
      membership = r.state
      for (const e of r.effects) {
        if (e.type === 'change') queue.push({ to: 'actor', input: { type: 'election.change-in', change: e.change } })
        else if (e.type === 'done') {
          queue.push({
            to: 'actor',
            input: { type: 'election.done', op: e.op, group: e.group, replyTo: e.replyTo, ...(e.term === undefined ? {} : { term: e.term }), ...(e.error === undefined ? {} : { error: e.error }) },
          })
        } else effects.push(e)
      }
    }
  }
  return { actor, membership, effects }
}
