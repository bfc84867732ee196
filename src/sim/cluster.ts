/**
 * SimCluster: N Gossamer nodes in one thread on one simulated clock, one seeded random source and
 * one in-memory network carrying the real encoded packets and streams.
 *
 * Each node runs swim's logic (SwimNode) with its own broadcast queues (gossip-queue's QueueSet),
 * wired synchronously: a timer or a packet is handled to completion, effects included, at its
 * simulated time. This drives the pure logic directly rather than through the actor runtime's
 * mailboxes, so 1,000 nodes fit in one process; the XState machine (actors/swim/machine.ts) wraps
 * the same SwimNode.
 */
import { createSwimConfig } from '../../actors/swim/config.ts'
import type { SwimConfig, SwimInit, SwimPreset } from '../../actors/swim/config.ts'
import type { NodeStateKind } from '../../actors/swim/messages.ts'
import type { NodeRecord } from '../../actors/swim/node-table.ts'
import { COMPOUND_HEADER_OVERHEAD, COMPOUND_PART_OVERHEAD, sendPacketRequest } from '../../actors/swim/send-pipeline.ts'
import type { PacketRequest, SwimOutput, SwimPorts } from '../../actors/swim/ports.ts'
import { SwimNode } from '../../actors/swim/swim-node.ts'
import { createGossipQueueConfig } from '../../actors/gossip-queue/config.ts'
import { QueueSet } from '../../actors/gossip-queue/queue-set.ts'
import { createSerfConfig } from '../../actors/member-manager/config.ts'
import type { SerfInit } from '../../actors/member-manager/config.ts'
import { MemberLayer } from '../../actors/member-manager/member-layer.ts'
import type { MemberManagerOutbound } from '../../actors/member-manager/protocol.ts'
import { createSeededRandom } from '../types/random.ts'
import type { RandomSource } from '../types/random.ts'
import { MemoryNetwork } from '../transport/memory-network.ts'
import type { LinkConditions, MemoryTransport, NetworkTraceEvent } from '../transport/memory-network.ts'
import type { TransportAddress } from '../transport/transport.ts'
import { SimClock } from './sim-clock.ts'

export interface SimClusterOptions {
  seed: number
  preset?: SwimPreset
  swim?: SwimInit
  link?: Partial<LinkConditions>
  mtu?: number
  /** Record every network event in `trace` (costly for big clusters). */
  trace?: boolean
  /**
   * Run Serf's member layer (member-manager's MemberLayer) on every node too: join/leave intents,
   * push/pull user state, reaper and reconnect. Without it the nodes run memberlist only.
   */
  serf?: boolean | Omit<SerfInit, 'nodeName'>
}

/** What a node reported: swim's outputs, and the member layer's (`serf`) when it runs. */
export type SimOutput = SwimOutput | { type: 'serf'; msg: MemberManagerOutbound }

/** Something a node reported, with when and who. */
export interface SimEvent {
  atMs: number
  observer: string
  output: SimOutput
}

export class SimNode {
  readonly swim: SwimNode
  readonly queues: QueueSet
  /** Serf's member layer, when the cluster runs it. */
  readonly serf: MemberLayer | undefined
  private readonly timers = new Map<string, unknown>()
  crashed = false
  left = false
  /** Serf's push/pull user state hook (empty without a member layer). */
  userState: (join: boolean) => Uint8Array = () => new Uint8Array(0)
  readonly mergedUserStates: Uint8Array[] = []
  packetsSent = 0
  bytesSent = 0

