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
import { assemblePacket } from '../../actors/swim/packets.ts'
import type { PacketRequest, SwimOutput, SwimPorts } from '../../actors/swim/ports.ts'
import { SwimNode } from '../../actors/swim/swim-node.ts'
import { createGossipQueueConfig } from '../../actors/gossip-queue/config.ts'
import { QueueSet } from '../../actors/gossip-queue/queue-set.ts'
import { createSeededRandom } from '../types/random.ts'
import type { RandomSource } from '../types/random.ts'
import { MemoryNetwork } from '../transport/memory-network.ts'
import type { LinkConditions, MemoryTransport, NetworkTraceEvent } from '../transport/memory-network.ts'
import type { TransportAddress } from '../transport/transport.ts'
import { SimClock } from './sim-clock.ts'

/** Budget constants of memberlist's packet composition (spec §1.3, §4.10). */
const COMPOUND_HEADER_OVERHEAD = 2
const COMPOUND_PART_OVERHEAD = 2

export interface SimClusterOptions {
  seed: number
  preset?: SwimPreset
  swim?: SwimInit
  link?: Partial<LinkConditions>
  mtu?: number
  /** Record every network event in `trace` (costly for big clusters). */
  trace?: boolean
}

/** Something a node reported, with when and who. */
export interface SimEvent {
  atMs: number
  observer: string
  output: SwimOutput
}

export class SimNode {
  readonly swim: SwimNode
  readonly queues: QueueSet
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
    const ports: SwimPorts = {
      now: () => clock.now(),
      random: () => random.next(),
      setTimer: (key, delayMs) => {
        const old = this.timers.get(key)
        if (old !== undefined) clock.clearTimeout(old)
        this.timers.set(
          key,
          clock.setTimeout(() => {
            this.timers.delete(key)
            this.swim.onTimer(key)
          }, delayMs),
        )
      },
      cancelTimer: (key) => {
        const t = this.timers.get(key)
        if (t !== undefined) {
          clock.clearTimeout(t)
          this.timers.delete(key)
        }
      },
      sendPacket: (req) => this.send(req, config),
      enqueueBroadcast: (name, message, notifyId) => {
        this.queues.enqueue(notifyId === undefined ? { queue: 'memberlist', message, name } : { queue: 'memberlist', message, name, notify: { to: 'swim', id: notifyId } })
        this.deliverNotifications()
      },
      dial: (to, timeoutMs, cb) => this.transport.dialCallback(to, timeoutMs, cb),
      localUserState: (join, cb) => cb(this.userState(join)),
      mergeRemoteUserState: (bytes) => this.mergedUserStates.push(bytes),
      emit: (output) => {
        if (output.type === 'cluster-size') this.queues.setClusterSize('memberlist', output.numNodes)
        if (output.type === 'left') this.left = true
        cluster.record(this.name, output)
      },
    }
    this.swim = new SwimNode(config, { name, addr: ipOf(address), port: 7946 }, ports)
    transport.onPacket((p) => this.swim.onPacket(p.from, p.bytes))
    transport.onStream((s) => this.swim.onStream(s))
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
    let parts = req.messages
    if (req.piggyback) {
      let used = COMPOUND_HEADER_OVERHEAD
      for (const m of req.messages) used += m.length
      const fill = this.queues.fill(COMPOUND_PART_OVERHEAD, config.udpBufferSize - used)
      this.deliverNotifications()
      if (fill.parts.length > 0) parts = [...req.messages, ...fill.parts]
    }
    if (parts.length === 0) return
    const bytes = assemblePacket(parts, { compress: config.enableCompression, crc: req.crc })
    this.packetsSent++
    this.bytesSent += bytes.length
    this.transport.sendPacket(req.to, bytes)
  }

  private deliverNotifications(): void {
    for (const n of this.queues.drainNotifications()) if (n.to === 'swim') this.swim.onBroadcastFinished(n.msg.id)
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

  constructor(options: SimClusterOptions) {
    this.random = createSeededRandom(options.seed)
    this.config = createSwimConfig(options.swim ?? {}, options.preset ?? 'lan')
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
  record(observer: string, output: SwimOutput): void {
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
    node.swim.start()
    if (joinVia.length > 0) node.swim.join(joinVia.map((n) => this.get(n).address))
    return node
  }

  /**
   * A cluster whose members already know each other (each table seeded with every other node as
   * alive, queues emptied), as after a long quiet period. For measurements at scale: a real
   * bootstrap of 1,000 nodes would take minutes of simulated time before anything is measured.
   */
  warmStart(n: number): SimNode[] {
    const created = Array.from({ length: n }, () => this.createNode())
    const alives = created.map((c) => c.swim.table.selfAlive())
    for (const c of created) {
      for (const a of alives) if (a.node !== c.name) c.swim.table.alive(a, this.clock.now())
      c.swim.reportSize()
    }
    for (const c of created) {
      c.swim.start()
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
    n.swim.leave(timeoutMs)
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
