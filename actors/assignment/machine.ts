/**
 * The assignment machine: the actor core (actor-core.ts) behind messages. Its context IS the
 * core's state; every message is one step whose effects the machine runs: replies, emits (and the
 * events peer), tells to swim (`swim.send-gossamer`, reliable) and to the election
 * (`election.campaign` / `election.resign`), timers on the actor clock (a firing comes back as
 * `assignment.timer`), computations on the compute pool (`assignment.computed`), and the `nats`
 * store's operations through the provided `openStore` / `store` actions (io/provide-store.ts;
 * their outcomes come back as `assignment.store-*` messages). Without a provided store the `nats`
 * backend opens into `failed` with ERR_ASSIGNMENT_NO_STORE and every store operation fails with it.
 *
 * States: running; withdrawing (on `runtime.shutdown`: every group loses this worker, and the nats
 * key deletions are waited for, at most WITHDRAW_WAIT_MS); stopped (final). A restore from the
 * persisted snapshot (`runtime.restored`, definition.ts) clears the timers of the incarnation
 * before, opens the store again and follows every group anew (the election is asked who leads:
 * `election.view`, answered as `assignment.leader-view`). Peers and the store's init are in the
 * context: a restored machine never sees its input again.
 */
import { enqueueActions, setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { createHostTimers } from '../../src/types/host-timers.ts'
import { toWireError } from '../../src/errors/index.ts'
import type { SendGossamerMsg } from '../swim/protocol.ts'
import type { ElectionInbound, ElectionViewMsg } from '../election/protocol.ts'
import { stepAssignmentActor } from './actor-core.ts'
import { DEFAULT_ASSIGNMENT_ACTOR_CONFIG, initialAssignmentActor, type AssignmentActorState, type AssignmentEffect } from './actor-state.ts'
import { ASSIGNMENT_TASK, ENCODE_TASK, ROUND_TASK } from './compute-task.ts'
import { attachWorkers } from './rebalance.ts'
import type { AssignmentChangedMsg, AssignmentInbound, AssignmentInput } from './protocol.ts'

export type { AssignmentInput } from './protocol.ts'

export type AssignmentContext = AssignmentActorState
type AssignmentEvent = AssignmentInbound | RuntimeEvent
type StoreEffect = Extract<AssignmentEffect, { type: 'store' }>

/** The placement's implementations (provideAssignmentStore in io/provide-store.ts). */
export type OpenStoreAction = (args: { context: AssignmentActorState }, params: { input: AssignmentInput }) => void
export type StoreAction = (args: { context: AssignmentActorState }, params: { effect: StoreEffect }) => void

/** How long a stopping actor waits for the store to delete its registration keys (ms). */
export const WITHDRAW_WAIT_MS = 2_000

/** How long a restored actor waits for the election's view of a group (ms). */
const VIEW_ASK_TIMEOUT_MS = 10_000

/** The spawn input as a restored machine rebuilds it from its context (it never sees its input again). */
function inputOf(c: AssignmentActorState): AssignmentInput {
  return { self: c.self, backend: c.backend, ...(c.nats === null ? {} : { nats: { ...c.nats, servers: [...c.nats.servers] } }) }
}

export function createAssignmentMachine(env: ActorEnv) {
  const self = actorAddress<AssignmentInbound>(env.id)
  const timers = createHostTimers<string>(env.clock)
  let undelivered = 0
  /** Key deletions of the shutdown still unanswered (the `withdrawing` state waits for them). */
  let withdrawing = 0
  let input: AssignmentInput | undefined
  const tell = <M extends { type: string }>(to: string, msg: M): void => {
    const status = env.send(actorAddress<M>(to), msg)
    if (status === 'unknown' || status === 'stopped' || status === 'rejected' || status === 'displaced') undelivered++
  }
  const noStore: OpenStoreAction = ({ context }) => {
    if (context.backend !== 'nats') return
    queueMicrotask(() => void env.send(self, { type: 'assignment.store-opened', error: { code: 'ERR_ASSIGNMENT_NO_STORE', message: 'assignment: no store was provided (spawn with provideAssignmentStore)' } }))
  }
  const noStoreOp: StoreAction = ({ context }, { effect }) => {
    if (effect.op === 'publish') queueMicrotask(() => void env.send(self, { type: 'assignment.store-done', group: effect.group, version: effect.version, error: context.storeError ?? { code: 'ERR_ASSIGNMENT_NO_STORE', message: 'no store' } }))
    if (effect.op === 'read') queueMicrotask(() => void env.send(self, { type: 'assignment.store-read', group: effect.group, term: effect.term, bytes: null, error: { code: 'ERR_ASSIGNMENT_NO_STORE', message: 'no store' } }))
  }
  const timerId = (group: string, key: string) => `${group}\u0000${key}`

  const run = (effects: readonly AssignmentEffect[], state: AssignmentActorState, enqueue: { emit: (e: AssignmentChangedMsg) => void } & ((a: { type: 'store'; params: { effect: StoreEffect } }) => void)): void => {
    const { swim, election } = state.peers
    for (const e of effects) {
      switch (e.type) {
        case 'reply':
          env.reply(e.to as never, e.msg)
          break
        case 'emit':
          enqueue.emit(e.msg)
          if (state.eventsPeer !== null) tell(state.eventsPeer, e.msg)
          break
        case 'send-gossamer':
          tell<SendGossamerMsg>(swim, { type: 'swim.send-gossamer', to: e.to, bytes: e.bytes, reliable: true })
          break
        case 'election':
          tell<ElectionInbound>(election, e.op === 'campaign' ? { type: 'election.campaign', group: e.group } : { type: 'election.resign', group: e.group })
          break
        case 'store':
          enqueue({ type: 'store', params: { effect: e } })
          break
        case 'set-timer':
          timers.set(timerId(e.group, e.key), e.ms, () => tell(env.id, { type: 'assignment.timer', group: e.group, key: e.key }))
          break
        case 'cancel-timer':
          timers.cancel(timerId(e.group, e.key))
          break
        case 'compute': {
          // Off this thread (the pool's piscina threads): this actor's loop keeps serving messages.
          const failed = (err: unknown) => void env.send(self, { type: 'assignment.computed', group: e.group, requestId: e.requestId, error: toWireError(err) })
          if (e.request.round !== undefined) env.compute.run(ROUND_TASK, e.request).then((round) => void env.send(self, { type: 'assignment.computed', group: e.group, requestId: e.requestId, round: attachWorkers(round, e.request) }), failed)
          else env.compute.run(ASSIGNMENT_TASK, e.request).then((assignment) => void env.send(self, { type: 'assignment.computed', group: e.group, requestId: e.requestId, assignment }), failed)
          break
        }
        case 'ask-view': {
          const group = e.group
          env.ask(actorAddress<ElectionViewMsg>(election), { type: 'election.view', group }, { timeoutMs: VIEW_ASK_TIMEOUT_MS }).then(
            (r) => void env.send(self, { type: 'assignment.leader-view', group, leader: r.view.leader, term: r.view.term, isSelf: r.view.isSelf }),
            (err: unknown) => void env.send(self, { type: 'assignment.leader-view', group, leader: null, term: 0, isSelf: false, error: toWireError(err) }),
          )
          break
        }
        case 'encode': {
          const { version, term } = e.assignment
          env.compute.run(ENCODE_TASK, e.assignment).then(
            (bytes) => void env.send(self, { type: 'assignment.encoded', group: e.group, version, term, bytes }),
            (err: unknown) => void env.send(self, { type: 'assignment.encoded', group: e.group, version, term, error: toWireError(err) }),
          )
          break
        }
      }
    }
  }

  return setup({
    types: {} as { context: AssignmentContext; events: AssignmentEvent; input: AssignmentInput },
    actions: {
      openStore: noStore as never,
      store: noStoreOp as never,
      step: enqueueActions(({ context, event, enqueue }) => {
        if (event.type === 'runtime.restored') {
          // The timers of the incarnation before are gone or stale; the store is opened again (a
          // restart in place finds it still held in the actor's resource slot).
          timers.clear()
          input = inputOf(context)
          enqueue({ type: 'openStore', params: { input } } as never)
        }
        const { state, effects } = stepAssignmentActor(context, event.type === 'runtime.restored' ? { type: 'runtime.restored' } : event.type === 'runtime.shutdown' ? { type: 'runtime.shutdown' } : event, env.clock.now())
        // nats: the shutdown's own key deletions are waited for (up to WITHDRAW_WAIT_MS).
        if (event.type === 'runtime.shutdown') withdrawing = effects.filter((e) => e.type === 'store' && e.op === 'unregister').length
        enqueue.assign(state)
        run(effects, state, enqueue as never)
      }),
      countUndelivered: enqueueActions(({ context, enqueue }) => {
        if (undelivered === 0) return
        const n = undelivered
        undelivered = 0
        enqueue.assign({ stats: { ...context.stats, undelivered: context.stats.undelivered + n } })
      }),
      cancelTimers: () => {
        timers.clear()
      },
    },
  }).createMachine({
    id: 'assignment',
    context: ({ input: i }) => {
      input = i
      return initialAssignmentActor({
        self: i.self,
        backend: i.backend ?? 'membership',
        eventsPeer: i.peers?.events ?? null,
        peers: { swim: i.peers?.swim, election: i.peers?.election },
        nats: i.nats,
        config: {
          calculator: { ...i.calculator },
          guard: { ...DEFAULT_ASSIGNMENT_ACTOR_CONFIG.guard, ...i.guard },
          maxGroups: i.maxGroups ?? DEFAULT_ASSIGNMENT_ACTOR_CONFIG.maxGroups,
          maxMembers: i.maxMembers ?? DEFAULT_ASSIGNMENT_ACTOR_CONFIG.maxMembers,
        },
      })
    },
    initial: 'running',
    states: {
      running: {
        entry: enqueueActions(({ enqueue }) => enqueue({ type: 'openStore', params: { input: input! } } as never)),
        on: {
          'assignment.register': { actions: ['step', 'countUndelivered'] },
          'assignment.unregister': { actions: ['step', 'countUndelivered'] },
          'assignment.view': { actions: 'step' },
          'assignment.timer': { actions: ['step', 'countUndelivered'] },
          'assignment.computed': { actions: ['step', 'countUndelivered'] },
          'assignment.store-opened': { actions: 'step' },
          'assignment.store-entry': { actions: ['step', 'countUndelivered'] },
          'assignment.store-read': { actions: ['step', 'countUndelivered'] },
          'assignment.store-done': { actions: ['step', 'countUndelivered'] },
          'assignment.store-failed': { actions: 'step' },
          'assignment.encoded': { actions: ['step', 'countUndelivered'] },
          'assignment.leader-view': { actions: ['step', 'countUndelivered'] },
          'runtime.restored': { actions: ['step', 'countUndelivered'] },
          'election.changed': { actions: ['step', 'countUndelivered'] },
          'member.event': { actions: ['step', 'countUndelivered'] },
          'gossamer.message': { actions: ['step', 'countUndelivered'] },
          'assignment.store-withdrawn': { actions: 'step' },
          'runtime.shutdown': { target: 'withdrawing' },
        },
      },
      /**
       * The node stops: this worker withdraws from every group (nats: its key deleted; membership:
       * a message to each leader) and the machine waits for the store's answers, at most
       * WITHDRAW_WAIT_MS (a store that does not answer must not hold the node's shutdown).
       */
      withdrawing: {
        entry: ['step', 'countUndelivered'],
        always: { guard: () => withdrawing <= 0, target: 'stopped' },
        after: { [WITHDRAW_WAIT_MS]: { target: 'stopped' } },
        on: {
          'assignment.store-withdrawn': { actions: ({ context, event }) => void (event.node === context.self && withdrawing--) },
          'assignment.store-failed': { actions: [() => void withdrawing--, 'step'] },
        },
      },
      stopped: { type: 'final', entry: 'cancelTimers' },
    },
  })
}

export type AssignmentMachine = ReturnType<typeof createAssignmentMachine>