  constructor(
    readonly cluster: SimCluster,
    readonly name: string,
    readonly address: TransportAddress,
    readonly transport: MemoryTransport,
    config: SwimConfig,
    random: RandomSource,
  ) {
    this.queues = new QueueSet(createGossipQueueConfig({ retransmitMult: config.retransmitMult, maxMessageBytes: config.udpBufferSize - COMPOUND_HEADER_OVERHEAD - COMPOUND_PART_OVERHEAD }))
    const clock = cluster.clock
    this.serf = cluster.serfInit === undefined ? undefined : this.createMemberLayer(cluster.serfInit, random)
    const serf = this.serf
    const ports: SwimPorts = {
      now: () => clock.now(),
      random: () => random.next(),
      setTimer: (key, delayMs) => this.setTimer(key, delayMs),
      cancelTimer: (key) => this.cancelTimer(key),
      sendPacket: (req) => this.send(req, config),
      enqueueBroadcast: (name, message, notifyId) => {
        this.queues.enqueue(notifyId === undefined ? { queue: 'memberlist', message, name } : { queue: 'memberlist', message, name, notify: { to: 'swim', id: notifyId } })
        this.deliverNotifications()
      },
      dial: (to, timeoutMs, cb) => this.transport.dialCallback(to, timeoutMs, cb),
      localUserState: (join, cb) => cb(serf === undefined ? this.userState(join) : serf.localUserState(join)),
      mergeRemoteUserState: (bytes, join) => {
        this.mergedUserStates.push(bytes)
        serf?.mergeRemoteState(bytes, join)
      },
      emit: (output) => {
        if (output.type === 'cluster-size') this.queues.setClusterSize('memberlist', output.numNodes)
        if (output.type === 'left') this.onSwimLeft()
        if (serf !== undefined) {
          if (output.type === 'node-joined') serf.nodeJoined(output.node)
          else if (output.type === 'node-updated') serf.nodeUpdated(output.node)
          else if (output.type === 'node-left') serf.nodeLeft(output.node)
          else if (output.type === 'user-message') serf.userMessage(output.bytes)
          else if (output.type === 'join-completed') serf.joinCompleted(output.numJoined)
        }
        cluster.record(this.name, output)
      },
    }
    const identity = { name, addr: ipOf(address), port: 7946, ...(serf === undefined ? {} : { meta: serf.localMeta() }) }
    this.swim = new SwimNode(config, identity, ports)
    transport.onPacket((p) => this.swim.onPacket(p.from, p.bytes))
    transport.onStream((s) => this.swim.onStream(s))
  }

  /** Starts swim (and the member layer with its reap and reconnect ticks). */
  start(options: { steadyState?: boolean } = {}): void {
    this.swim.start(options)
    if (this.serf !== undefined) {
      this.serf.start()
      this.setTimer('serf-reap', this.serf.config.reapIntervalMs)
      this.setTimer('serf-reconnect', this.serf.config.reconnectIntervalMs)
    }
  }

  /** Graceful leave: Serf's leave intent first (when the member layer runs), then memberlist's. */
  leave(timeoutMs: number): void {
    if (this.serf === undefined) return this.swim.leave(timeoutMs)
    const { waitForBroadcast, notifyId } = this.serf.beginLeave('member-manager')
    if (!waitForBroadcast) return this.swim.leave(timeoutMs)
    this.serfLeaveId = notifyId
    this.setTimer('serf-leave', this.serf.config.broadcastTimeoutMs)
  }

  private serfLeaveId: string | undefined

  private onSwimLeft(): void {
    this.left = true
    this.serf?.finishLeave()
  }

  private setTimer(key: string, delayMs: number): void {
    const clock = this.cluster.clock
    const old = this.timers.get(key)
    if (old !== undefined) clock.clearTimeout(old)
    this.timers.set(
      key,
      clock.setTimeout(() => {
        this.timers.delete(key)
        if (key.startsWith('serf-')) this.onSerfTimer(key)
        else this.swim.onTimer(key)
      }, delayMs),
    )
  }

  private cancelTimer(key: string): void {
    const t = this.timers.get(key)
    if (t !== undefined) {
      this.cluster.clock.clearTimeout(t)
      this.timers.delete(key)
    }
  }

  private onSerfTimer(key: string): void {
    const serf = this.serf
    if (serf === undefined) return
    if (key === 'serf-reap') {
      this.setTimer(key, serf.config.reapIntervalMs)
      serf.reapTick()
    } else if (key === 'serf-reconnect') {
      this.setTimer(key, serf.config.reconnectIntervalMs)
      serf.reconnectTick()
    } else if (key === 'serf-leave') {
      this.serfLeaveId = undefined
      this.swim.leave(serf.config.broadcastTimeoutMs)
    } else if (key.startsWith('serf-prune:')) {
      serf.pruneDue(key.slice('serf-prune:'.length))
    }
  }

