/**
 * The swim machine's named actions (machine.ts keeps the states and transitions). Each action that
 * runs a step of the core (swim-core.ts) carries out its effects through the runner
 * (swim-runner.ts) and assigns, in the same action, the state the step returned; the lifecycle's
 * actions (bound, start, restore, hold and replay) and the join tracking (join-retry.ts) are here
 * too. Pure like the machine: time, randomness and messages come through the actor's env.
 */
import { assertEvent, setup } from 'xstate'
import type { ActorEnv, ReplyTo, RuntimeEvent } from '../../src/types/actor-env.ts'
import { toWireError } from '../../src/errors/index.ts'
import { formatAddress } from '../../src/transport/transport.ts'
import type { SwimContext, SwimInput } from './swim-context.ts'
import { MAX_HELD } from './swim-context.ts'
import { parseJoinAddresses } from './join-address.ts'
import type { CoordinateReply, SwimEmitted, SwimInbound } from './protocol.ts'
import { applyKeyringOp } from './keyring-ops.ts'
import type { createMachineConfig } from './machine-config.ts'
import type { createSwimRunner } from './swim-runner.ts'
import { drawJitter, dueAttempt, firstJoins, resumedJoins, jitterSeed, settleJoin } from './join-retry.ts'
import type { JoinResultMsg, PlannedJoin } from './join-retry.ts'
import { swimTransportOf } from './transport-slot.ts'
import type { SwimBindOutput } from './transport-slot.ts'

/** The swim machine's types (machine.ts's setup declares the same). */
export type SwimEvent = SwimInbound | { type: 'swim.left' } | JoinResultMsg | RuntimeEvent
export interface SwimMachineTypes {
  context: SwimContext
  events: SwimEvent
  input: SwimInput
  emitted: SwimEmitted
}

/** The input an actor was started with: a restore does not run the context factory, which gets it. */
function spawnInputOf(self: unknown): SwimInput | undefined {
  return (self as { options?: { input?: SwimInput } }).options?.input
}

export const isLeave = (m: SwimInbound): boolean => m.type === 'swim.leave' || m.type === 'member.swim-leave'

type Runner = ReturnType<typeof createSwimRunner>
type MachineConfig = ReturnType<typeof createMachineConfig>

