/**
 * The wiring between the swim statechart (machine.ts) and swim's core (swim-core.ts): `runEffects`,
 * the one place the core's effects are carried out (timers on the actor clock, delivered back as
 * `swim.timer`; packets out through the send pipeline and the transport, their results fed back to
 * the core; broadcasts to gossip-queue; its outputs routed to member-manager and gossip-queue), the
 * core's env (clock, randomness; dials stay callbacks), Serf's user state asked for the core's
 * `ask-user-state` effect and fed back as its `user-state` input, the piggyback
 * lease (piggyback.ts: every packet is filled from it in the same turn, and the sends are reported
 * to gossip-queue in batches), and swim's two asks, neither on the packet path: Serf's push/pull
 * state (`member.local-state`) and, at each start, the local Meta (`member.local-meta`). Every ask
 * has a timeout; a failure is counted and the node goes on without the answer. Pure like the
 * machine: time, randomness and messages come through the actor's env.
 *
 * The runner lives in the machine factory's closure, so it outlasts a supervised restart in place:
 * `stop()` ends the old node, its timers and its pending asks, and the counters keep counting. A
 * restart in a new thread has a fresh runner: `start` then takes the counters, the known members
 * and the transport's stream counts from the persisted context, so they keep counting too.
 */
import type { ActorEnv, Message, ReplyTo } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { ClusterError, toWireError } from '../../src/errors/index.ts'
import type { GossipQueueInbound, LeaseMsg } from '../gossip-queue/protocol.ts'
import { acceptLease, emptyLease, pickForPacket, takeReport } from '../../src/broadcast/piggyback-lease.ts'
import type { PiggybackLease } from '../../src/broadcast/piggyback-lease.ts'
import { LEASE_REPORT_TIMER, leaseView, reportDelayMs, resumeLease, roomReportDelayMs } from './piggyback.ts'
import type { LeaseView } from './piggyback.ts'
import type { JoinCompletedMsg, LocalMetaMsg, LocalStateMsg, MemberManagerInbound } from '../member-manager/protocol.ts'
import { SERF_EVENTS_MESSAGE_TYPES } from '../serf-events/protocol.ts'
import type { SerfMessageMsg } from '../serf-events/protocol.ts'
import type { SwimConfig } from './config.ts'
import type { NodeRecord } from './node-table.ts'
import type { SwimOutput } from './ports.ts'
import type { SwimCoreInput, SwimEffect, SwimEffectHandlers, SwimEnv } from './effects.ts'
import { runSwimEffects } from './effects.ts'
import type { JoinReply, SwimInbound, SwimPeers } from './protocol.ts'
import { sendPacketRequest } from './send-pipeline.ts'
import { SwimCore } from './swim-core.ts'
import type { SwimTransport } from './transport-slot.ts'
import type { JoinPurpose, JoinResultMsg } from './join-retry.ts'
import type { SwimContext } from './swim-context.ts'
import { CarriedState } from './carried-state.ts'
import { createMemberFeed } from './member-feed.ts'
import { createLatestTell } from '../../src/types/latest-tell.ts'
import type { Keyring } from '../../src/wire/keyring.ts'
import { cloneCoordinate } from '../../src/coordinate/coordinate.ts'
import type { Coordinate } from '../../src/coordinate/coordinate.ts'
import { NO_GOSSAMER_COUNTS, isGossamerPayload, routeGossamer, sendGossamer, type GossamerCounts } from './gossamer-route.ts'
import type { SendGossamerMsg } from './protocol.ts'

/** Timeouts (ms) of swim's asks, derived from its config so every preset gets fitting ones. */
export function askTimeouts(config: SwimConfig): { localStateMs: number; localMetaMs: number } {
  return {
    // A push/pull's whole exchange has tcpTimeoutMs (>= probeTimeoutMs by validation); a healthy
    // member-manager answers in microseconds, so one probe timeout is ample and leaves the rest.
    localStateMs: config.probeTimeoutMs,
    // The start waits for it (an alive without the tags would be what peers see). A member-manager
    // that is there answers in microseconds; one that is not fails the ask at once. So this only
    // bounds a stuck one: one stream deadline, then start with the Meta we know.
    localMetaMs: config.tcpTimeoutMs,
  }
}

/** Who this node is (the core's identity). */
export interface SwimIdentity {
  name: string
  addr: Uint8Array
  port: number
  meta?: Uint8Array
  /** Our incarnation to start at (after a restart: above the one peers may know). Default 1. */
  incarnation?: number
}

/** A fill from an empty lease (never written to: the send pipeline only reads the parts). */
const NOTHING = Object.freeze([]) as unknown as Uint8Array[]