  private createMemberLayer(init: Omit<SerfInit, 'nodeName'>, random: RandomSource): MemberLayer {
    const config = createSerfConfig({ ...init, nodeName: this.name })
    return new MemberLayer(config, {
      now: () => this.cluster.clock.now(),
      random,
      emit: (msg) => {
        if (msg.type === 'member.local-meta-changed') this.swim?.updateMeta(msg.meta)
        else if (msg.type === 'member.reconnect') this.swim.join([`${msg.addr.join('.')}:${msg.port}`])
        else if (msg.type === 'member.swim-leave') this.swim.leave(config.broadcastTimeoutMs)
        this.cluster.record(this.name, { type: 'serf', msg })
      },
      enqueue: (b) => {
        this.queues.enqueue(b)
        this.deliverNotifications()
      },
      clusterSize: (n) => this.queues.setClusterSize('serf', n),
      snapshot: () => {},
      schedulePrune: (name, delayMs) => this.setTimer(`serf-prune:${name}`, delayMs),
    })
  }

  /** This node's view: state of every node it knows. */
  view(): Map<string, NodeStateKind> {
    const m = new Map<string, NodeStateKind>()
    for (const r of this.swim.table.records()) m.set(r.name, r.state)
    return m
  }

  stateOf(name: string): NodeStateKind | undefined {
    return this.swim.table.get(name)?.state
  }

  /** Stops every timer of this node (crash or shutdown). */
  stopTimers(): void {
    this.swim.stop()
    for (const t of this.timers.values()) this.cluster.clock.clearTimeout(t)
    this.timers.clear()
  }

  private send(req: PacketRequest, config: SwimConfig): void {
    sendPacketRequest(req, {
      udpBufferSize: config.udpBufferSize,
      compress: config.enableCompression,
      fill: (overhead, limit, cb) => {
        const { parts } = this.queues.fill(overhead, limit)
        this.deliverNotifications()
        cb(parts)
      },
      emit: (to, bytes) => {
        this.packetsSent++
        this.bytesSent += bytes.length
        this.transport.sendPacket(to, bytes)
      },
    })
  }

  private deliverNotifications(): void {
    for (const n of this.queues.drainNotifications()) {
      if (n.to === 'swim') this.swim.onBroadcastFinished(n.msg.id)
      else if (n.to === 'member-manager' && n.msg.id === this.serfLeaveId && this.serf !== undefined) {
        this.serfLeaveId = undefined
        this.cancelTimer('serf-leave')
        this.swim.leave(this.serf.config.broadcastTimeoutMs)
      }
    }
  }
}

export class SimCluster {
  readonly clock = new SimClock()
  readonly random: RandomSource
  readonly network: MemoryNetwork
  readonly config: SwimConfig
  readonly nodes = new Map<string, SimNode>()
  readonly events: SimEvent[] = []
  readonly trace: string[] = []
  private readonly listeners: Array<(e: SimEvent) => void> = []
  private nextIndex = 1
  /** Keep every SwimOutput in `events` (off for big benchmarks; listeners still see them). */
  keepEvents = true
  /** @internal the member layer's config for each node, when it runs */
  readonly serfInit: Omit<SerfInit, 'nodeName'> | undefined

  constructor(options: SimClusterOptions) {
    this.random = createSeededRandom(options.seed)
    this.config = createSwimConfig(options.swim ?? {}, options.preset ?? 'lan')
    this.serfInit = options.serf === undefined || options.serf === false ? undefined : options.serf === true ? {} : options.serf
    const netOpts: ConstructorParameters<typeof MemoryNetwork>[0] = {
      clock: this.clock,
      random: this.random.fork('network'),
      defaultLink: { latencyMs: 1, ...options.link },
    }
    if (options.mtu !== undefined) netOpts.mtu = options.mtu
    if (options.trace === true) netOpts.trace = (e: NetworkTraceEvent) => this.trace.push(`${e.atMs.toFixed(3)} ${e.kind} ${e.from}>${e.to} ${e.bytes}${e.reason === undefined ? '' : ` ${e.reason}`}`)
    this.network = new MemoryNetwork(netOpts)
  }

  onEvent(listener: (e: SimEvent) => void): void {
    this.listeners.push(listener)
  }

  /** @internal */
  record(observer: string, output: SimOutput): void {
    // Node records are live objects: keep a copy as it was when reported.
    if (output.type === 'node-joined' || output.type === 'node-updated' || output.type === 'node-left') output = { type: output.type, node: { ...output.node } }
    const e: SimEvent = { atMs: this.clock.now(), observer, output }
    if (this.keepEvents) this.events.push(e)
    for (const l of this.listeners) l(e)
  }

