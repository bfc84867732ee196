/**
 * SwimCore: memberlist's behaviour for one node (spec §4). It owns the node table, the probe cycle
 * (probe.ts), suspicion timers, the gossip tick, push/pull (push-pull.ts) and leave. Its one entry
 * point, `step(input)`, takes a timer, a packet, a send's result or a request (join, leave, Meta,
 * a finished broadcast) and returns the effects it decided as plain data (effects.ts: packets,
 * broadcasts, timers, outputs), in the order it decided them; it reads time and randomness from
 * its SwimEnv. The swim actor's runner (swim-runner.ts) runs it; the simulator and hand-wired tests
 * run it through SwimNode (swim-node.ts), which carries the effects out on ports.
 *
 * Streams are the exception: an inbound stream is handed over with `accept(stream)`, and dials,
 * stream reads and the user-state ask answer through callbacks; what the core decides in them (or
 * when a test calls a concept file directly, outside a step) goes to `SwimEnv.run` at once.
 */
import type { Stream, TransportAddress, TransportError } from '../../src/transport/transport.ts'
import type { Ping } from '../../src/wire/memberlist.ts'
import type { StreamMessage } from '../../src/wire/stream.ts'
import { formatAddress } from '../../src/transport/transport.ts'
import { Awareness } from './awareness.ts'
import type { SwimConfig } from './config.ts'
import type { AliveMsg } from './messages.ts'
import { bytesEqual, vsnFor } from './messages.ts'
import { HandoffQueue } from './handoff-queue.ts'
import { INCARNATION_EXHAUSTED, NodeTable } from './node-table.ts'
import { maxBroadcastBytes, nameRule } from './acceptance.ts'
import type { Broadcast, NodeRecord, Outcome } from './node-table.ts'
import { decodeDatagram, encodeAlive, encodeDead, encodeSuspect, encodeUser, encryptionOverhead, securityOf } from './packets.ts'
import type { GossipMessage, WireSecurity } from './packets.ts'
import { PhiAccrualDetector } from './phi-accrual.ts'
import type { PacketRequest, SuspicionCause, SwimOutput } from './ports.ts'
import type { DialCallback, PacketSent, SendPacketEffect, SwimCoreInput, SwimEffect, SwimEnv } from './effects.ts'
import { kRandom } from './probe-list.ts'
import { Prober } from './probe.ts'
import { PushPull } from './push-pull.ts'
import { SwimCounters } from './counters.ts'
import type { SwimCountersView } from './counters.ts'
import { SuspicionRefresh } from './suspicion-refresh.ts'
import { StepOutbox } from './step-outbox.ts'
import { createCoordinateConfig } from '../../src/coordinate/config.ts'
import { NetworkCoordinates } from '../../src/coordinate/network-coordinates.ts'
import { createSeededRandom } from '../../src/types/random.ts'

export interface SwimIdentity {
  name: string
  addr: Uint8Array
  port: number
  meta?: Uint8Array
  vsn?: Uint8Array
  /** Incarnation to start at (a restart: above what peers may know, so our alive is news). Default 1. */
  incarnation?: number
}

/** What the core keeps as plain data (the swim context holds it unchanged): see SwimCore.state. */
export interface SwimCoreState {
  incarnation: number
  /** Lifeguard's awareness (0 = healthy). */
  healthScore: number
  /** Members in the table, us included. */
  numNodes: number
  counters: SwimCountersView
}

/** One step's outcome. */
export interface SwimStep {
  state: SwimCoreState
  effects: SwimEffect[]
}

/** Timer keys (set-timer effects key timers by string). */
/** Bytes of memberlist's CRC wrapper (type byte + CRC32). */
const CRC_WRAPPER_BYTES = 5

export const TIMER = { probeTick: 'probe-tick', gossipTick: 'gossip-tick', pushPullTick: 'push-pull-tick', leave: 'leave-timeout' } as const