/** Timer key of the next retried join (join-retry.ts); the node's own keys never take this one. */
export const RETRY_JOIN_TIMER = 'retry-join'

/** swim's counters kept outside the node, so they survive a restart in place. */
export interface RunnerCounts extends GossamerCounts {
  /**
   * Messages to peers that found no receiver (unknown, stopped or rejected): not retried. The member
   * feed and the cluster size are sent again when refused by a full mailbox, so only their messages
   * to an unknown or stopped peer count here.
   */
  undelivered: number
  /** `member.local-state` asks that failed or timed out: the push/pull went with empty user state. */
  localStateFailures: number
  /** `member.local-meta` asks at start that failed or timed out: started with the Meta known before. */
  localMetaFailures: number
  /** Messages or streams no node could handle (while binding, starting or failed). */
  refused: number
  /**
   * `gossip.lease-subscribe` tells sent: one at every start, and one per room-report window while
   * no lease has come (gossip-queue was not there yet, or lost the subscriber).
   */
  leaseSubscribes: number
  /** Joins that reached no one (see join-retry.ts). */
  joinFailures: number
  /** Retried joins that gave up after 1 + config.retryJoinMax attempts. */
  joinRetriesExhausted: number
  /** Serf messages (user event, query, response, relay) handed to the serfEvents peer as `serf.message`. */
  serfMessagesRouted: number
  /** `swim.keyring` operations that changed the ring, and those refused. */
  keyringChanges: number
  keyringRefused: number
}

/** The part of the context a step of the core (and the runner around it) sets. */
export type SwimStatePatch = Pick<SwimContext, 'incarnation' | 'healthScore' | 'numNodes' | 'counters' | 'knownPeers' | 'streams' | keyof RunnerCounts | 'lease' | 'memberFeed'>

type AskKind = 'localStateFailures' | 'localMetaFailures'
const ASK_NAMES: Record<AskKind, string> = { localStateFailures: 'member.local-state', localMetaFailures: 'member.local-meta' }