  /** Creates a node (not started). Names default to n1, n2, ... */
  createNode(name?: string): SimNode {
    const i = this.nextIndex++
    const nodeName = name ?? `n${i}`
    if (this.nodes.has(nodeName)) throw new Error(`node ${nodeName} exists`)
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7946`
    const transport = this.network.createTransport(address)
    const node = new SimNode(this, nodeName, address, transport, this.config, this.random.fork(nodeName))
    this.nodes.set(nodeName, node)
    return node
  }

  /** Creates and starts a node, joining it through the given members (by name). */
  addNode(name?: string, joinVia: readonly string[] = []): SimNode {
    const node = this.createNode(name)
    node.start()
    if (joinVia.length > 0) node.swim.join(joinVia.map((n) => this.get(n).address))
    return node
  }

  /**
   * A cluster whose members already know each other (each table seeded with every other node as
   * alive, queues emptied), as after a long quiet period. For measurements at scale: a real
   * bootstrap of 1,000 nodes would take minutes of simulated time before anything is measured.
   * Push/pulls are spread over their scaled interval, as in a cluster that has been up a while.
   */
  warmStart(n: number): SimNode[] {
    const created = Array.from({ length: n }, () => this.createNode())
    const alives = created.map((c) => c.swim.table.selfAlive())
    for (const c of created) {
      for (const a of alives) if (a.node !== c.name) c.swim.table.alive(a, this.clock.now())
      c.swim.reportSize()
    }
    for (const c of created) {
      c.start({ steadyState: true })
      c.queues.reset()
      c.queues.drainNotifications()
    }
    return created
  }

  get(name: string): SimNode {
    const n = this.nodes.get(name)
    if (n === undefined) throw new Error(`no node ${name}`)
    return n
  }

  /** Nodes that are running (not crashed, not left). */
  running(): SimNode[] {
    return [...this.nodes.values()].filter((n) => !n.crashed && !n.left)
  }

  /** The host dies: no more packets in or out, every timer stops. */
  crash(name: string): void {
    const n = this.get(name)
    n.crashed = true
    this.network.setDown(n.address)
    n.stopTimers()
  }

  /** Graceful leave; the node shuts down once its leave has spread (or after `timeoutMs`). */
  leave(name: string, timeoutMs = 5_000): void {
    const n = this.get(name)
    const off = (e: SimEvent) => {
      if (e.observer === name && e.output.type === 'left' && !n.crashed) {
        n.crashed = true
        n.stopTimers()
        n.transport.close()
      }
    }
    this.onEvent(off)
    n.leave(timeoutMs)
  }

  /** A slow node: its packets and streams are delayed by `delayMs` each way. */
  slow(name: string, delayMs: number): void {
    this.network.setNodeDelay(this.get(name).address, delayMs)
  }

  partition(...groups: string[][]): void {
    this.network.partition(...groups.map((g) => g.map((n) => this.get(n).address)))
  }

  heal(): void {
    this.network.heal()
  }

  setLoss(loss: number): void {
    this.network.setLoss(loss)
  }

  run(ms: number): void {
    this.clock.advance(ms)
  }

  /** Runs until `pred` holds (checked after every event) or `timeoutMs` passes; returns the time or undefined. */
  runUntil(pred: () => boolean, timeoutMs: number): number | undefined {
    return this.clock.runUntilTrue(pred, this.clock.now() + timeoutMs)
  }

  /** Every running node sees exactly the running nodes as alive and nobody else as alive/suspect. */
  converged(): boolean {
    const live = this.running()
    const names = new Set(live.map((n) => n.name))
    for (const n of live) {
      for (const other of names) if (n.stateOf(other) !== 'alive') return false
      for (const r of n.swim.table.records() as IterableIterator<NodeRecord>) {
        if (!names.has(r.name) && (r.state === 'alive' || r.state === 'suspect')) return false
      }
    }
    return true
  }
}

function ipOf(address: TransportAddress): Uint8Array {
  const host = address.slice(0, address.lastIndexOf(':'))
  return Uint8Array.from(host.split('.').map(Number))
}