export class SwimCore {
  readonly table: NodeTable
  readonly awareness: Awareness
  /** Where each step's effects are collected, and the counters (step-outbox.ts). */
  private readonly outbox: StepOutbox
  /** The state as last read; stale once a step copied the counters after it (see `state`). */
  private handedOut: SwimCoreState | undefined
  readonly prober: Prober
  readonly pushPull: PushPull
  /** staleSuspicionRefresh's local rules (suspicion-refresh.ts). */
  readonly refresh: SuspicionRefresh
  /** Encryption settings for every packet and stream (spec §3). */
  readonly security: WireSecurity
  /** Who sends from an address (packets carry no sender name); pruned with the node table. */
  private readonly addrIndex = new Map<TransportAddress, string>()
  /** The address each name is indexed under (to unindex it on an address change or removal). */
  private readonly addressByName = new Map<string, TransportAddress>()
  /** alive (high) and suspect/dead/user (low) messages waiting for the handler (spec §4.11). */
  readonly handoff: HandoffQueue<{ from: TransportAddress; m: GossipMessage }>
  private draining = false
  private readonly phi = new Map<string, PhiAccrualDetector>()
  private readonly suspicionStart = new Map<string, number>()
  private started = false
  private stopped = false
  /** The gossip tick found nothing to send and was not re-armed (env.broadcastsWaiting). */
  private gossipParked = false
  /** When the last gossip round went, and when the armed gossip tick is due (actor clock, ms). */
  private lastGossipAt = Number.NEGATIVE_INFINITY
  private gossipDueAt = Number.POSITIVE_INFINITY
  private leaveState: 'none' | 'waiting' | 'done' = 'none'
  private lastSize = 0
  /**
   * Serf's ping delegate (spec §7): our coordinate goes in every ack we send; a probe acked
   * directly within probeTimeoutMs feeds the client with its RTT and the peer's coordinate.
   */
  readonly coordinates: NetworkCoordinates
  /** Our ack payload, encoded once per coordinate change (null: our coordinate could not be encoded). */
  private ackPayloadCache: Uint8Array | null | undefined

  constructor(
    readonly config: SwimConfig,
    readonly identity: SwimIdentity,
    readonly env: SwimEnv,
  ) {
    this.outbox = new StepOutbox(env, { ...new SwimCounters() })
    this.awareness = new Awareness(config.awarenessMaxMultiplier)
    this.security = securityOf(config, env.nonce)
    this.table = new NodeTable(
      {
        self: { name: identity.name, addr: identity.addr, port: identity.port, meta: identity.meta ?? new Uint8Array(0), vsn: identity.vsn ?? vsnFor(config.protocolVersion) },
        random: () => env.random(),
        suspicionMult: config.suspicionMult,
        suspicionMaxTimeoutMult: config.suspicionMaxTimeoutMult,
        probeIntervalMs: config.probeIntervalMs,
        staleSuspicionRefresh: config.staleSuspicionRefresh,
        deadNodeReclaimTimeMs: config.deadNodeReclaimTimeMs,
        maxMessageBytes: maxBroadcastBytes(config.udpBufferSize, this.security),
      },
      env.now(),
    )
    if (identity.incarnation !== undefined && identity.incarnation > this.table.self().incarnation) this.table.self().incarnation = identity.incarnation
    this.handoff = new HandoffQueue(config.handoffQueueDepth)
    this.addrIndex.set(this.selfAddress, identity.name)
    this.addressByName.set(identity.name, this.selfAddress)
    // Its own seeded stream (from the name, no draw from env.random): the Vivaldi client draws only
    // when two positions coincide, and swim's own random sequence stays as it was.
    this.coordinates = new NetworkCoordinates(identity.name, createCoordinateConfig({}), createSeededRandom(seedOf(identity.name)))
    this.prober = new Prober(this)
    this.pushPull = new PushPull(this)
    this.refresh = new SuspicionRefresh(this)
  }

  get selfAddress(): TransportAddress {
    return formatAddress(this.identity.addr, this.identity.port)
  }

  /**
   * The core's entry point: one input in, the new state and the effects it decided out, in order
   * (effects.ts). A step may run inside another's effects (a send's result, a notice the runner
   * delivers at once): each step collects its own.
   */
  step(input: SwimCoreInput): SwimStep {
    const effects = this.advance(input)
    return { state: this.state, effects }
  }

  /**
   * `step` without reading the state: for a runner that reads it once after several steps (the
   * actor: once per action, however many send results fed back) or never (the simulator). A
   * state is only copied on write after it was read, so this saves the copy of the counters.
   */
  advance(input: SwimCoreInput): SwimEffect[] {
    return this.outbox.within(() => this.dispatch(input))
  }

  /**
   * The scalar state and counters as plain data (the swim context keeps it as it is). Not changed
   * after it is read: the next step works on a copy of the counters. The node table stays in the
   * core (a persisted projection: numNodes here, knownPeers in the runner; see machine.ts).
   */
  get state(): SwimCoreState {
    // Still valid while no step copied the counters since it was read (every change happens in a step).
    if (this.handedOut !== undefined && this.handedOut.counters === this.outbox.counters) return this.handedOut
    this.handedOut = { incarnation: this.table.self().incarnation, healthScore: this.awareness.getHealthScore(), numNodes: this.table.size(), counters: this.outbox.share() }
    return this.handedOut
  }