export function createSwimRunner(env: ActorEnv) {
  let node: SwimCore | undefined
  /** Aborted when the node it belongs to stops: late replies of its asks are then ignored. */
  let asks = new AbortController()
  const timers = new Map<string, unknown>()
  const peers: SwimPeers = { gossipQueue: 'gossip-queue', memberManager: 'member-manager' }
  const counts: RunnerCounts = { undelivered: 0, leaseSubscribes: 0, localStateFailures: 0, localMetaFailures: 0, refused: 0, joinFailures: 0, joinRetriesExhausted: 0, serfMessagesRouted: 0, keyringChanges: 0, keyringRefused: 0, ...NO_GOSSAMER_COUNTS }
  /** Asked joins whose reply member-manager gives (JoinMsg.replyAfterMembers), until their join completes. */
  const viaMembers = new Set<ReplyTo<JoinReply>>()
  /** Members to rejoin, stream counts: what the context shows beyond the node, across restarts. */
  const carried = new CarriedState()
  /**
   * The last node's counters when it stopped: a restart in place goes on from them, since the
   * persisted context (throttled: persist-policy.ts) may be up to a second behind.
   */
  let lastCounters: Record<string, unknown> | undefined
  /**
   * The broadcasts gossip-queue lets us piggyback (immutable: every change makes a new object). It
   * outlives a node: a restart in place goes on with it; only its report timer is the node's.
   */
  let lease: PiggybackLease = emptyLease()
  /** When the batched report's timer (LEASE_REPORT_TIMER) is due, on the actor clock; undefined when not armed. */
  let reportDue: number | undefined
  let reportDelay = 1
  let roomReportDelay = 10
  /** When the last `gossip.lease-subscribe` went (actor clock, ms). */
  let subscribedAt = Number.NEGATIVE_INFINITY
  const subscribe = (): void => {
    subscribedAt = env.clock.now()
    counts.leaseSubscribes++
    toGossip({ type: 'gossip.lease-subscribe', to: env.id })
  }

  const deliver = (to: string, msg: Message): void => {
    const status = env.send(actorAddress<Message>(to), msg)
    if (status === 'unknown' || status === 'stopped' || status === 'rejected') counts.undelivered++
  }
  const toGossip = (msg: GossipQueueInbound) => deliver(peers.gossipQueue, msg)
  const info = (n: NodeRecord) => ({ name: n.name, addr: n.addr, port: n.port, meta: n.meta, vsn: n.vsn, incarnation: n.incarnation, state: n.state })
  // Everything for member-manager goes through one ordered, batched feed that waits for room in its
  // mailbox (member-feed.ts); the cluster size goes once per turn, the latest value (latest-tell.ts).
  const feed = createMemberFeed(env, {
    to: () => peers.memberManager,
    nodes: () => (node === undefined ? [] : Array.from(node.table.records(), info)),
    tableSize: () => node?.table.size() ?? 0,
    undelivered: () => void counts.undelivered++,
  })
  const toMember = (msg: MemberManagerInbound) => feed.message(msg)
  const clusterSize = createLatestTell<GossipQueueInbound>(env, () => peers.gossipQueue, () => void counts.undelivered++)
  /** Logs an ask failure at 1, 2, 4, 8, ... occurrences: visible without flooding the log. */
  const askFailed = (kind: AskKind, err: unknown, fallback: string): void => {
    const n = ++counts[kind]
    if ((n & (n - 1)) === 0) env.log.warn({ err: toWireError(err), count: n }, `swim: ${ASK_NAMES[kind]} ask failed; ${fallback}`)
  }
  const current = (): SwimCore => {
    if (node === undefined) throw new Error('swim: logic used before the transport was bound')
    return node
  }
  const ask = <M extends Message>(to: string, msg: M, timeoutMs: number, signal: AbortSignal) => env.ask(actorAddress<M>(to), msg, { timeoutMs, signal })

  const armTimer = (key: string, delayMs: number): void => {
    const old = timers.get(key)
    if (old !== undefined) env.clock.clearTimeout(old)
    timers.set(
      key,
      env.clock.setTimeout(() => {
        timers.delete(key)
        const msg: SwimInbound = { type: 'swim.timer', key }
        deliver(env.id, msg)
      }, delayMs),
    )
  }
  const disarmTimer = (key: string): void => {
    const t = timers.get(key)
    if (t === undefined) return
    env.clock.clearTimeout(t)
    timers.delete(key)
  }

  /** `from`: the core that decided it (a core stopped at a restart no longer reports its joins to the machine). */
  const route = (out: SwimOutput, from: SwimCore): void => {
    switch (out.type) {
      case 'node-joined':
        carried.membershipChanged()
        return feed.change('joined', info(out.node))
      case 'node-updated':
        carried.membershipChanged()
        return feed.change('updated', info(out.node))
      case 'node-left':
        carried.membershipChanged()
        return feed.change('left', info(out.node))
      case 'user-message': {
        // Gossamer's own messages go to their channel's receiver only (gossamer-route.ts).
        if (isGossamerPayload(out.bytes)) {
          const r = routeGossamer(out.bytes, out.from, from.nameAt(out.from), peers.gossamer)
          if ('drop' in r) {
            counts[r.drop]++
            return
          }
          counts.gossamerReceived++
          return deliver(r.to, r.msg)
        }
        // Serf's user events, queries, responses and relays go to serf-events when it is there,
        // each copy as it came (its dedupe is serf-events' business); the rest (intents) as before.
        if (peers.serfEvents !== undefined && out.bytes.length > 0 && SERF_EVENTS_MESSAGE_TYPES.has(out.bytes[0]!)) {
          counts.serfMessagesRouted++
          const msg: SerfMessageMsg = { type: 'serf.message', bytes: out.bytes, from: out.from }
          return deliver(peers.serfEvents, msg)
        }
        return toMember({ type: 'member.user-message', bytes: out.bytes })
      }
      case 'join-completed': {
        const failures = out.failures ?? []
        // memberlist logs each address it could not join at WARN ("Failed to join ...").
        for (const f of failures) env.log.warn({ code: f.code, address: f.address }, `swim: ${f.message}`)
        const done: JoinCompletedMsg = { type: 'member.join-completed', numJoined: out.numJoined, ...(out.reconnect === true ? { reconnect: true } : {}), ...(failures.length > 0 ? { errors: failures } : {}) }
        // An asked join gets its own outcome, even from a core that stopped meanwhile (it is still
        // what happened): from member-manager after the join's node changes when the asker wants
        // the members in its list (JoinMsg.replyAfterMembers), else from here.
        const forward = out.replyTo !== undefined && viaMembers.delete(out.replyTo)
        toMember(forward ? { ...done, replyTo: out.replyTo } : done)
        if (out.replyTo !== undefined && !forward) env.reply(out.replyTo, { type: 'swim.join-reply', numJoined: out.numJoined, errors: failures } satisfies JoinReply)
        // A join the machine tracks (runner.join): its result goes back to it, unless the core stopped meanwhile.
        if (out.purpose !== undefined && from === node) {
          const msg: JoinResultMsg = { type: 'swim.join-result', purpose: out.purpose as JoinPurpose, addresses: out.addresses ?? [], numJoined: out.numJoined, errors: out.errors }
          deliver(env.id, msg)
        }
        return
      }
      case 'conflict':
        // memberlist's NotifyConflict: member-manager reports it (and later resolves it by query).
        return toMember({ type: 'member.name-conflict', existing: info(out.existing), other: { addr: out.other.addr, port: out.other.port } })
      case 'left':
        deliver(env.id, { type: 'swim.left' })
        return toMember({ type: 'member.swim-left' })
      case 'cluster-size':
        return clusterSize.set({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: out.numNodes })
      default:
        // suspect / refuted / declared-dead: visible in swim's counters.
        return
    }
  }

  /** Sends the report of the sends since the last one, if any (the batch window ended, or the node stops). */
  const report = (): void => {
    // Before the first lease there is nothing to report (no sends; the room alone would be
    // refused by gossip-queue as a report of no epoch).
    if (lease.epoch === 0) return
    const taken = takeReport(lease)
    lease = taken.held
    if (taken.report !== undefined) toGossip(taken.report)
  }
  /**
   * One packet's broadcasts, from the lease, in this turn. Every pick (and every room offered,
   * which gossip-queue's unsendable check reads) is reported at the end of the batch window.
   */
  const fillFromLease = (overheadBytes: number, limitBytes: number): Uint8Array[] => {
    if (lease.epoch === 0) {
      // No lease yet: the subscribe may have found no gossip-queue. Asked again, at most once a window.
      if (env.clock.now() - subscribedAt >= roomReportDelay) subscribe()
      return []
    }
    // An empty lease (an idle cluster): nothing to pick, and the room offered is news to no one
    // (gossip-queue's unsendable check weighs it against queued broadcasts; a new one comes with a
    // new lease). No pick, no report, so no report-and-lease round trip each second while idle.
    if (lease.entries.length === 0) return NOTHING
    const pick = pickForPacket(lease, overheadBytes, limitBytes)
    lease = pick.held
    // A send that brings our leave's dead message to its tell limit is reported at once: the leave
    // finishes up to a batch window sooner (it must end within the agent's 3 s on SIGINT). Serf's
    // leave intent keeps the batch: the dead message follows once the intent's waiter is told, and
    // the intent's head start is what keeps peers from taking the leave for a failure.
    const due = pick.parts.length > 0 && pick.held.entries.some((e) => e.queue === 'memberlist' && e.tellAt !== undefined && e.transmits === e.tellAt && pick.held.pending.has(e.id))
    const delay = due ? 0 : pick.parts.length > 0 ? reportDelay : roomReportDelay
    const at = env.clock.now() + delay
    if (reportDue === undefined || at < reportDue) {
      reportDue = at
      armTimer(LEASE_REPORT_TIMER, delay)
    }
    return pick.parts
  }

  /**
   * How core `n`'s effects meet the world (made once per core): timers on the actor clock, packets
   * filled from the lease and sent in this turn (their results go back to the core), broadcasts to
   * gossip-queue, outputs routed, dials on the transport.
   */
  const handlersFor = (n: SwimCore, config: SwimConfig, transport: SwimTransport): SwimEffectHandlers => {
    const send = { udpBufferSize: config.udpBufferSize, compress: config.enableCompression, security: n.security, fill: fillFromLease, emit: (to: string, bytes: Uint8Array) => transport.sendPacket(to, bytes) }
    return {
      setTimer: armTimer,
      cancelTimer: disarmTimer,
      sendPacket: (req) => sendPacketRequest(req, send),
      enqueueBroadcast: (name, message, notifyId) =>
        toGossip({ type: 'gossip.enqueue', broadcast: notifyId === undefined ? { queue: 'memberlist', message, name } : { queue: 'memberlist', message, name, notify: { to: env.id, id: notifyId } } }),
      mergeRemoteUserState: (bytes, join) => toMember({ type: 'member.merge-remote-state', bytes, join }),
      emit: (out) => route(out, n),
      dial: (to, timeoutMs, cb) => transport.dialCallback(to, timeoutMs, cb),
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
    broadcastsWaiting: () => lease.epoch === 0 || lease.entries.length > 0,
  })

  /**
   * Serf's user state for core `n`'s push/pull (its `ask-user-state` effect `id`): asked of
   * member-manager, the answer fed back as the `user-state` input (empty bytes when the ask failed,
   * counted). Nothing goes back to a core that stopped meanwhile (its asks are aborted with it).
   */
  const askUserState = (n: SwimCore, config: SwimConfig, id: number, join: boolean): void => {
    const signal = asks.signal
    const answer = (bytes: Uint8Array): void => {
      if (signal.aborted || node !== n) return
      runEffects(n, n.advance({ type: 'user-state', id, bytes }))
    }
    ask<LocalStateMsg>(peers.memberManager, { type: 'member.local-state', join }, askTimeouts(config).localStateMs, signal).then(
      (reply) => {
        if (signal.aborted) return
        if (reply?.bytes instanceof Uint8Array) return answer(reply.bytes)
        askFailed('localStateFailures', new ClusterError('ERR_SWIM_BAD_REPLY', 'member.local-state reply without bytes'), 'sent without it')
        answer(new Uint8Array(0))
      },
      (err: unknown) => {
        if (signal.aborted) return
        askFailed('localStateFailures', err, 'sent without it')
        answer(new Uint8Array(0))
      },
    )
  }

  /** The lease as the context shows it, rebuilt only when the lease changed (it is immutable). */
  let shownLease: { of: PiggybackLease; view: LeaseView } | undefined
  const leaseShown = (): LeaseView => {
    if (shownLease?.of !== lease) shownLease = { of: lease, view: leaseView(lease) }
    return shownLease.view
  }
  /**
   * The swim state of the context: the core's own (plain data, taken as it is: no copy), and
   * beside it the runner's (its counts, the lease, the member feed, the table's projection).
   */
  const stateOf = (n: SwimCore): SwimStatePatch => ({ ...n.state, ...carried.view(n), ...counts, lease: leaseShown(), memberFeed: { ...feed.stats } })

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

    /**
     * member-manager's current local Meta, for the node's first alive. Never rejects: a failed or
     * malformed answer is counted and gives undefined (the caller falls back to the Meta it knows).
     */
    async fetchLocalMeta(timeoutMs: number, signal: AbortSignal): Promise<Uint8Array | undefined> {
      const fallback = 'starting with the Meta known before (member-manager sends changes as they come)'
      try {
        const reply = await ask<LocalMetaMsg>(peers.memberManager, { type: 'member.local-meta' }, timeoutMs, signal)
        if (reply?.meta instanceof Uint8Array) return reply.meta
        askFailed('localMetaFailures', new ClusterError('ERR_SWIM_BAD_REPLY', 'member.local-meta reply without meta'), fallback)
      } catch (err) {
        if (!signal.aborted) askFailed('localMetaFailures', err, fallback)
      }
      return undefined
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
      if (restored !== undefined) lease = resumeLease(lease, restored.lease)
      reportDelay = reportDelayMs(config)
      roomReportDelay = roomReportDelayMs(config)
      node = n
      handlers.set(n, handlersFor(n, config, transport))
      // Leases from now on (gossip-queue answers with a fresh one at once), before any packet goes.
      subscribe()
      transport.onPacket((p) => {
        const msg: SwimInbound = { type: 'swim.packet', from: p.from, bytes: p.bytes }
        deliver(env.id, msg)
      })
      transport.onStream((s) => {
        if (node !== undefined) return node.accept(s)
        counts.refused++
        s.close()
      })
      runEffects(n, n.advance({ type: 'start' }))
      return n
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
      runEffects(n, n.advance(input))
      return stateOf(n) // the state read once, after every step this action ran
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
      lease = acceptLease(lease, msg)
      // Broadcasts to send: a gossip tick parked while the lease was empty resumes, and news (an
      // entry not sent yet: its transmits count ours, replayed over the lease) may go sooner.
      if (lease.entries.length > 0 && node !== undefined) runEffects(node, node.advance({ type: 'broadcasts-waiting', fresh: lease.entries.some((e) => e.transmits === 0) }))
      return leaseShown()
    },

    /** The batch window of the lease report ended: the sends since the last report go now. */
    reportLease(): LeaseView {
      reportDue = undefined
      report()
      return leaseShown()
    },

    /** Ends the node, its timers and its pending asks (a restart, or the actor's stop). */
    stop(): void {
      asks.abort()
      asks = new AbortController()
      // Forgotten first: what the old node reports while it stops (its joins failing) is not ours.
      const old = node
      node = undefined
      if (old !== undefined) runEffects(old, old.advance({ type: 'stop' }))
      if (old !== undefined) lastCounters = { ...old.counters }
      for (const t of timers.values()) env.clock.clearTimeout(t)
      timers.clear()
      // The window's sends are reported now rather than lost with the timer.
      reportDue = undefined
      report()
    },

    /** The context's swim state now (after a start, or for an action that ran no step). */
    state(): SwimStatePatch {
      return stateOf(current())
    },
  }
}