/** The actions of the swim machine of `env`, over its runner and its config (both in the machine factory's closure). */
export function swimActions(env: ActorEnv, runner: Runner, cfg: MachineConfig) {
  const { assign, enqueueActions, createAction } = setup({ types: {} as SwimMachineTypes })
  const swim = runner.node
  /** A refused request that was asked (a `swim.join` with replyTo) fails its ask at once rather than at its timeout. */
  const failAsker = (event: { type: string }, message: string): void => {
    const replyTo = (event as { replyTo?: ReplyTo<unknown> }).replyTo
    if (replyTo !== undefined) env.fail(replyTo, { code: 'ERR_SWIM_JOIN_REFUSED', message })
  }
  const joinAll = (joins: readonly PlannedJoin[]): void => {
    for (const j of joins) runner.join(j.addresses, j.purpose)
  }
  /** A request no state takes now: refused, counted (and its asker told). */
  const refuse = assign(({ event }) => {
    failAsker(event, `swim: ${event.type} refused`)
    runner.counts.refused++
    return { refused: runner.counts.refused }
  })
  return {
    // Each action that runs a step of the core assigns the state it returns, in the same action.
    packet: assign(({ event }) => {
      assertEvent(event, 'swim.packet')
      return runner.step({ type: 'packet', from: event.from, bytes: event.bytes })
    }),
    timer: assign(({ event }) => {
      assertEvent(event, 'swim.timer')
      return runner.step({ type: 'timer', key: event.key })
    }),
    // In every state: without a node an accepted stream is closed and counted (swim-runner.ts).
    stream: assign(({ event }) => {
      assertEvent(event, 'swim.stream')
      return runner.streamEvent(event)
    }),
    join: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'swim.join')
      let addresses: string[]
      try {
        addresses = parseJoinAddresses(event.addresses, cfg.config.bindPort, 'swim.join.addresses')
      } catch (err) {
        // The definition's validate checked the syntax; only a missing port with swim.bindPort 0
        // gets here. Refused and counted, as the transport could not dial it.
        env.log.warn({ err: toWireError(err) }, 'join refused')
        enqueue(refuse)
        return
      }
      // memberlist's `[DEBUG] memberlist: Initiating push/pull sync with:` for a join.
      env.log.debug({ addresses }, `Initiating push/pull sync with: ${addresses.join(', ')}`)
      enqueue.assign(runner.join(addresses, 'join', event.replyTo, event.replyAfterMembers === true))
    }),
    joinResult: assign(({ context, event }) => {
      assertEvent(event, 'swim.join-result')
      const limits = { intervalMs: cfg.config.retryJoinIntervalMs, maxRetries: cfg.config.retryJoinMax }
      // Jitter of retried joins: its own stream, kept in the context (join-retry.ts JitterStream).
      let retryJitter = context.retryJitter
      const jitter = (): number => {
        const drawn = drawJitter(retryJitter ?? { seed: jitterSeed(env.random), draws: 0 })
        retryJitter = drawn.next
        return drawn.value
      }
      const { error, retry, delayMs } = settleJoin(context.joinRetry, event, limits, env.clock.now(), jitter)
      if (error !== undefined) {
        runner.counts.joinFailures++
        env.log.warn({ err: error }, `${event.purpose} reached no member`)
      }
      if (delayMs !== undefined) runner.retryJoinIn(delayMs)
      if (retry.status === 'exhausted' && context.joinRetry.status !== 'exhausted') {
        runner.counts.joinRetriesExhausted++
        env.log.error({ err: retry.lastError }, `${retry.purpose} gave up`)
      } else if (retry.status === 'joined' && context.joinRetry.status !== 'joined') {
        env.log.info({ purpose: retry.purpose, attempts: retry.attempts, numJoined: event.numJoined }, 'join completed')
      }
      return { lastJoinError: error ?? context.lastJoinError, joinRetry: retry, retryJitter, ...runner.counts }
    }),
    retryAttempt: assign(({ context }) => {
      const { retry, join } = dueAttempt(context.joinRetry, context.joinRetry.status === 'waiting' && swim().aliveOthers().length > 0)
      return { ...(join === undefined ? runner.state() : runner.join(join.addresses, join.purpose)), joinRetry: retry }
    }),
    endRetry: assign(({ context }) => {
      runner.cancelRetryJoin()
      const r = context.joinRetry
      return r.status === 'joining' || r.status === 'waiting' ? { joinRetry: { ...r, status: 'off' as const, nextAttemptAtMs: null } } : {}
    }),
    reconnect: assign(({ event }) => {
      assertEvent(event, 'member.reconnect')
      return runner.step({ type: 'join', addresses: [swim().reconnectAddress(event.addr, event.port)], reconnect: true })
    }),
    metaChanged: assign(({ event }) => {
      assertEvent(event, 'member.local-meta-changed')
      return { ...runner.step({ type: 'meta', meta: event.meta }), knownMeta: event.meta }
    }),
    /** member-manager's user state, told ahead of push/pulls: the runner keeps it (no context change). */
    userStateTold: ({ event }: { event: SwimEvent }) => {
      assertEvent(event, 'member.user-state')
      runner.userStateTold(event.bytes)
    },
    sendUser: assign(({ event }) => {
      assertEvent(event, 'swim.send-user')
      return runner.step({ type: 'send-user', to: formatAddress(event.addr, event.port), bytes: event.bytes })
    }),
    sendGossamer: assign(({ event }) => {
      assertEvent(event, 'swim.send-gossamer')
      return runner.sendGossamer(event, cfg.config)
    }),
    /**
     * The live keyring (keyring-ops.ts), in every state: the ring is the machine's (persisted as
     * liveKeys once changed), the running node sends and reads with it from the next packet on.
     */
    keyring: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'swim.keyring')
      const r = applyKeyringOp(cfg.ringOf(context), event.op, event.key)
      env.reply(event.replyTo, r.reply)
      if (!r.reply.ok) {
        runner.counts.keyringRefused++
        enqueue.assign({ keyringRefused: runner.counts.keyringRefused })
        return
      }
      if (!r.changed || r.ring === null) return
      runner.counts.keyringChanges++
      runner.setKeyring(r.ring)
      const keys = r.ring.keys.map((k) => Uint8Array.from(k))
      env.log.info({ op: event.op, keys: keys.length }, 'keyring changed')
      enqueue.assign({ liveKeys: keys, keyringChanges: runner.counts.keyringChanges, config: { ...context.config, keyring: { keys: keys.length } } })
      enqueue.emit({ type: 'swim.keyring-changed', keys: keys.map((k) => Uint8Array.from(k)) })
    }),
    coordinate: createAction(({ event }) => {
      assertEvent(event, 'swim.coordinate')
      const reply: CoordinateReply = { type: 'swim.coordinate-reply' }
      const c = runner.coordinateOf(typeof event.node === 'string' ? event.node : undefined)
      if (c !== undefined) reply.coordinate = c
      env.reply(event.replyTo, reply)
    }),
    lease: assign(({ event }) => {
      assertEvent(event, 'gossip.lease')
      return { lease: runner.takeLease(event) }
    }),
    reportLease: assign(() => ({ lease: runner.reportLease() })),
    broadcastFinished: assign(({ event }) => {
      assertEvent(event, 'gossip.broadcast-finished')
      return runner.step({ type: 'broadcast-finished', notifyId: event.id })
    }),
    hold: assign(({ context, event }) => {
      if (context.held.length < MAX_HELD) return { held: [...context.held, event as SwimInbound] }
      env.log.warn({ type: event.type, held: context.held.length }, 'request refused before start (hold full)')
      failAsker(event, 'swim: request refused before start (hold full)')
      return { heldOverflow: context.heldOverflow + 1 }
    }),
    refuse,
    bound: assign(({ event }) => {
      const out = (event as unknown as { output: SwimBindOutput }).output
      // Port 0 in the input: advertise the port the socket got (after a restore: the same one).
      const advertisedPort = cfg.input!.port === 0 ? out.port : cfg.input!.port
      env.log.info({ address: out.address, advertised: advertisedPort }, `Bound to ${out.address}`)
      return { bound: out.address, advertisedPort, address: formatAddress(cfg.input!.addr, advertisedPort) }
    }),
    start: assign(({ context, event }) => {
      const transport = swimTransportOf(env)
      const start = cfg.input
      if (transport === undefined || start === undefined) throw new Error('swim: started without a transport')
      // member-manager's answer; when it gave none, the Meta the node had last, else the input's.
      const meta = (event as { output?: Uint8Array | undefined }).output ?? context.knownMeta ?? start.meta
      const restored = context.restores > 0
      // After a restore: above the incarnation peers may know, so our alive (and Meta) is news to them.
      const identity = { name: start.name, addr: start.addr, port: context.advertisedPort, ...(meta === undefined ? {} : { meta }), ...(restored ? { incarnation: context.incarnation + 1 } : {}) }
      // The live keyring (a keyring op before a restart) over the config's.
      const ring = cfg.ringOf(context)
      runner.start(ring === cfg.config.keyring ? cfg.config : { ...cfg.config, keyring: ring }, transport, identity, restored ? context : undefined)
      const leaving = context.held.some(isLeave)
      const { joins, retry } = restored ? resumedJoins({ ...context, leaving }, cfg.joinAt, cfg.retryJoinAt) : firstJoins(cfg.joinAt, cfg.retryJoinAt)
      joinAll(joins)
      return { ...runner.state(), joinRetry: retry, knownMeta: meta }
    }),
    restore: assign(({ context, event, self }) => {
      assertEvent(event, 'runtime.restored')
      const given = spawnInputOf(self)
      if (given === undefined) throw new Error('swim: restored without its spawn input')
      cfg.configure(given)
      // The node of a restart in place (its timers, asks and streams) ends here.
      runner.stop()
      env.log.warn({ restarts: event.restarts, bound: context.bound, incarnation: context.incarnation, knownPeers: context.knownPeers.length }, 'swim restored from its snapshot')
      return { restores: context.restores + 1 }
    }),
    reconfigure: assign(({ context, self }) => {
      const given = spawnInputOf(self)
      if (given !== undefined) cfg.configure(given)
      return { restores: context.restores + 1 }
    }),
    leaveAgain: assign(({ context }) => {
      if (context.held.some(isLeave)) return {}
      const leave: SwimInbound = { type: 'swim.leave', timeoutMs: cfg.config.probeIntervalMs * 5 }
      return { held: [leave, ...context.held].slice(0, MAX_HELD) }
    }),
    replayHeld: enqueueActions(({ context, enqueue }) => {
      for (const m of context.held) enqueue.raise(m)
      enqueue.assign({ held: [] })
    }),
    bindFailed: assign(({ event }) => {
      const error = toWireError((event as unknown as { error: unknown }).error)
      env.log.error({ err: error }, 'swim cannot bind its transport; the actor stays failed')
      return { bindError: error }
    }),
    configFailed: createAction(({ context }) => env.log.error({ err: context.configError }, 'swim refuses its config; the actor stays failed')),
    // Nothing was ever announced: the leave is complete at once (member-manager waits for it).
    failedLeave: () => runner.toMember({ type: 'member.swim-left' }),
  }
}