  /** The counters of the running step (concept files count through it). */
  get counters(): SwimCountersView {
    return this.outbox.counters
  }

  /** Work that I/O starts outside any step, run as one (StepOutbox.enter). */
  enter(fn: () => void): void {
    this.outbox.enter(fn)
  }

  /** Serf's LocalState for a push/pull; `cb` runs as a step. */
  localUserState(join: boolean, cb: (bytes: Uint8Array) => void): void {
    this.outbox.localUserState(join, cb)
  }

  private dispatch(input: SwimCoreInput): void {
    switch (input.type) {
      case 'start':
        return this.startTickers(input.steadyState === true)
      case 'stop':
        return this.stopAll()
      case 'timer':
        return this.timer(input.key)
      case 'packet':
        return this.packet(input.from, input.bytes)
      case 'packet-sent':
        return this.packetSent(input.effect, input.sent)
      case 'join':
        return this.pushPull.join(input.addresses, input.reconnect === true, input.purpose, input.replyTo)
      case 'leave':
        return this.leaveCluster(input.timeoutMs)
      case 'broadcast-finished':
        if (input.notifyId === 'leave' && this.leaveState === 'waiting') this.finishLeave()
        return
      case 'meta':
        if (bytesEqual(input.meta, this.table.self().meta)) return
        return this.broadcast({ type: 'alive', msg: this.table.updateSelfMeta(input.meta) })
      case 'send-user':
        return this.sendUser(input.to, input.bytes)
      case 'broadcasts-waiting':
        return this.broadcastsWaiting(input.fresh === true)
    }
  }

  /**
   * memberlist SendBestEffort / SendToAddress: one user message in one datagram, no piggyback (a
   * query's ack must not wait for room), CRC when the address is a member that speaks protocol 5
   * (rawSendMsgPacket looks the node up). Nothing is queued: too large is refused and counted.
   */
  private sendUser(to: TransportAddress, bytes: Uint8Array): void {
    if (this.stopped) return
    const msg = encodeUser(bytes)
    const name = this.addrIndex.get(to)
    const rec = name === undefined ? undefined : this.table.get(name)
    const crc = rec !== undefined && (rec.vsn[1] ?? 0) >= 5
    // The datagram: the message, a CRC wrapper (5 bytes) and the sealing's overhead (29 bytes).
    if (msg.length + (crc ? CRC_WRAPPER_BYTES : 0) + encryptionOverhead(this.security) > this.config.udpBufferSize) {
      this.counters.userMessagesTooLarge++
      return
    }
    const e: SendPacketEffect = { type: 'send-packet', to, messages: [msg], piggyback: false, crc, cause: 'user' }
    this.outbox.effect(e)
  }

  /** The Payload of our acks: `[PING_VERSION][msgpack coordinate]` (null if ours cannot be encoded). */
  ackPayload(): Uint8Array | null {
    if (this.ackPayloadCache === undefined) {
      try {
        this.ackPayloadCache = this.coordinates.ackPayload()
      } catch {
        // The client resets a NaN or infinite coordinate, so this guards a bug only: acks go without it.
        this.ackPayloadCache = null
      }
    }
    return this.ackPayloadCache
  }

  /** memberlist NotifyPingComplete: our probe of `node` was acked directly after `rttMs` with `payload`. */
  pingComplete(node: string, payload: Uint8Array | null, rttMs: number): void {
    const o = this.coordinates.onPingComplete(node, payload, rttMs)
    const c = this.counters
    if (o.type === 'no-coordinate') c.coordinateAcksWithout++
    else if (o.type === 'rejected') {
      c.coordinateRejected++
      c.lastCoordinateError = o.error.code
    } else {
      c.coordinateUpdates++
      if (o.reset) c.coordinateResets++
      this.ackPayloadCache = undefined
    }
  }

  /** Opens a stream (a dial effect); `cb` hears the outcome through `dialed`. */
  dial(to: TransportAddress, timeoutMs: number, cb: DialCallback): void {
    this.outbox.dial(to, timeoutMs, cb)
  }

  /** A dial's outcome (called by whoever ran the dial effect; outside a step: a stream is not data). */
  dialed(id: number, err: TransportError | undefined, stream?: Stream): void {
    this.outbox.dialed(id, err, stream)
  }

  setTimer(key: string, delayMs: number): void {
    this.outbox.setTimer(key, delayMs)
  }

  cancelTimer(key: string): void {
    this.outbox.cancelTimer(key)
  }

  emit(output: SwimOutput): void {
    this.outbox.emit(output)
  }

