/**
 * The election machine: the actor core (actor-core.ts) behind messages. Its context IS the core's
 * state; every message is one step whose effects the machine runs: replies, `election.changed`
 * emitted (and told to the events peer), and the backend's operations. The backend holds a
 * connection, so it lives in the actor's resource slot and is reached only by the placement's
 * implementations (`provideElectionBackend`; worker.ts gives the nats one): `openBackend` at start,
 * `backend` and `follow` per effect. Their outcomes come back as messages (`election.opened`,
 * `election.done`, `election.change-in`). Without a provided backend the actor opens into
 * `failed` with ERR_ELECTION_NO_BACKEND and refuses every request with it, counted.
 */
import { enqueueActions, setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import type { NatsElectionInit } from './nats-config.ts'
import { initialElectionActor, stepElectionActor, type ElectionActorEffect, type ElectionActorState } from './actor-core.ts'
import type { ElectionChangedMsg, ElectionInbound } from './protocol.ts'

export interface ElectionInput {
  /** This node's name (the holder written into the lease). */
  self: string
  /** The `nats` backend's config (servers, bucket, ttlMs, ...). */
  nats: NatsElectionInit
  peers?: { events?: string }
}

export type ElectionContext = ElectionActorState

type ElectionEvent = ElectionInbound | RuntimeEvent

/** The placement's implementations (see provideElectionBackend in io/election-backend.ts). */
export type OpenBackendAction = (args: { context: ElectionActorState }, params: { input: ElectionInput }) => void
export type BackendAction = (args: { context: ElectionActorState }, params: { effect: Extract<ElectionActorEffect, { type: 'backend' | 'follow' }> }) => void

export function createElectionMachine(env: ActorEnv) {
  const self = actorAddress<ElectionInbound>(env.id)
  let undelivered = 0
  let input: ElectionInput | undefined
  const noBackend: OpenBackendAction = () =>
    queueMicrotask(() => void env.send(self, { type: 'election.opened', error: { code: 'ERR_ELECTION_NO_BACKEND', message: 'election: no backend was provided (spawn with provideElectionBackend)' } }))

  return setup({
    types: {} as { context: ElectionContext; events: ElectionEvent; input: ElectionInput },
    actions: {
      openBackend: noBackend as never,
      backend: (() => undefined) as never,
      step: enqueueActions(({ context, event, enqueue }) => {
        if (event.type === 'runtime.restored' || event.type === 'runtime.shutdown') return
        const { state, effects } = stepElectionActor(context, event)
        enqueue.assign(state)
        for (const e of effects) {
          switch (e.type) {
            case 'reply':
              enqueue(() => env.reply(e.to as never, e.msg))
              break
            case 'emit':
              enqueue.emit(e.msg)
              if (state.eventsPeer !== null) {
                const to = state.eventsPeer
                enqueue(() => {
                  const status = env.send(actorAddress<ElectionChangedMsg>(to), e.msg)
                  if (status === 'unknown' || status === 'stopped' || status === 'rejected' || status === 'displaced') undelivered++
                })
              }
              break
            default:
              enqueue({ type: 'backend', params: { effect: e } } as never)
          }
        }
      }),
      countUndelivered: enqueueActions(({ context, enqueue }) => {
        if (undelivered === 0) return
        const n = undelivered
        undelivered = 0
        enqueue.assign({ stats: { ...context.stats, undelivered: context.stats.undelivered + n } })
      }),
    },
  }).createMachine({
    id: 'election',
    context: ({ input: i }) => {
      input = i
      return initialElectionActor(i.self, i.peers?.events ?? null)
    },
    initial: 'running',
    states: {
      running: {
        entry: enqueueActions(({ enqueue }) => enqueue({ type: 'openBackend', params: { input: input! } } as never)),
        on: {
          'election.campaign': { actions: 'step' },
          'election.resign': { actions: 'step' },
          'election.fence': { actions: 'step' },
          'election.view': { actions: 'step' },
          'election.change-in': { actions: ['step', 'countUndelivered'] },
          'election.done': { actions: 'step' },
          'election.opened': { actions: 'step' },
          'runtime.shutdown': { target: 'stopped' },
        },
      },
      stopped: { type: 'final' },
    },
  })
}

export type ElectionMachine = ReturnType<typeof createElectionMachine>
