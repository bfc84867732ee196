/**
 * A crash of the assignment actor (a planted throw in its turn; the supervisor restarts it from its
 * persisted snapshot): the worker keeps its groups and its open subscriptions get the next
 * assignment; a leader that crashes leads again after the election's view and continues the version
 * line of its term. Inline, simulated clock, membership backend through a fake swim, and a fake
 * election that answers `election.view` from a table the test sets.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { setup } from 'xstate'
import { ActorSystem, SimulatedClock, defineActor, type SystemEvent } from '../../../src/runtime/index.ts'
import type { ActorEnv } from '../../../src/types/actor-env.ts'
import { assignment } from '../../../actors/assignment/definition.ts'
import { createAssignmentMachine } from '../../../actors/assignment/machine.ts'
import type { AssignmentChangedMsg } from '../../../actors/assignment/protocol.ts'
import type { ElectionViewMsg } from '../../../actors/election/protocol.ts'
import { fakeNet, fakeSwim, leaderChange, member, memberEvent } from './actor-support.ts'

const TIMING = { coldStartWindowMs: 1_000, plannedScaleWindowMs: 1_000, restartWindowMs: 1_000, emergencyGraceMs: 500, minRebalanceIntervalMs: 0, maxMovesFraction: 1 }
const P = 12

/** The real machine; an `assignment.view` ask while `crash.next` names this node throws in its turn. */
const crash = { next: '' }
const crashable = defineActor({
  name: 'assignment',
  machine: (env: ActorEnv) =>
    createAssignmentMachine({
      ...env,
      reply: (to, msg) => {
        if (crash.next !== '' && env.id === `assignment-${crash.next}`) {
          crash.next = ''
          throw new Error('assignment crashed on purpose (test hook)')
        }
        env.reply(to, msg)
      },
    }),
  ...(assignment.persist === undefined ? {} : { persist: assignment.persist }),
})

/** Leader views per node and group, as the election would answer them. */
const views: Record<string, { leader: string | null; term: number; isSelf: boolean }> = {}
const viewingElection = defineActor({
  name: 'fake-election',
  machine: (env: ActorEnv) =>
    setup({ types: {} as { context: { node: string }; events: ElectionViewMsg | { type: 'election.campaign' | 'election.resign'; group: string }; input: { node: string } } }).createMachine({
      context: ({ input }) => ({ node: input.node }),
      on: {
        'election.campaign': {},
        'election.resign': {},
        'election.view': {
          actions: ({ context, event }) => {
            const v = views[`${context.node}/${event.group}`] ?? { leader: null, term: 0, isSelf: false }
            env.reply(event.replyTo!, { type: 'election.view-reply', view: { group: event.group, leader: v.leader, term: v.term as never, isSelf: v.isSelf }, status: 'running' })
          },
        },
      },
    }),
})

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

async function cluster(names: string[]) {
  const clock = new SimulatedClock()
  system = await ActorSystem.start({ logLevel: 'silent', clock })
  const events: SystemEvent[] = []
  system.on((e) => events.push(e))
  const net = fakeNet()
  const swimDef = fakeSwim(net)
  const refs: Record<string, Awaited<ReturnType<ActorSystem['spawn']>>> = {}
  const changes: Record<string, AssignmentChangedMsg[]> = {}
  for (const n of names) {
    await system.spawn(swimDef, { id: `swim-${n}`, placement: 'inline', input: { node: n } })
    await system.spawn(viewingElection, { id: `election-${n}`, placement: 'inline', input: { node: n } })
    const ref = await system.spawn(crashable, { id: `assignment-${n}`, placement: 'inline', input: { self: n, calculator: TIMING, peers: { swim: `swim-${n}`, election: `election-${n}` } } })
    refs[n] = ref
    changes[n] = []
    ref.on('assignment.changed', (e) => changes[n]!.push(e as AssignmentChangedMsg))
    ref.send(memberEvent('member-join', ...names.filter((m) => m !== n).map((m) => member(m))))
  }
  const as = (n: string) => refs[n] as unknown as Awaited<ReturnType<typeof spawnTyped>>
  const crashNow = async (n: string) => {
    crash.next = n
    await as(n).ask({ type: 'assignment.view', group: 'jobs' }, { timeoutMs: 50 }).catch(() => undefined)
    await clock.advance(100)
    expect(events.some((e) => e.type === 'actor.started' && e.actor === `assignment-${n}` && e.restarts >= 1 && e.restored)).toBe(true)
  }
  return { clock, as, changes, crashNow }
}
const spawnTyped = (s: ActorSystem) => s.spawn(assignment, { id: 'x', placement: 'inline', input: { self: 'x' } })

describe('assignment actor: crash and restore', () => {
  it('a crashed worker keeps its group; its open subscription gets the next assignment; a crashed leader leads again and continues its version line', async () => {
    const { clock, as, changes, crashNow } = await cluster(['a', 'b', 'c'])
    for (const n of ['a', 'b']) await as(n).ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    for (const n of ['a', 'b', 'c']) views[`${n}/jobs`] = { leader: 'a', term: 7, isSelf: n === 'a' }
    for (const n of ['a', 'b']) as(n).send(leaderChange('jobs', 'a', 7, n === 'a'))
    await clock.advance(1_000)
    expect(changes['b']!.at(-1)?.assignment).toMatchObject({ version: 1, term: 7, workers: 2 })

    // The worker b crashes: restored, it still takes part in the group.
    await crashNow('b')
    expect(await as('b').ask({ type: 'assignment.view', group: 'jobs' })).toMatchObject({ registered: true, leader: 'a', term: 7, mine: { version: 1 } })
    // c registers: the planned-scale rebalance reaches b's subscription, which outlived the crash.
    await as('c').ask({ type: 'assignment.register', group: 'jobs', partitions: P })
    as('c').send(leaderChange('jobs', 'a', 7, false))
    await clock.advance(2_000)
    expect(changes['b']!.at(-1)?.assignment).toMatchObject({ version: 2, term: 7, workers: 3 })

    // The leader a crashes: the election still names it; it leads again from its accepted assignment.
    await crashNow('a')
    await clock.advance(1_000)
    const view = await as('a').ask({ type: 'assignment.view', group: 'jobs' })
    expect(view).toMatchObject({ registered: true, leader: 'a', term: 7, leading: 'stable' })
    expect((await as('a').getSnapshot()).context.stats.restores).toBe(1)
    // c leaves: the next assignment is version 3 of term 7 (not a version 1 the workers would refuse).
    for (const n of ['a', 'b']) as(n).send(memberEvent('member-leave', member('c')))
    await clock.advance(2_000)
    for (const n of ['a', 'b']) expect(changes[n]!.at(-1)?.assignment).toMatchObject({ version: 3, term: 7, workers: 2 })
  })
})