  /** Serf's MergeRemoteState for a push/pull's user state. */
  mergeRemoteUserState(bytes: Uint8Array, join: boolean): void {
    this.outbox.mergeRemoteUserState(bytes, join)
  }

  /**
   * Starts the tickers, each after a random stagger below its interval (spec §4.2). memberlist
   * staggers the first push/pull within the unscaled interval; `steadyState` staggers it within the
   * scaled one instead, as in a cluster that has been running for a while (simulation warm starts).
   */
  private startTickers(steadyState: boolean): void {
    if (this.started) return
    this.started = true
    const { probeIntervalMs, gossipIntervalMs, gossipNodes, pushPullIntervalMs } = this.config
    this.setTimer(TIMER.probeTick, Math.floor(this.env.random() * probeIntervalMs))
    if (gossipNodes > 0 && gossipIntervalMs > 0) this.armGossip(Math.floor(this.env.random() * gossipIntervalMs))
    if (pushPullIntervalMs > 0) {
      const span = steadyState ? pushPullScale(pushPullIntervalMs, this.table.size()) : pushPullIntervalMs
      this.setTimer(TIMER.pushPullTick, Math.floor(this.env.random() * span))
    }
    // memberlist's setAlive: our own alive goes out with the first gossip, and the delegate hears
    // NotifyJoin about ourselves (Serf adds its local member that way).
    this.broadcast({ type: 'alive', msg: this.table.selfAlive() })
    this.emit({ type: 'node-joined', node: this.table.self() })
    this.reportSize()
  }

  private armGossip(delayMs: number): void {
    this.gossipDueAt = this.env.now() + delayMs
    this.setTimer(TIMER.gossipTick, delayMs)
  }

  /**
   * A lease with entries came (`fresh`: one of them this node never sent). memberlist sends news
   * at its next gossip tick, a random 0 to gossipIntervalMs away. Ours:
   * - a parked tick resumes at once (the last round was a whole interval ago or more);
   * - fresh news while the tick is armed goes out half an interval after the last round, if the
   *   armed tick is due later than that. Without this, news that came just after a round (a join's
   *   alive a moment after the one that woke the parked tick) waited a whole interval, where
   *   memberlist's news waits half a one on average.
   * Rounds stay at least half an interval apart: at most twice memberlist's gossip rate, and only
   * while news keeps coming; with none the ticks keep their interval (or park). Not while our own
   * leave runs: memberlist sends its dead message a whole interval after the round that finished
   * Serf's leave intent, and peers that get the dead before the intent report us failed.
   */
  private broadcastsWaiting(fresh: boolean): void {
    if (this.stopped || this.config.gossipNodes <= 0 || this.config.gossipIntervalMs <= 0) return
    const now = this.env.now()
    if (this.gossipParked) {
      this.gossipParked = false
      return this.armGossip(0)
    }
    if (!fresh || this.leaveState !== 'none') return
    const earliest = Math.max(now, this.lastGossipAt + Math.floor(this.config.gossipIntervalMs / 2))
    if (earliest < this.gossipDueAt) this.armGossip(earliest - now)
  }

  /** Stops every ticker and timer we know of (shutdown or crash of the host). */
  private stopAll(): void {
    this.stopped = true
    for (const key of [TIMER.probeTick, TIMER.gossipTick, TIMER.pushPullTick, TIMER.leave]) this.cancelTimer(key)
    this.prober.stop()
    this.pushPull.stop() // streams still open (push/pulls, fallback pings) close with the node
    for (const name of this.suspicionStart.keys()) this.cancelTimer(`suspect:${name}`)
    this.suspicionStart.clear()
    this.refresh.clear()
    this.handoff.clear()
  }

  isStopped(): boolean {
    return this.stopped
  }

  /** One request and its answer on a stream (probe.ts's TCP fallback ping goes through push-pull.ts). */
  streamRequest(stream: Stream, request: Uint8Array, deadlineMs: number, cb: (msg: StreamMessage | undefined) => void): void {
    this.pushPull.request(stream, request, deadlineMs, cb)
  }

  /** A ping that came by stream (push-pull.ts reads it; probe.ts answers it). */
  answerStreamPing(stream: Stream, m: Ping): void {
    this.prober.answerStreamPing(stream, m)
  }

