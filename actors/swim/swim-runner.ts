/**
 * The wiring between the swim statechart (machine.ts) and swim's core (swim-core.ts): `runEffects`,
 * the one place the core's effects are carried out (timers on the actor clock, delivered back as
 * `swim.timer`: runner-timers.ts; packets out through the send pipeline and the transport, their results fed back to
 * the core; broadcasts to gossip-queue; its outputs routed to member-manager and gossip-queue), the
 * core's env (clock, randomness; dials stay callbacks), Serf's user state asked for the core's
 * `ask-user-state` effect and fed back as its `user-state` input. Its parts, each in its file: the
 * piggyback lease (lease-holder.ts: every packet is filled from it in the same turn, and the sends
 * are reported to gossip-queue in batches), where outputs go (output-route.ts), swim's two asks of
 * member-manager, neither on the packet path (runner-asks.ts), and its own counts
 * (runner-counts.ts). Pure like the machine: time, randomness and messages come through the
 * actor's env.
 *
 * The runner lives in the machine factory's closure, so it outlasts a supervised restart in place:
 * `stop()` ends the old node, its timers and its pending asks, and the counters keep counting. A
 * restart in a new thread has a fresh runner: `start` then takes the counters, the known members
 * and the transport's stream counts from the persisted context, so they keep counting too.
 */
import type { ActorEnv, Message, ReplyTo } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import type { GossipQueueInbound, LeaseMsg } from '../gossip-queue/protocol.ts'
import type { LeaseView } from './piggyback.ts'
import type { MemberManagerInbound } from '../member-manager/protocol.ts'
import type { SwimConfig } from './config.ts'
import type { SwimCoreInput, SwimEffect, SwimEffectHandlers, SwimEnv } from './effects.ts'
import { runSwimEffects } from './effects.ts'
import type { JoinReply, SendGossamerMsg, StreamEventMsg, SwimInbound, SwimPeers } from './protocol.ts'
import { StreamGate } from './stream-gate.ts'
import { sendPacketRequest } from './send-pipeline.ts'
import { SwimCore } from './swim-core.ts'
import type { SwimIdentity } from './core-state.ts'
import type { SwimTransport } from './transport-slot.ts'
import type { JoinPurpose } from './join-retry.ts'
import type { SwimContext } from './swim-context.ts'
import { CarriedState } from './carried-state.ts'
import { createMemberFeed } from './member-feed.ts'
import { createLatestTell } from '../../src/types/latest-tell.ts'
import type { Keyring } from '../../src/wire/keyring.ts'
import { cloneCoordinate } from '../../src/coordinate/coordinate.ts'
import type { Coordinate } from '../../src/coordinate/coordinate.ts'
import { sendGossamer } from './gossamer-route.ts'
import { createLeaseHolder } from './lease-holder.ts'
import { createOutputRouter, memberInfo } from './output-route.ts'
import { newRunnerCounts, type RunnerCounts } from './runner-counts.ts'
import { createRunnerAsks } from './runner-asks.ts'
import { createRunnerTimers } from './runner-timers.ts'

export { askTimeouts } from './runner-asks.ts'
export type { SwimIdentity } from './core-state.ts'

/** Timer key of the next retried join (join-retry.ts); the node's own keys never take this one. */
export const RETRY_JOIN_TIMER = 'retry-join'

export type { RunnerCounts } from './runner-counts.ts'

/** The part of the context a step of the core (and the runner around it) sets. */
export type SwimStatePatch = Pick<SwimContext, 'incarnation' | 'healthScore' | 'numNodes' | 'counters' | 'knownPeers' | 'streams' | keyof RunnerCounts | 'lease' | 'memberFeed'>

