/**
 * The election machine: the actor core (actor-core.ts) behind messages, over one of two backends.
 * Its context IS the core's state; every message is one step whose effects the machine runs.
 *
 * - `nats`: the backend holds a connection, so it lives in the actor's resource slot and is reached
 *   only by the placement's implementations (`provideElectionBackend`; worker.ts gives the nats
 *   one): `openBackend` at start (and after a restore), `backend` and `follow` per effect. Their
 *   outcomes come back as messages (`election.opened`, `election.done`, `election.change-in`).
 *   Without a provided backend the actor opens into `failed` with ERR_ELECTION_NO_BACKEND and
 *   refuses every request with it, counted.
 * - `membership`: the leases run in this context (membership-core.ts, composed with the actor core
 *   in membership-host.ts): `member.event`, `partition.changed`, `gossamer.message` and the lease
 *   timers (`election.timer`, armed on the actor clock) are its inputs; its messages go to swim as
 *   `swim.send-gossamer` (channel election, UDP) to Gossamer members only. A step that changed a
 *   voter promise sends its messages only after the turn ended (a zero-delay timer): the runtime
 *   persists the context at the end of the turn, so a grant never leaves before its promise is in
 *   the persisted snapshot. A restore (`runtime.restored`) rebuilds every group from its promise.
 *
 * Handles outside the context (the machine factory's closure): the lease timers' handles (their
 * due times are in the context's lease states) and the count of undelivered tells.
 */