  /** Dispatches a due timer. */
  private timer(key: string): void {
    if (this.stopped) return
    if (key === TIMER.probeTick) {
      this.setTimer(TIMER.probeTick, this.config.probeIntervalMs)
      this.prober.tick()
    } else if (key === TIMER.gossipTick) {
      // Nothing to gossip (memberlist's tick would find getBroadcasts empty and send nothing):
      // parked, not re-armed, until broadcasts wait again.
      this.gossipDueAt = Number.POSITIVE_INFINITY
      if (this.env.broadcastsWaiting?.() === false) {
        this.gossipParked = true
        return
      }
      this.armGossip(this.config.gossipIntervalMs)
      // A round only when it had someone to send to: a lone node's ticks hold no news back.
      if (this.gossip() > 0) this.lastGossipAt = this.env.now()
    } else if (key === TIMER.pushPullTick) {
      this.setTimer(TIMER.pushPullTick, pushPullScale(this.config.pushPullIntervalMs, this.table.size()))
      this.pushPull.periodic()
    } else if (key === TIMER.leave) {
      this.finishLeave()
    } else if (key.startsWith('suspect:')) {
      this.suspicionTimer(key.slice(8))
    } else if (key.startsWith('pp:')) {
      this.pushPull.onTimer(key)
    } else {
      this.prober.onTimer(key)
    }
  }