export function createSwimRunner(env: ActorEnv) {
  let node: SwimCore | undefined
  const peers: SwimPeers = { gossipQueue: 'gossip-queue', memberManager: 'member-manager' }
  const counts: RunnerCounts = newRunnerCounts()
  /** Asked joins whose reply member-manager gives (JoinMsg.replyAfterMembers), until their join completes. */
  const viaMembers = new Set<ReplyTo<JoinReply>>()
  /** Members to rejoin, stream counts: what the context shows beyond the node, across restarts. */
  const carried = new CarriedState()
  /**
   * The last node's counters when it stopped: a restart in place goes on from them, since the
   * persisted context (throttled: persist-policy.ts) may be up to a second behind.
   */
  let lastCounters: Record<string, unknown> | undefined
  /** member-manager's latest user state (`member.user-state`), handed to each node as it starts. */
  let toldUserState: Uint8Array | undefined

  const deliver = (to: string, msg: Message): void => {
    const status = env.send(actorAddress<Message>(to), msg)
    if (status === 'unknown' || status === 'stopped' || status === 'rejected') counts.undelivered++
  }
  const toGossip = (msg: GossipQueueInbound) => deliver(peers.gossipQueue, msg)
  // Everything for member-manager goes through one ordered, batched feed that waits for room in its
  // mailbox (member-feed.ts); the cluster size goes once per turn, the latest value (latest-tell.ts).
  const feed = createMemberFeed(env, {
    to: () => peers.memberManager,
    nodes: () => (node === undefined ? [] : Array.from(node.table.records(), memberInfo)),
    tableSize: () => node?.table.size() ?? 0,
    undelivered: () => void counts.undelivered++,
  })
  const toMember = (msg: MemberManagerInbound) => feed.message(msg)
  const clusterSize = createLatestTell<GossipQueueInbound>(env, () => peers.gossipQueue, () => void counts.undelivered++)
  const asks = createRunnerAsks(env, peers, counts)
  const current = (): SwimCore => {
    if (node === undefined) throw new Error('swim: logic used before the transport was bound')
    return node
  }

  const timers = createRunnerTimers(env, deliver)
  // Streams' news comes to the machine as `swim.stream` messages (stream-gate.ts).
  const gate = new StreamGate({
    counts,
    post: (msg) => {
      const status = env.send(actorAddress<Message>(env.id), msg)
      return status !== 'rejected' && status !== 'stopped' && status !== 'unknown'
    },
  })
  const { arm: armTimer, disarm: disarmTimer } = timers
  const route = createOutputRouter({
    env,
    peers,
    counts,
    deliver,
    toMember,
    nodeChanged: (kind, n) => {
      carried.membershipChanged()
      feed.change(kind, memberInfo(n))
    },
    clusterSize: (msg) => clusterSize.set(msg),
    viaMembers,
    isCurrent: (from) => from === node,
  })
  const leases = createLeaseHolder({
    now: () => env.clock.now(),
    toGossip: (msg) => toGossip(msg),
    armTimer: (key, delayMs) => armTimer(key, delayMs),
    subscribed: () => void counts.leaseSubscribes++,
    selfId: env.id,
  })

  /**
   * How core `n`'s effects meet the world (made once per core): timers on the actor clock, packets
   * filled from the lease and sent in this turn (their results go back to the core), broadcasts to
   * gossip-queue, outputs routed, dials on the transport.
   */
  const handlersFor = (n: SwimCore, config: SwimConfig, transport: SwimTransport): SwimEffectHandlers => {
    const send = { udpBufferSize: config.udpBufferSize, compress: config.enableCompression, security: n.security, fill: leases.fill, emit: (to: string, bytes: Uint8Array) => transport.sendPacket(to, bytes) }
    return {
      setTimer: armTimer,
      cancelTimer: disarmTimer,
      sendPacket: (req) => sendPacketRequest(req, send),
      enqueueBroadcast: (name, message, notifyId) =>
        toGossip({ type: 'gossip.enqueue', broadcast: notifyId === undefined ? { queue: 'memberlist', message, name } : { queue: 'memberlist', message, name, notify: { to: env.id, id: notifyId } } }),
      mergeRemoteUserState: (bytes, join) => toMember({ type: 'member.merge-remote-state', bytes, join }),
      emit: (out) => route(out, n),
      dial: (to, timeoutMs, cb) => gate.dial((t, ms, done) => transport.dialCallback(t, ms, done), to, timeoutMs, cb),
      askUserState: (id, join) => askUserState(n, config, id, join),
    }
  }
  /** The one place swim's effects are carried out: in order, by the handlers of the core that decided them. */
  const runEffects = (n: SwimCore, effects: readonly SwimEffect[]): void => {
    if (effects.length > 0) runSwimEffects(n, effects, handlers.get(n)!)
  }
  /** The handlers of each core still able to decide effects (a stopped one's late callbacks included). */
  const handlers = new WeakMap<SwimCore, SwimEffectHandlers>()

  const envFor = (box: { core?: SwimCore }): SwimEnv => ({
    now: () => env.clock.now(),
    random: () => env.random.next(),
    // Effects decided in a stream or dial callback (outside a step) run at once.
    run: (effects) => runEffects(box.core!, effects),
    // Before the first lease, ticks go on: their fills ask gossip-queue for one again.
    broadcastsWaiting: () => leases.waiting(),
  })

  /**
   * Serf's user state for core `n`'s push/pull (its `ask-user-state` effect `id`): asked of
   * member-manager, the answer fed back as the `user-state` input (empty bytes when the ask failed,
   * counted). Nothing goes back to a core that stopped meanwhile (its asks are aborted with it).
   */
  const askUserState = (n: SwimCore, config: SwimConfig, id: number, join: boolean): void =>
    asks.userState(config, join, (bytes) => {
      if (node === n) runEffects(n, n.advance({ type: 'user-state', id, bytes }))
    })

  /**
   * The swim state of the context: the core's own (plain data, taken as it is: no copy), and
   * beside it the runner's (its counts, the lease, the member feed, the table's projection).
   */
  const stateOf = (n: SwimCore): SwimStatePatch => ({ ...n.state, ...carried.view(n), ...counts, lease: leases.view(), memberFeed: { ...feed.stats } })

  return {
    peers,
    counts,
    deliver,
    toMember,

    /** member-manager missed node changes (`member.nodes-resync`): the feed sends the whole table. */
    resyncMembers(): void {
      feed.resync()
    },

    /** Sets the peers' actor ids (input.peers), over the defaults. */
    setPeers(given: Partial<SwimPeers> | undefined): void {
      Object.assign(peers, given)
    },

    /** member-manager's current local Meta, for the node's first alive (runner-asks.ts; never rejects). */
    fetchLocalMeta(timeoutMs: number, signal: AbortSignal): Promise<Uint8Array | undefined> {
      return asks.localMeta(timeoutMs, signal)
    },

    /**
     * Builds and starts the node on the bound transport; packets and streams flow to it from here.
     * `restored`: the persisted context of a restart, whose counters, stream counts and known
     * members carry on (the larger of it and what this runner counted, for a restart in place).
     */
    start(config: SwimConfig, transport: SwimTransport, identity: SwimIdentity, restored?: SwimContext): SwimCore {
      const box: { core?: SwimCore } = {}
      const n = new SwimCore(config, identity, envFor(box))
      box.core = n
      if (node !== undefined) lastCounters = { ...node.counters }
      carried.start(n, transport, counts as unknown as Record<string, number>, restored, lastCounters)
      leases.start(config, restored?.lease)
      gate.setQueueBound(config.streamBufferBudgetBytes)
      node = n
      handlers.set(n, handlersFor(n, config, transport))
      if (toldUserState !== undefined) n.advance({ type: 'user-state-told', bytes: toldUserState })
      // Leases from now on (gossip-queue answers with a fresh one at once), before any packet goes.
      leases.subscribe()
      transport.onPacket((p) => {
        const msg: SwimInbound = { type: 'swim.packet', from: p.from, bytes: p.bytes }
        deliver(env.id, msg)
      })
      transport.onStream((s) => gate.accepted(s))
      runEffects(n, n.advance({ type: 'start' }))
      return n
    },

    /** `member.user-state`: kept for push/pulls from now on, by the running node and the next one. */
    userStateTold(bytes: Uint8Array): void {
      toldUserState = bytes
      if (node !== undefined) runEffects(node, node.advance({ type: 'user-state-told', bytes }))
    },

    /** The running core; only called from states that have one. */
    node: current,

    /** The live keyring changed: the running node seals and opens with it from now on. */
    setKeyring(ring: Keyring): void {
      if (node !== undefined) node.security.keyring = ring
    },

    /** A node's coordinate as the running core holds it (ours without a name); undefined without a node. */
    coordinateOf(name: string | undefined): Coordinate | undefined {
      if (node === undefined) return undefined
      // A copy: the reply may stay in this thread (inline placement) while the client moves on.
      return name === undefined ? cloneCoordinate(node.coordinates.coordinate) : node.coordinates.coordinateOf(name)
    },

    /**
     * One step of the running core, its effects carried out at once; returns the context's new
     * swim state (the machine's actions assign it in the same action that runs the step).
     */
    step(input: SwimCoreInput): SwimStatePatch {
      const n = current()
      gate.settle()
      runEffects(n, n.advance(input))
      return stateOf(n) // the state read once, after every step this action ran
    },

    /**
     * `swim.stream`: a stream's news, in this turn (stream-gate.ts). An accepted stream goes to the
     * running node; with none (binding, starting, failed) it is closed and counted as refused.
     */
    streamEvent(msg: StreamEventMsg): Partial<SwimStatePatch> {
      gate.dispatch(msg, (s) => {
        if (node !== undefined) return node.accept(s)
        counts.refused++
        s.close()
      })
      // Without a node only the runner's counts can have changed.
      return node === undefined ? { ...counts } : stateOf(node)
    },

    /** `swim.send-gossamer`: one envelope to the named member, by UDP or a TCP stream (gossamer-route.ts). */
    sendGossamer(msg: SendGossamerMsg, config: SwimConfig): SwimStatePatch {
      const n = current()
      runEffects(n, sendGossamer(n, msg, counts, config.tcpTimeoutMs, config.enableCompression))
      return stateOf(n)
    },

    /**
     * memberlist Join with `addresses`; the outcome comes back as `swim.join-result` (for the
     * machine's join tracking), unless the node stopped meanwhile.
     */
    join(addresses: readonly string[], purpose: JoinPurpose, replyTo?: ReplyTo<JoinReply>, replyAfterMembers = false): SwimStatePatch {
      if (replyTo !== undefined && replyAfterMembers) viaMembers.add(replyTo)
      return this.step({ type: 'join', addresses: [...addresses], purpose, ...(replyTo === undefined ? {} : { replyTo }) })
    },

    /** Schedules the next retried join (RETRY_JOIN_TIMER, as a `swim.timer` message); `stop()` cancels it. */
    retryJoinIn(delayMs: number): void {
      armTimer(RETRY_JOIN_TIMER, delayMs)
    },

    cancelRetryJoin(): void {
      disarmTimer(RETRY_JOIN_TIMER)
    },

    /** A `gossip.lease` from gossip-queue (taken in every state, with or without a node). */
    takeLease(msg: LeaseMsg): LeaseView {
      const held = leases.accept(msg)
      // Broadcasts to send: a gossip tick parked while the lease was empty resumes, and news (an
      // entry not sent yet: its transmits count ours, replayed over the lease) may go sooner.
      if (held.entries && node !== undefined) runEffects(node, node.advance({ type: 'broadcasts-waiting', fresh: held.fresh }))
      return leases.view()
    },

    /** The batch window of the lease report ended: the sends since the last report go now. */
    reportLease(): LeaseView {
      leases.reportNow()
      return leases.view()
    },

    /** Ends the node, its timers and its pending asks (a restart, or the actor's stop). */
    stop(): void {
      asks.abort()
      // Forgotten first: what the old node reports while it stops (its joins failing) is not ours.
      const old = node
      node = undefined
      if (old !== undefined) runEffects(old, old.advance({ type: 'stop' }))
      if (old !== undefined) lastCounters = { ...old.counters }
      timers.clear()
      // The streams the old node did not close itself (accepted, not yet dispatched) end here.
      gate.clear()
      // The window's sends are reported now rather than lost with the timer.
      leases.reportNow()
    },

    /** The context's swim state now (after a start, or for an action that ran no step). */
    state(): SwimStatePatch {
      return stateOf(current())
    },
  }
}
