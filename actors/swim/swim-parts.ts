/**
 * The parts of one swim node (the node table, awareness, the concept files' objects, the step's
 * outbox) and the narrow hosts they are given: each concept file declares what it needs from its
 * node (ProbeHost, PushPullHost, RefreshHost, SuspicionTimersHost, GossipHost, LeaveHost,
 * IntakeHost, SendHost, OutcomeHost), and this class provides them, so no concept file imports
 * it or the core, and nothing imports in a cycle. SwimCore (swim-core.ts) adds the dispatcher on
 * top: the step, the timers by key, start and stop. Nothing here runs outside a step except the
 * stream callbacks (see swim-core.ts's header).
 */
import type { Stream, TransportAddress, TransportError } from '../../src/transport/transport.ts'
import type { Ping } from '../../src/wire/memberlist.ts'
import type { StreamMessage } from '../../src/wire/stream.ts'
import type { NetworkCoordinates } from '../../src/coordinate/network-coordinates.ts'
import { formatAddress } from '../../src/transport/transport.ts'
import { Awareness } from './awareness.ts'
import type { SwimConfig } from './config.ts'
import { vsnFor } from './messages.ts'
import type { HandoffQueue } from './handoff-queue.ts'
import { NodeTable } from './node-table.ts'
import { maxBroadcastBytes } from './acceptance.ts'
import type { Broadcast, NodeRecord, Outcome } from './node-table.ts'
import { securityOf } from './packets.ts'
import type { GossipMessage, WireSecurity } from './packets.ts'
import type { DialCallback, GossipRound, PacketRequest, SuspicionCause, SwimEffect, SwimEnv, SwimOutput } from './effects.ts'
import { Prober } from './probe.ts'
import { PushPull } from './push-pull.ts'
import { SwimCounters } from './counters.ts'
import type { SwimCountersView } from './counters.ts'
import { SuspicionRefresh } from './suspicion-refresh.ts'
import { StepOutbox } from './step-outbox.ts'
import { AddressIndex, memberAddress } from './address-index.ts'
import { applyOutcome } from './apply-outcome.ts'
import { GossipTicker } from './gossip-ticker.ts'
import { Leave } from './leave.ts'
import { PacketIntake } from './packet-intake.ts'
import { PingDelegate, coordinatesFor } from './ping-delegate.ts'
import { SendAccounting } from './send-accounting.ts'
import { SuspicionTimers } from './suspicion-timers.ts'
import { SuspectProbes } from './suspect-probes.ts'
import type { SwimIdentity } from './core-state.ts'