  /** One datagram from the transport. */
  private packet(from: TransportAddress, bytes: Uint8Array): void {
    if (this.stopped) return
    let decoded
    try {
      decoded = decodeDatagram(bytes, this.security)
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'ERR_WIRE_DECRYPT' || code === 'ERR_WIRE_ENCRYPTION_REQUIRED') this.counters.packetsUndecryptable++
      else this.counters.packetsMalformed++
      return
    }
    this.counters.packetsIn++
    this.counters.partsInvalid += decoded.invalidParts
    this.counters.partsTruncated += decoded.truncatedParts
    const sender = this.addrIndex.get(from)
    if (sender !== undefined) this.heardFrom(sender)
    // memberlist's packet path answers probe traffic at once and hands gossip to the handler
    // queues; the handler drains them (high first, newest first) right after, as ours runs on
    // the same thread. A full queue drops the message and counts it.
    for (const m of decoded.messages) {
      if (m.type === 'ping' || m.type === 'indirectPing' || m.type === 'ack' || m.type === 'nack') this.onMessage(from, m)
      else if (!this.handoff.push({ from, m }, m.type === 'alive')) this.counters.handoffDropped++
    }
    this.drainHandoff()
    // After the packet's own messages: it may have carried the sender's refutation.
    if (sender !== undefined) this.refresh.heardFrom(from, sender)
  }

  private drainHandoff(): void {
    if (this.draining) return
    this.draining = true
    try {
      for (let next = this.handoff.pop(); next !== undefined && !this.stopped; next = this.handoff.pop()) this.onMessage(next.from, next.m)
    } finally {
      this.draining = false
    }
  }

  /** An inbound stream (push/pull, fallback ping, user message): read outside any step (see the header). */
  accept(stream: Stream): void {
    if (this.stopped) {
      stream.close()
      return
    }
    this.outbox.enter(() => this.pushPull.accept(stream))
  }

  /** Serf's reconnect: the address of a known node by its raw IP and port (port 0: ours). */
  reconnectAddress(addr: Uint8Array, port: number): TransportAddress {
    return formatAddress(addr, port === 0 ? this.identity.port : port)
  }

  /** memberlist Leave: broadcast dead{self, From: self}; `left` once it has spread or timed out. */
  private leaveCluster(timeoutMs: number): void {
    if (this.leaveState !== 'none') return
    this.leaveState = 'waiting'
    const out = this.table.leave(this.env.now())
    const anyoneAlive = [...this.table.records()].some((n) => n.name !== this.table.selfName && n.state === 'alive')
    if (out.broadcast !== undefined) this.broadcast(out.broadcast, anyoneAlive ? 'leave' : undefined)
    if (!anyoneAlive) return this.finishLeave()
    this.setTimer(TIMER.leave, timeoutMs)
  }

  // ------------------------------------------------------------------------------------------
  // Used by probe.ts and push-pull.ts
  // ------------------------------------------------------------------------------------------

  /** The member whose bound address is `addr` (a datagram's source), if known. */
  nameAt(addr: TransportAddress): string | undefined {
    return this.addrIndex.get(addr)
  }

  addressOf(n: NodeRecord): TransportAddress {
    return formatAddress(n.addr, n.port === 0 ? this.identity.port : n.port)
  }

  /** A sign of life from `name` (packets and acks), for the phi detector. */
  heardFrom(name: string): void {
    if (this.config.failureDetector !== 'phi') return
    let d = this.phi.get(name)
    if (d === undefined) {
      d = new PhiAccrualDetector({
        windowSize: this.config.phiWindowSize,
        minStdDevMs: this.config.phiMinStdDevMs,
        acceptablePauseMs: this.config.phiAcceptablePauseMs,
        firstHeartbeatEstimateMs: this.config.probeIntervalMs,
      })
      this.phi.set(name, d)
    }
    d.heartbeat(this.env.now())
  }

  /** φ of `name` now, or `aheadMs` from now if nothing is heard in between. */
  phiOf(name: string, aheadMs = 0): number {
    return this.phi.get(name)?.phi(this.env.now() + aheadMs) ?? 0
  }

  /** Applies what the node table decided: broadcasts, events, suspicion timers. */
  /** `cause` tells where a suspicion came from (reported with 'suspect'). */
  apply(o: Outcome, cause: SuspicionCause = 'gossip'): void {
    if (o.result === 'refused') this.countRefusal(o.reason ?? '')
    if (o.cancelSuspicion !== undefined) this.cancelSuspicion(o.cancelSuspicion)
    if (o.result === 'refuted') {
      this.counters.refutations++
      this.awareness.applyDelta(1)
      this.emit({ type: 'refuted', incarnation: this.table.self().incarnation })
    }
    // memberlist's NotifyConflict, from the gossip path and the push/pull path alike (aliveNode runs for both).
    if (o.result === 'conflict' && o.existing !== undefined) {
      this.counters.conflicts++
      if (o.other !== undefined) this.emit({ type: 'conflict', existing: o.existing, other: o.other })
    }
    if (o.broadcast !== undefined) this.broadcast(o.broadcast)
    if (o.suspicion !== undefined) this.armSuspicion(o.suspicion.node, o.suspicion.deadlineMs, o.suspicion.startMs, o.result === 'accepted')
    if (o.result === 'accepted' && o.broadcast?.type === 'suspect') {
      this.counters.suspicions++
      this.emit({ type: 'suspect', node: o.broadcast.msg.node, from: o.broadcast.msg.from, cause })
    }
    if (o.event !== undefined) {
      const n = o.event.node
      if (o.event.kind !== 'leave') this.indexAddress(n)
      if (o.event.kind === 'join') this.emit({ type: 'node-joined', node: n })
      else if (o.event.kind === 'update') this.emit({ type: 'node-updated', node: n })
      else this.emit({ type: 'node-left', node: n })
      // Our leave waits for its dead message to reach its transmit limit, which takes members to
      // gossip to: when the last one went (two nodes leaving at once), nobody is left to tell and
      // waiting would only run into the timeout (memberlist checks anyAlive once, at the start).
      if (o.event.kind === 'leave' && this.leaveState === 'waiting' && !this.anyoneToTell()) this.finishLeave()
    }
    this.reportSize()
  }

  /** Every packet swim sends goes through here; its result comes back as `packet-sent` and is counted per cause. */
  sendPacket(req: PacketRequest, gossip?: SendPacketEffect['gossip']): void {
    const e: SendPacketEffect = { type: 'send-packet', to: req.to, messages: req.messages, piggyback: req.piggyback, crc: req.crc }
    if (gossip !== undefined) e.gossip = gossip
    this.outbox.effect(e)
  }

  /** A send's result: counted; a gossip tick goes on to its next target unless the fill was empty. */
  private packetSent(e: SendPacketEffect, sent: PacketSent): void {
    this.countSend(sent.result, sent.errorCode)
    if (e.cause === 'user') {
      if (sent.result === 'sent' || sent.result === 'unconfirmed') this.counters.userMessagesSent++
      else if (sent.result === 'too-large') this.counters.userMessagesTooLarge++
      else this.counters.userMessagesFailed++
    }
    if (e.gossip === undefined) return
    if (sent.result === 'empty') {
      this.counters.gossipEmpty++
      return
    }
    this.gossipTo(e.gossip.targets, e.gossip.index + 1)
  }

  private countSend(result: PacketSent['result'], code: string | undefined): void {
    const c = this.counters
    switch (result) {
      case 'sent':
        c.packetsSent++
        return
      case 'empty':
        return
      case 'too-large':
        c.sendTooLarge++
        return
      case 'closed':
        c.sendClosed++
        return
      case 'failed':
        c.sendFailed++
        c.lastSendErrorCode = code ?? 'ERR_UNKNOWN'
        return
      case 'unconfirmed':
        c.sendUnconfirmed++
        return
    }
  }

  /**
   * Encodes and queues a broadcast. The node table only broadcasts what passed acceptance.ts, so
   * the encoder cannot refuse it; should a bug ever make it, the broadcast is counted and dropped
   * (broadcastsUnencodable, lastBroadcastError) instead of taking the node down.
   */
  broadcast(b: Broadcast, notifyId?: string): void {
    let bytes: Uint8Array
    try {
      bytes = b.type === 'alive' ? encodeAlive(b.msg) : b.type === 'suspect' ? encodeSuspect(b.msg) : encodeDead(b.msg)
    } catch (err) {
      this.counters.broadcastsUnencodable++
      this.counters.lastBroadcastError = `${b.type} ${JSON.stringify(b.msg.node)}: ${err instanceof Error ? err.message : String(err)}`
      return
    }
    this.outbox.effect(notifyId === undefined ? { type: 'enqueue-broadcast', name: b.msg.node, message: bytes } : { type: 'enqueue-broadcast', name: b.msg.node, message: bytes, notifyId })
  }

  /** A message refused by what swim accepts (acceptance.ts), or a rumour about us we cannot refute. */
  private countRefusal(reason: string): void {
    if (reason === INCARNATION_EXHAUSTED) {
      this.counters.refutationsImpossible++
      return
    }
    this.counters.messagesRefused++
    this.counters.lastRefusal = reason
  }

  reportSize(): void {
    const n = this.table.size()
    if (n !== this.lastSize) {
      this.lastSize = n
      this.emit({ type: 'cluster-size', numNodes: n })
    }
  }

  /**
   * memberlist resetNodes at a probe-list wrap: removes dead/left nodes past gossipToTheDead from
   * the table and every per-node record we keep about them (address index, φ history, suspicion
   * timers, refresh state), so long-running nodes hold state for the current table only.
   */
  reapDead(): string[] {
    const removed = this.table.removeExpiredDead(this.env.now(), this.config.gossipToTheDeadTimeMs)
    for (const name of removed) {
      const addr = this.addressByName.get(name)
      this.addressByName.delete(name)
      if (addr !== undefined && this.addrIndex.get(addr) === name) this.addrIndex.delete(addr)
      this.phi.delete(name)
      // Serf forgets a reaped member's coordinate and its latency samples.
      this.coordinates.forget(name)
      if (this.suspicionStart.delete(name)) this.cancelTimer(`suspect:${name}`)
      this.refresh.forget(name)
    }
    this.reportSize()
    return removed
  }

  /** Sizes of every per-node structure (tests and diagnostics: each stays within the table's size). */
  footprint(): { nodes: number; probeList: number; suspicions: number; addrIndex: number; phi: number; suspicionTimers: number; refresh: number } {
    return {
      nodes: this.table.size(),
      probeList: this.table.probeList.size(),
      suspicions: this.table.suspicionCount(),
      addrIndex: this.addrIndex.size,
      phi: this.phi.size,
      suspicionTimers: this.suspicionStart.size,
      refresh: this.refresh.size(),
    }
  }

  /** Nodes that are alive, other than us (and other than `except`). */
  aliveOthers(except?: string): NodeRecord[] {
    const out: NodeRecord[] = []
    for (const n of this.table.records()) if (n.state === 'alive' && n.name !== this.table.selfName && n.name !== except) out.push(n)
    return out
  }

  // ------------------------------------------------------------------------------------------

  private onMessage(from: TransportAddress, m: GossipMessage): void {
    const now = this.env.now()
    switch (m.type) {
      case 'indirectPing': {
        // We relay Node in a ping of our own: a name we cannot re-send as it came is refused.
        const rule = m.Node === '' ? undefined : nameRule(m.Node)
        if (rule !== undefined) return this.countRefusal(`indirectPing.Node ${rule}`)
        return this.prober.onMessage(from, m)
      }
      case 'ping':
      case 'ack':
      case 'nack':
        return this.prober.onMessage(from, m)
      case 'alive': {
        const a: AliveMsg = { incarnation: m.Incarnation, node: m.Node, addr: m.Addr, port: m.Port, meta: m.Meta, vsn: m.Vsn }
        return this.apply(this.table.alive(a, now))
      }
      case 'suspect':
      case 'dead': {
        const msg = { incarnation: m.Incarnation, node: m.Node, from: m.From }
        const o = m.type === 'suspect' ? this.table.suspect(msg, now) : this.table.dead(msg, now)
        // A stale rumour about us (below our incarnation) leaves the table as it was, so answering
        // it after the table had its say is what answering it first was; a refused one gets no answer.
        if (o.result === 'refuted') {
          this.apply(o)
          this.refresh.tellAccuser(from, m.From)
          return
        }
        if (o.result !== 'refused') this.refresh.answerStaleRumour(from, m.Node, m.Incarnation)
        return this.apply(o)
      }
      case 'user':
        this.counters.userMessagesIn++
        return this.emit({ type: 'user-message', bytes: m.Payload, from })
    }
  }

  /**
   * memberlist gossip(): up to gossipNodes random targets, each gets a fresh batch (spec §4.7).
   * The batches are asked one after the other and the tick ends at the first empty one, as
   * memberlist returns when getBroadcasts has nothing: later fills would come back empty too.
   * Returns how many members the round picked to send to.
   */
  private gossip(): number {
    const now = this.env.now()
    const { table } = this
    // Sample names from the probe list (no per-tick copy of the table: this runs 5×/s per node).
    const targets = kRandom(table.probeList.list(), this.config.gossipNodes, () => this.env.random(), (name) => {
      if (name === table.selfName) return false
      const n = table.get(name)
      if (n === undefined) return false
      if (n.state === 'alive' || n.state === 'suspect') return true
      return n.state === 'dead' && now - n.stateChangeMs <= this.config.gossipToTheDeadTimeMs
    })
    this.gossipTo(targets, 0)
    return targets.length
  }

  /** The gossip packet to targets[i] (or the next one still known); the send's result decides on the rest. */
  private gossipTo(targets: string[], i: number): void {
    // A send's result may come back after a stop.
    for (; i < targets.length && !this.stopped; i++) {
      const n = this.table.get(targets[i]!)
      if (n === undefined) continue
      this.sendPacket({ to: this.addressOf(n), messages: [], piggyback: true, crc: (n.vsn[1] ?? 0) >= 5 }, { targets, index: i })
      return
    }
  }

  private indexAddress(n: NodeRecord): void {
    const addr = this.addressOf(n)
    const old = this.addressByName.get(n.name)
    if (old === addr) return
    // A left node that came back at another address: its old address no longer names it.
    if (old !== undefined && this.addrIndex.get(old) === n.name) this.addrIndex.delete(old)
    this.addressByName.set(n.name, addr)
    this.addrIndex.set(addr, n.name)
  }

  private armSuspicion(node: string, deadlineMs: number, startMs: number, fresh: boolean): void {
    const key = `suspect:${node}`
    if (this.config.failureDetector === 'phi') {
      // Confirmations do not change a phi check; a fresh suspicion starts the periodic check.
      if (!fresh) return
      this.suspicionStart.set(node, startMs)
      this.setTimer(key, this.config.probeIntervalMs)
      return
    }
    this.suspicionStart.set(node, startMs)
    this.setTimer(key, this.refresh.firstWake(deadlineMs))
  }

  private cancelSuspicion(node: string): void {
    this.refresh.forget(node)
    if (this.suspicionStart.delete(node)) this.cancelTimer(`suspect:${node}`)
  }

  private suspicionTimer(node: string): void {
    const startMs = this.suspicionStart.get(node)
    if (startMs === undefined) return
    if (this.config.failureDetector === 'phi' && this.phiOf(node) < this.config.phiThreshold) {
      const rec = this.table.get(node)
      if (rec !== undefined && rec.state === 'suspect') {
        this.refresh.phiWake(rec)
        this.setTimer(`suspect:${node}`, this.config.probeIntervalMs)
      } else this.suspicionStart.delete(node)
      return
    }
    const again = this.refresh.wake(node, startMs)
    if (again !== undefined) return this.setTimer(`suspect:${node}`, again)
    this.suspicionStart.delete(node)
    this.refresh.forget(node)
    const o = this.table.suspicionExpired(node, startMs, this.env.now())
    if (o.result === 'accepted') {
      this.counters.deathsDeclared++
      this.emit({ type: 'declared-dead', node })
    }
    this.apply(o)
  }

  /** Another member our gossip still goes to (memberlist's anyAlive: neither dead nor left). */
  private anyoneToTell(): boolean {
    for (const n of this.table.records()) if (n.name !== this.table.selfName && (n.state === 'alive' || n.state === 'suspect')) return true
    return false
  }

  private finishLeave(): void {
    if (this.leaveState === 'done') return
    this.leaveState = 'done'
    this.cancelTimer(TIMER.leave)
    this.emit({ type: 'left' })
  }
}

/** A 32-bit seed from a node name (FNV-1a): the coordinate client's stream, the same for a name in every run. */
function seedOf(name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0
  return h
}

/** memberlist pushPullScale (spec §4.8): the interval grows with log2(n) above 32 nodes. */
export function pushPullScale(intervalMs: number, n: number): number {
  const threshold = 32
  if (n <= threshold) return intervalMs
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(threshold)) + 1
  return multiplier * intervalMs
}