import { enqueueActions, setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { createHostTimers } from '../../src/types/host-timers.ts'
import type { NatsElectionInit } from './nats-config.ts'
import { initialElectionActor, stepElectionActor, type ElectionActorEffect, type ElectionActorState } from './actor-core.ts'
import type { ElectionChangedMsg, ElectionInbound } from './protocol.ts'
import { createElectionConfig, type ElectionInit } from './config.ts'
import { initialMembership, type MembershipInput, type MembershipState, type MembershipTimerKey } from './membership-core.ts'
import { stepMembershipHost, type MembershipHostEffect } from './membership-host.ts'
import type { SendGossamerMsg } from '../swim/protocol.ts'
import { InvalidConfigError } from '../../src/errors/index.ts'

export interface ElectionInput {
  /** This node's name (the holder written into the lease; the membership backend's member name). */
  self: string
  /** Which backend (default 'nats'). */
  backend?: 'nats' | 'membership'
  /** The `nats` backend's config (servers, bucket, ttlMs, ...): required for nats. */
  nats?: NatsElectionInit
  /** The `membership` backend's lease config overrides (config.ts: leaseMs, maxDriftRate, ...). */
  membership?: ElectionInit
  /** events: told every `election.changed`; swim: where the membership backend's messages go (default 'swim'). */
  peers?: { events?: string; swim?: string }
}

export interface ElectionContext extends ElectionActorState {
  readonly backend: 'nats' | 'membership'
  /** The membership backend's state (null for nats). */
  readonly membership: MembershipState | null
  readonly swimPeer: string
  /**
   * The nats backend's init, kept for a restore (a restored machine does not see its input again:
   * the backend is opened anew from this). Server URLs with credentials in them would show here.
   */
  readonly natsInit: NatsElectionInit | null
  /** swim.send-gossamer tells not delivered (no swim, stopped, full). */
  readonly sendsUndelivered: number
}

type ElectionEvent = ElectionInbound | RuntimeEvent

/** The placement's implementations (see provideElectionBackend in io/election-backend.ts). */
export type OpenBackendAction = (args: { context: ElectionActorState }, params: { input: ElectionInput }) => void
export type BackendAction = (args: { context: ElectionActorState }, params: { effect: Extract<ElectionActorEffect, { type: 'backend' | 'follow' }> }) => void

const MEMBERSHIP_EVENTS = new Set(['member.event', 'partition.changed', 'gossamer.message', 'election.timer'])

/** Checks the input once, naming the field (the spawn fails with ERR_ACTOR_START_FAILED and this cause). */
export function checkElectionInput(i: ElectionInput): { backend: 'nats' | 'membership' } {
  const backend = i.backend ?? 'nats'
  if (backend !== 'nats' && backend !== 'membership') throw new InvalidConfigError('election.backend', `must be 'nats' or 'membership' (got ${JSON.stringify(backend)})`)
  if (typeof i.self !== 'string' || i.self.length === 0) throw new InvalidConfigError('election.self', 'must be the node name (a non-empty string)')
  if (backend === 'nats' && (i.nats === undefined || i.nats === null)) throw new InvalidConfigError('election.nats', "is required with backend 'nats'")
  return { backend }
}

export function createElectionMachine(env: ActorEnv) {
  const self = actorAddress<ElectionInbound>(env.id)
  let undelivered = 0
  let sendsUndelivered = 0
  /** The nats backend's open input, from the context (a restored machine never sees its input). */
  const inputOf = (c: ElectionContext): ElectionInput => ({ self: c.self, backend: 'nats', nats: c.natsInit! })
  /** Lease timer handles by group and key (their due times are in the context). */
  const timers = createHostTimers<string>(env.clock)
  const timerId = (group: string, key: string) => `${group}\u0000${key}`
  const clearTimers = () => {
    timers.clear()
  }
  const noBackend: OpenBackendAction = () =>
    queueMicrotask(() => void env.send(self, { type: 'election.opened', error: { code: 'ERR_ELECTION_NO_BACKEND', message: 'election: no backend was provided (spawn with provideElectionBackend)' } }))

  const sendAll = (to: string, sends: readonly SendGossamerMsg[]) => {
    for (const msg of sends) {
      const status = env.send(actorAddress<SendGossamerMsg>(to), msg)
      if (status === 'unknown' || status === 'stopped' || status === 'rejected' || status === 'displaced') sendsUndelivered++
    }
  }

  /** Carries out the membership host's effects (timers, sends; replies and emits come back for the caller). */
  const runMembership = (swimPeer: string, effects: readonly MembershipHostEffect[], rest: ElectionActorEffect[]) => {
    const persist = effects.some((e) => e.type === 'persist')
    const sends: SendGossamerMsg[] = []
    for (const e of effects) {
      switch (e.type) {
        case 'send':
          sends.push({ type: 'swim.send-gossamer', to: e.to, bytes: e.bytes, reliable: false })
          break
        case 'set-timer': {
          const { group, key } = e
          timers.set(timerId(group, key), e.ms, () => void env.send(self, { type: 'election.timer', group, key: key as MembershipTimerKey }))
          break
        }
        case 'cancel-timer':
          timers.cancel(timerId(e.group, e.key))
          break
        case 'persist':
          break
        default:
          rest.push(e)
      }
    }
    if (sends.length === 0) return
    // A changed promise is persisted at this turn's end: its grants leave after that (see the header).
    if (persist) env.clock.setTimeout(() => sendAll(swimPeer, sends), 0)
    else sendAll(swimPeer, sends)
  }

  const membershipInput = (event: ElectionInbound, now: number): MembershipInput | undefined => {
    switch (event.type) {
      case 'member.event':
        return { type: 'members', event: event.event, members: event.members, now }
      case 'partition.changed':
        return { type: 'partition', status: event.status, expected: event.counts?.expected, now }
      case 'gossamer.message':
        return event.channel === 'election' ? { type: 'message', from: event.from, body: event.body, now } : undefined
      case 'election.timer':
        return { type: 'timer', group: event.group, key: event.key, now }
      default:
        return undefined
    }
  }

  return setup({
    types: {} as { context: ElectionContext; events: ElectionEvent; input: ElectionInput },
    actions: {
      openBackend: noBackend as never,
      backend: (() => undefined) as never,
      step: enqueueActions(({ context, event, enqueue }) => {
        if (event.type === 'runtime.shutdown') return
        const effects: ElectionActorEffect[] = []
        if (context.backend === 'membership') {
          const now = env.clock.now()
          let step
          if (event.type === 'runtime.restored') {
            // The timers of the thread (or incarnation) before are gone or stale: every group is rebuilt.
            clearTimers()
            step = stepMembershipHost(context, context.membership!, { to: 'membership', input: { type: 'restart', now } }, now)
          } else if (MEMBERSHIP_EVENTS.has(event.type)) {
            const m = membershipInput(event, now)
            if (m === undefined) return
            step = stepMembershipHost(context, context.membership!, { to: 'membership', input: m }, now)
          } else step = stepMembershipHost(context, context.membership!, { to: 'actor', input: event }, now)
          enqueue.assign({ ...step.actor, membership: step.membership })
          const swimPeer = context.swimPeer
          const io = step.effects.filter((e) => e.type !== 'reply' && e.type !== 'emit')
          enqueue(() => runMembership(swimPeer, io, []))
          actorEffects(enqueue, step.actor.eventsPeer, step.effects.filter((e): e is Extract<MembershipHostEffect, ElectionActorEffect> => e.type === 'reply' || e.type === 'emit'))
          return
        }
        if (event.type === 'runtime.restored') {
          // A new thread has no backend in its slot: open again (a restart in place finds it there).
          // The views are dropped so the next request follows its group on the backend again.
          enqueue.assign({ status: 'opening', queued: [], views: {} })
          enqueue({ type: 'openBackend', params: { input: inputOf(context) } } as never)
          return
        }
        const { state, effects: fx } = stepElectionActor(context, event)
        enqueue.assign(state)
        for (const e of fx) {
          if (e.type === 'reply' || e.type === 'emit') effects.push(e)
          else enqueue({ type: 'backend', params: { effect: e } } as never)
        }
        actorEffects(enqueue, state.eventsPeer, effects)
      }),
      countUndelivered: enqueueActions(({ context, enqueue }) => {
        if (undelivered === 0 && sendsUndelivered === 0) return
        const n = undelivered
        const m = sendsUndelivered
        undelivered = 0
        sendsUndelivered = 0
        enqueue.assign({ stats: { ...context.stats, undelivered: context.stats.undelivered + n }, sendsUndelivered: context.sendsUndelivered + m })
      }),
    },
  }).createMachine({
    id: 'election',
    context: ({ input: i }) => {
      const { backend } = checkElectionInput(i)
      const actor = initialElectionActor(i.self, i.peers?.events ?? null)
      if (backend === 'nats') return { ...actor, backend, membership: null, swimPeer: i.peers?.swim ?? 'swim', natsInit: i.nats!, sendsUndelivered: 0 }
      const config = createElectionConfig(i.membership)
      const seed = Math.floor(env.random.next() * 0x1_0000_0000)
      return { ...actor, status: 'running', backend, membership: initialMembership(config, i.self, env.clock.now(), seed), swimPeer: i.peers?.swim ?? 'swim', natsInit: null, sendsUndelivered: 0 }
    },
    initial: 'running',
    states: {
      running: {
        entry: enqueueActions(({ context, enqueue }) => {
          if (context.backend === 'nats') enqueue({ type: 'openBackend', params: { input: inputOf(context) } } as never)
        }),
        on: {
          'election.campaign': { actions: ['step', 'countUndelivered'] },
          'election.resign': { actions: ['step', 'countUndelivered'] },
          'election.fence': { actions: 'step' },
          'election.view': { actions: 'step' },
          'election.change-in': { actions: ['step', 'countUndelivered'] },
          'election.done': { actions: 'step' },
          'election.opened': { actions: 'step' },
          'member.event': { actions: ['step', 'countUndelivered'] },
          'partition.changed': { actions: ['step', 'countUndelivered'] },
          'gossamer.message': { actions: ['step', 'countUndelivered'] },
          'election.timer': { actions: ['step', 'countUndelivered'] },
          'runtime.restored': { actions: 'step' },
          'runtime.shutdown': { target: 'stopped' },
        },
      },
      stopped: {
        type: 'final',
        entry: enqueueActions(({ context, enqueue }) => {
          if (context.backend !== 'membership' || context.membership === null) return
          // A leader resigns (its voters may move on at once); every timer ends.
          const now = env.clock.now()
          const step = stepMembershipHost(context, context.membership, { to: 'membership', input: { type: 'stop', now } }, now)
          enqueue.assign({ ...step.actor, membership: step.membership })
          const swimPeer = context.swimPeer
          const io = step.effects.filter((e) => e.type !== 'reply' && e.type !== 'emit' && e.type !== 'persist')
          enqueue(() => {
            // No later turn to wait for: the resigns go now (they release promises; nothing to persist first).
            runMembership(swimPeer, io, [])
            clearTimers()
          })
          actorEffects(enqueue, step.actor.eventsPeer, step.effects.filter((e): e is Extract<MembershipHostEffect, ElectionActorEffect> => e.type === 'reply' || e.type === 'emit'))
        }),
      },
    },
  })

  /** Replies, and changes emitted (and told to the events peer), in order. */
  function actorEffects(enqueue: { (f: () => void): void; emit(e: ElectionChangedMsg): void }, eventsPeer: string | null, effects: readonly ElectionActorEffect[]): void {
    for (const e of effects) {
      if (e.type === 'reply') enqueue(() => env.reply(e.to as never, e.msg))
      else if (e.type === 'emit') {
        enqueue.emit(e.msg)
        if (eventsPeer !== null) {
          enqueue(() => {
            const status = env.send(actorAddress<ElectionChangedMsg>(eventsPeer), e.msg)
            if (status === 'unknown' || status === 'stopped' || status === 'rejected' || status === 'displaced') undelivered++
          })
        }
      }
    }
  }
}

export type ElectionMachine = ReturnType<typeof createElectionMachine>