export class SwimParts {
  readonly table: NodeTable
  readonly awareness: Awareness
  /** Where each step's effects are collected, and the counters (step-outbox.ts). */
  protected readonly outbox: StepOutbox
  readonly prober: Prober
  readonly pushPull: PushPull
  /** staleSuspicionRefresh's local rules (suspicion-refresh.ts). */
  readonly refresh: SuspicionRefresh
  /** Encryption settings for every packet and stream (spec §3). */
  readonly security: WireSecurity
  /** Serf's Vivaldi client: our coordinate goes in acks, direct acks feed it (ping-delegate.ts). */
  readonly coordinates: NetworkCoordinates
  protected readonly addresses: AddressIndex
  protected readonly suspicions: SuspicionTimers
  protected readonly gossip: GossipTicker
  protected readonly departure: Leave
  protected readonly intake: PacketIntake
  protected readonly sends: SendAccounting
  protected readonly ping: PingDelegate
  /** fastCrashDetection's out-of-turn probes of suspects we heard of (suspect-probes.ts). */
  readonly suspectProbes: SuspectProbes
  protected stopped = false
  private lastSize = 0

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
    this.addresses = new AddressIndex(identity.name, this.selfAddress)
    this.coordinates = coordinatesFor(identity.name)
    this.ping = new PingDelegate(this.coordinates)
    this.sends = new SendAccounting(this)
    this.suspectProbes = new SuspectProbes(this)
    this.prober = new Prober(this)
    this.pushPull = new PushPull(this)
    this.refresh = new SuspicionRefresh(this)
    this.suspicions = new SuspicionTimers(this)
    this.gossip = new GossipTicker(this)
    this.departure = new Leave(this)
    this.intake = new PacketIntake(this, this.prober, this.refresh, config.handoffQueueDepth)
  }

  get selfAddress(): TransportAddress {
    return formatAddress(this.identity.addr, this.identity.port)
  }

  /** The counters of the running step (concept files count through it). */
  get counters(): SwimCountersView {
    return this.outbox.counters
  }

  // ------------------------------------------------------------------------------------------
  // Streams: handed over outside a step (see the header)
  // ------------------------------------------------------------------------------------------

  /** Work that I/O starts outside any step, run as one (StepOutbox.enter). */
  enter(fn: () => void): void {
    this.outbox.enter(fn)
  }

  /** Serf's LocalState for a push/pull: an `ask-user-state` effect; `cb` runs in the step of its `user-state` answer. */
  localUserState(join: boolean, cb: (bytes: Uint8Array) => void): void {
    this.outbox.askUserState(join, cb)
  }

  /** Opens a stream (a dial effect); `cb` hears the outcome through `dialed`. */
  dial(to: TransportAddress, timeoutMs: number, cb: DialCallback): void {
    this.outbox.dial(to, timeoutMs, cb)
  }

  /** A dial's outcome (called by whoever ran the dial effect; outside a step: a stream is not data). */
  dialed(id: number, err: TransportError | undefined, stream?: Stream): void {
    this.outbox.dialed(id, err, stream)
  }

  /** One request and its answer on a stream (probe.ts's TCP fallback ping goes through push-pull.ts). */
  streamRequest(stream: Stream, request: Uint8Array, deadlineMs: number, cb: (msg: StreamMessage | undefined) => void): void {
    this.pushPull.request(stream, request, deadlineMs, cb)
  }

  /** A ping that came by stream (push-pull.ts reads it; probe.ts answers it). */
  answerStreamPing(stream: Stream, m: Ping): void {
    this.prober.answerStreamPing(stream, m)
  }

  // ------------------------------------------------------------------------------------------
  // The hosts of the concept files (probe.ts, push-pull.ts, suspicion-refresh.ts,
  // suspicion-timers.ts, leave.ts) and what tests and the runner read
  // ------------------------------------------------------------------------------------------

  isStopped(): boolean {
    return this.stopped
  }

  now(): number {
    return this.env.now()
  }

  /** Our leave runs (gossip-ticker.ts: no early rounds then). */
  leaving(): boolean {
    return this.departure.running
  }

  /** One effect of the running step (send-accounting.ts). */
  effect(e: SwimEffect): void {
    this.outbox.effect(e)
  }

  /** A refused message or a rumour about us we cannot refute, counted (send-accounting.ts). */
  refuse(reason: string): void {
    this.sends.refusal(reason)
  }

  armSuspicion(node: string, deadlineMs: number, startMs: number, fresh: boolean): void {
    this.suspicions.arm(node, deadlineMs, startMs, fresh)
  }

  cancelSuspicion(node: string): void {
    this.suspicions.cancel(node)
  }

  heardSince(name: string, sinceMs: number): boolean {
    return this.refresh.heardSince(name, sinceMs)
  }

  suspectHeard(node: string, startMs: number): void {
    this.suspectProbes.heard(node, startMs)
  }

  gossipAtOnce(): void {
    if (this.config.fastCrashDetection && this.gossip.urgent()) this.counters.gossipRoundsAtOnce++
  }

  joinNews(): void {
    if (this.config.fastJoinPropagation && this.gossip.joinNews()) this.counters.joinNewsSoon++
  }

  /** A member joined or changed: its address names it from now on. */
  indexAddress(n: NodeRecord): void {
    this.addresses.index(n.name, this.addressOf(n))
  }

  /** A member left or died: our leave may have nobody left to tell (leave.ts). */
  memberGone(): void {
    this.departure.memberGone()
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

  /** Every packet swim sends goes through here; its result comes back as `packet-sent` and is counted per cause. */
  sendPacket(req: PacketRequest, gossip?: GossipRound): void {
    this.sends.packet(req, gossip)
  }

  /** Encodes and queues a broadcast (send-accounting.ts). */
  broadcast(b: Broadcast, notifyId?: string): void {
    this.sends.broadcast(b, notifyId)
  }

  /** Applies what the node table decided (apply-outcome.ts); `cause` tells where a suspicion came from. */
  apply(o: Outcome, cause: SuspicionCause = 'gossip'): void {
    applyOutcome(this, o, cause)
  }

  /** The member whose bound address is `addr` (a datagram's source), if known. */
  nameAt(addr: TransportAddress): string | undefined {
    return this.addresses.nameAt(addr)
  }

  addressOf(n: NodeRecord): TransportAddress {
    return memberAddress(n, this.identity.port)
  }

  /** Serf's reconnect: the address of a known node by its raw IP and port (port 0: ours). */
  reconnectAddress(addr: Uint8Array, port: number): TransportAddress {
    return memberAddress({ addr, port }, this.identity.port)
  }

  /** A sign of life from `name` (packets and acks), for the phi detector. */
  heardFrom(name: string): void {
    this.suspicions.heardFrom(name)
  }

  /** φ of `name` now, or `aheadMs` from now if nothing is heard in between. */
  phiOf(name: string, aheadMs = 0): number {
    return this.suspicions.phiOf(name, aheadMs)
  }

  /** The Payload of our acks: `[PING_VERSION][msgpack coordinate]` (null if ours cannot be encoded). */
  ackPayload(): Uint8Array | null {
    return this.ping.ackPayload()
  }

  /** memberlist NotifyPingComplete: our probe of `node` was acked directly after `rttMs` with `payload`. */
  pingComplete(node: string, payload: Uint8Array | null, rttMs: number): void {
    this.ping.pingComplete(node, payload, rttMs, this.counters)
  }

  /** alive (high) and suspect/dead/user (low) messages waiting for the handler (spec §4.11). */
  get handoff(): HandoffQueue<{ from: TransportAddress; m: GossipMessage }> {
    return this.intake.handoff
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
      this.addresses.forget(name)
      this.suspicions.forgetPhi(name)
      // Serf forgets a reaped member's coordinate and its latency samples.
      this.coordinates.forget(name)
      this.suspicions.forgetTimer(name)
      this.refresh.forget(name)
    }
    this.reportSize()
    return removed
  }

  /** Sizes of every per-node structure (tests and diagnostics: each stays within the table's size). */
  footprint(): { nodes: number; probeList: number; suspicions: number; addrIndex: number; phi: number; suspicionTimers: number; refresh: number; suspectProbes: number } {
    const s = this.suspicions.sizes()
    return {
      suspectProbes: this.suspectProbes.size(),
      nodes: this.table.size(),
      probeList: this.table.probeList.size(),
      suspicions: this.table.suspicionCount(),
      addrIndex: this.addresses.size,
      phi: s.phi,
      suspicionTimers: s.timers,
      refresh: this.refresh.size(),
    }
  }

  /** Nodes that are alive, other than us (and other than `except`). */
  aliveOthers(except?: string): NodeRecord[] {
    const out: NodeRecord[] = []
    for (const n of this.table.records()) if (n.state === 'alive' && n.name !== this.table.selfName && n.name !== except) out.push(n)
    return out
  }
}

