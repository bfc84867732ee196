/**
 * The assignment actor's core with a round on the compute pool (no runtime: the pure core stepped
 * by hand): a large rebalance leaves the actor's turns O(1): the pool gets the whole round (with
 * this node's id, so it lists this node's partitions), and its answer is published as it came:
 * no second trip to the pool to encode, no listing of the partitions in the actor's turn.
 */
import { describe, expect, it } from 'vitest'
import { stepAssignmentActor } from '../../../actors/assignment/actor-core.ts'
import { DEFAULT_ASSIGNMENT_ACTOR_CONFIG, initialAssignmentActor, type AssignmentActorState, type AssignmentEffect } from '../../../actors/assignment/actor-state.ts'
import { computeRoundTask } from '../../../actors/assignment/compute-task.ts'
import { attachWorkers } from '../../../actors/assignment/rebalance.ts'
import { partitionsOf } from '../../../actors/assignment/assignment.ts'
import { decodeAssignment } from '../../../actors/assignment/assignment-codec.ts'
import { leaderChange, member, memberEvent } from './actor-support.ts'

const P = 30_000

function leader(): { state: AssignmentActorState; effects: AssignmentEffect[] } {
  let state = initialAssignmentActor({
    self: 'a',
    backend: 'membership',
    eventsPeer: null,
    config: { calculator: { coldStartWindowMs: 0, plannedScaleWindowMs: 0, restartWindowMs: 0, inlineWorkLimit: 0 }, guard: DEFAULT_ASSIGNMENT_ACTOR_CONFIG.guard, maxGroups: 4, maxMembers: 100 },
  })
  const step = (msg: Parameters<typeof stepAssignmentActor>[1]) => {
    const out = stepAssignmentActor(state, msg, 0)
    state = out.state
    return out.effects
  }
  step(memberEvent('member-join', member('b'), member('c')))
  step({ type: 'assignment.register', group: 'g', partitions: P })
  step(leaderChange('g', 'a', 3, true))
  const effects = step({ type: 'assignment.timer', group: 'g', key: 'window' })
  return { state, effects }
}

describe('assignment actor core: a round computed whole on the pool', () => {
  it('sends the pool the whole round with this node as its self, and publishes the answer as it came', () => {
    const { state, effects } = leader()
    const compute = effects.find((e): e is Extract<AssignmentEffect, { type: 'compute' }> => e.type === 'compute')!
    expect(compute.request.round).toMatchObject({ self: 'a' })
    const round = attachWorkers(computeRoundTask(structuredClone(compute.request)), compute.request)
    expect(round.selfPartitions).toEqual(partitionsOf(round.assignment, 'a'))
    const out = stepAssignmentActor(state, { type: 'assignment.computed', group: 'g', requestId: compute.requestId, round: structuredClone(round) }, 0)
    const types = out.effects.map((e) => e.type)
    expect(types).not.toContain('encode')
    expect(types).not.toContain('compute')
    const emitted = out.effects.find((e): e is Extract<AssignmentEffect, { type: 'emit' }> => e.type === 'emit')!
    expect(emitted.msg.assignment).toMatchObject({ version: 1, term: 3, partitions: round.selfPartitions, totalPartitions: P })
    expect(out.state.stats.published).toBe(1)
  })

  it('refuses a pool answer whose encoding exceeds the byte limit (counted), as one it encoded itself', () => {
    const { state, effects } = leader()
    const compute = effects.find((e): e is Extract<AssignmentEffect, { type: 'compute' }> => e.type === 'compute')!
    const round = attachWorkers(computeRoundTask(structuredClone(compute.request)), compute.request)
    expect(decodeAssignment(round.encoded!).version).toBe(1)
    const small = { ...state, config: { ...state.config, guard: { ...state.config.guard, maxBytes: 1000 } } }
    const out = stepAssignmentActor(small, { type: 'assignment.computed', group: 'g', requestId: compute.requestId, round }, 0)
    expect(out.state.stats.refused['ERR_ASSIGNMENT_OVERSIZED']).toBe(1)
    expect(out.state.stats.published).toBe(0)
  })

  it('gets an answer without the workers it sent, and puts its own list back (the same array: nothing new to persist)', () => {
    const { effects } = leader()
    const compute = effects.find((e): e is Extract<AssignmentEffect, { type: 'compute' }> => e.type === 'compute')!
    const answer = computeRoundTask(structuredClone(compute.request))
    expect([answer.workersFromRequest, answer.target.workers, answer.assignment.workers]).toEqual([true, [], []])
    const round = attachWorkers(structuredClone(answer), compute.request)
    expect(round.assignment.workers).toBe(compute.request.input.workers)
    expect(round.target.workers).toBe(compute.request.input.workers)
    expect(round.workersFromRequest).toBeUndefined()
    expect(round.assignment.workers.map((w) => w.id)).toEqual(['a'])
  })

  it('keeps the workers in the answer when they are not the request\'s (a capped round continuing an older target)', () => {
    const { effects } = leader()
    const compute = effects.find((e): e is Extract<AssignmentEffect, { type: 'compute' }> => e.type === 'compute')!
    const first = attachWorkers(computeRoundTask(structuredClone(compute.request)), compute.request)
    // The same target continued over a live set that gained 'x': its table is not the request's.
    const request = { ...compute.request, input: { ...compute.request.input, workers: [...compute.request.input.workers, { id: 'x', weight: 1 }] }, round: { cap: 0, target: first.target } }
    const answer = computeRoundTask(structuredClone(request))
    expect(answer.workersFromRequest).toBeUndefined()
    expect(answer.target.workers.map((w) => w.id)).toEqual(['a'])
    expect(attachWorkers(answer, request)).toBe(answer)
  })
})
