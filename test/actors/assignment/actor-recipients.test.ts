/**
 * Who a leader's publication goes to (membership backend), from the core stepped by hand: every
 * Gossamer member (GOSSAMER_TAG) that registered with this leader or is a worker of the assignment,
 * never a plain member (a real serf agent) nor this node itself. The recipients come from the
 * actor's index of Gossamer members, which follows member joins, updates (a tag dropped or added)
 * and departures.
 */
import { describe, expect, it } from 'vitest'
import { stepAssignmentActor } from '../../../actors/assignment/actor-core.ts'
import { DEFAULT_ASSIGNMENT_ACTOR_CONFIG, initialAssignmentActor, type AssignmentActorState, type AssignmentEffect } from '../../../actors/assignment/actor-state.ts'
import { encodeGroupMessage } from '../../../actors/assignment/group-message.ts'
import { bmKeys } from '../../../actors/assignment/bucket-map.ts'
import type { AssignmentInbound } from '../../../actors/assignment/protocol.ts'
import { leaderChange, member, memberEvent } from './actor-support.ts'

const register = (from: string): AssignmentInbound => ({
  type: 'gossamer.message',
  from,
  channel: 'assignment',
  body: encodeGroupMessage({ kind: 'register', group: 'g', sender: from, registration: { partitions: 64, strategy: 'consistent-hash', weight: 1 } }),
})

function node() {
  let state: AssignmentActorState = initialAssignmentActor({
    self: 'a',
    backend: 'membership',
    eventsPeer: null,
    config: { calculator: { coldStartWindowMs: 0, plannedScaleWindowMs: 0, restartWindowMs: 0, minRebalanceIntervalMs: 0 }, guard: DEFAULT_ASSIGNMENT_ACTOR_CONFIG.guard, maxGroups: 4, maxMembers: 100 },
  })
  const step = (msg: Parameters<typeof stepAssignmentActor>[1]): AssignmentEffect[] => {
    const out = stepAssignmentActor(state, msg, 0)
    state = out.state
    return out.effects
  }
  const sentTo = (effects: AssignmentEffect[]) => effects.flatMap((e) => (e.type === 'send-gossamer' ? [e.to] : [])).sort()
  return { step, sentTo, state: () => state }
}

describe('assignment actor: the recipients of a publication', () => {
  it('are the registered Gossamer members, never a plain member or itself, and follow tag changes and departures', () => {
    const n = node()
    n.step(memberEvent('member-join', member('b'), member('c'), member('d', false), member('e')))
    expect(bmKeys(n.state().gossamerMembers).sort()).toEqual(['b', 'c', 'e'])
    n.step({ type: 'assignment.register', group: 'g', partitions: 64 })
    for (const w of ['b', 'c', 'd']) n.step(register(w))
    n.step(leaderChange('g', 'a', 1, true))
    // The cold start: published to b and c (registered, Gossamer); d is plain; e never registered.
    expect(n.sentTo(n.step({ type: 'assignment.timer', group: 'g', key: 'window' }))).toEqual(['b', 'c'])

    // c drops the tag (an update), e registers: the next publication goes to b and e only.
    n.step(memberEvent('member-update', member('c', false)))
    expect(bmKeys(n.state().gossamerMembers).sort()).toEqual(['b', 'e'])
    // e's registration is answered with the assignment in force (to e alone), and arms the
    // planned-scale window; when it ends, the new assignment goes to b and e, not to c.
    const registered = n.step(register('e'))
    expect(n.sentTo(registered)).toEqual(['e'])
    const timer = registered.find((e): e is Extract<AssignmentEffect, { type: 'set-timer' }> => e.type === 'set-timer')!
    expect(n.sentTo(n.step({ type: 'assignment.timer', group: 'g', key: timer.key }))).toEqual(['b', 'e'])

    // b leaves: out of the index, and out of the next publication.
    n.step(memberEvent('member-leave', member('b')))
    expect(bmKeys(n.state().gossamerMembers).sort()).toEqual(['e'])
  })
})
