/**
 * SimCluster: N Gossamer nodes in one thread on one simulated clock, one seeded random source and
 * one in-memory network carrying the real encoded packets and streams.
 *
 * Each node runs swim's logic (SwimNode) with its own broadcast queues (gossip-queue's QueueSet),
 * wired synchronously: a timer or a packet is handled to completion, effects included, at its
 * simulated time. This drives the pure logic directly rather than through the actor runtime's
 * mailboxes, so 1,000 nodes fit in one process; the XState machine (actors/swim/machine.ts) wraps
 * the same SwimNode. RuntimeCluster (runtime-cluster.ts) runs the same scenarios through the real
 * actors at small N.
 */
import { createSwimConfig } from '../actors/swim/config.ts'
import type { SwimConfig, SwimInit, SwimPreset } from '../actors/swim/config.ts'
import type { NodeRecord } from '../actors/swim/node-table.ts'
import type { SerfInit } from '../actors/member-manager/config.ts'
import type { SerfEventsInit } from '../actors/serf-events/config.ts'
import { createSeededRandom } from '../src/types/random.ts'
import type { RandomSource } from '../src/types/random.ts'
import type { MemoryNetwork } from '../src/transport/memory-network.ts'
import { createSimNetwork, NetworkFaults } from './sim-network.ts'
import type { LinkConditions } from '../src/transport/memory-network.ts'
import type { NodeStateKind } from '../actors/swim/messages.ts'
import { SimulatedClock } from '../src/runtime/simulated-clock.ts'
import { SimNode, type SimOutput } from './sim-node.ts'
import type { DeathReport, SyncScenarioCluster } from './scenario-cluster.ts'

export { SimNode }

export interface SimClusterOptions {
  seed: number
  preset?: SwimPreset
  swim?: SwimInit
  link?: Partial<LinkConditions>
  mtu?: number
  /** Record every network event, and each received datagram's digest, in `trace` (costly for big clusters). */
  trace?: boolean
  /**
   * Run Serf's member layer (member-manager's MemberLayer) on every node too: join/leave intents,
   * push/pull user state, reaper and reconnect. Without it the nodes run memberlist only.
   */
  serf?: boolean | Omit<SerfInit, 'nodeName'>
  /** serf-events' config for every node (with `serf`: the event layer runs with the member layer). */
  serfEvents?: SerfEventsInit
}

export type { SimOutput }

/** Something a node reported, with when and who. */
export interface SimEvent {
  atMs: number
  observer: string
  output: SimOutput
}

export class SimCluster extends NetworkFaults implements SyncScenarioCluster {
  readonly clock = new SimulatedClock()
  readonly random: RandomSource
  readonly network: MemoryNetwork
  readonly config: SwimConfig
  readonly nodes = new Map<string, SimNode>()
  readonly events: SimEvent[] = []
  readonly trace: string[] = []
  /** Whether `trace` is being recorded. */
  readonly tracing: boolean
  /** Reports of a node as dead, in order (kept with `events`). */
  private readonly deaths: DeathReport[] = []
  /** Replaced, never mutated, on unsubscribe: `record` may be iterating the old array. */
  private listeners: Array<(e: SimEvent) => void> = []
  private nextIndex = 1
  /** Keep every SwimOutput in `events` (off for big benchmarks; listeners still see them). */
  keepEvents = true
  /** @internal the member layer's config for each node, when it runs */
  readonly serfInit: Omit<SerfInit, 'nodeName'> | undefined
  /** @internal serf-events' config for each node */
  readonly serfEventsInit: SerfEventsInit | undefined

  constructor(options: SimClusterOptions) {
    super()
    this.random = createSeededRandom(options.seed)
    this.config = createSwimConfig(options.swim ?? {}, options.preset ?? 'lan')
    this.serfEventsInit = options.serfEvents
    this.serfInit = options.serf === undefined || options.serf === false ? undefined : options.serf === true ? {} : options.serf
    this.tracing = options.trace === true
    this.network = createSimNetwork(this.clock, this.random.fork('network'), {
      link: options.link,
      mtu: options.mtu,
      trace: this.tracing ? (line) => void this.trace.push(line) : undefined,
    })
  }

  /** Calls `listener` with every event from now on; returns its unsubscribe. */
  onEvent(listener: (e: SimEvent) => void): () => void {
    this.listeners.push(listener)
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener)
    }
  }

  /** @internal */
  record(observer: string, output: SimOutput): void {
    // Node records are live objects: keep a copy as it was when reported.
    if (output.type === 'node-joined' || output.type === 'node-updated' || output.type === 'node-left') output = { type: output.type, node: { ...output.node } }
    const e: SimEvent = { atMs: this.clock.now(), observer, output }
    if (this.keepEvents) {
      this.events.push(e)
      if (output.type === 'node-left' && output.node.state === 'dead') this.deaths.push({ atMs: e.atMs, observer, subject: output.node.name })
    }
    for (const l of this.listeners) l(e)
  }

  /** Creates a node (not started). Names default to n1, n2, ... */
  createNode(name?: string, overrides?: SwimInit): SimNode {
    const i = this.nextIndex++
    const nodeName = name ?? `n${i}`
    if (this.nodes.has(nodeName)) throw new Error(`node ${nodeName} exists`)
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7946`
    const transport = this.network.createTransport(address)
    const config = overrides === undefined ? this.config : createSwimConfig({ ...this.config, ...overrides })
    const node = new SimNode(this, nodeName, address, transport, config, this.random.fork(nodeName))
    this.nodes.set(nodeName, node)
    return node
  }

  /** Creates and starts a node, joining it through the given members (by name). */
  addNode(name?: string, joinVia: readonly string[] = [], overrides?: SwimInit): SimNode {
    const node = this.createNode(name, overrides)
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

  /**
   * The process dies and its host stays up (kill -9): every timer stops and its sockets close, so
   * datagrams to it are dropped and a dial to it is refused within a round trip, as on a real host.
   */
  kill(name: string): void {
    const n = this.get(name)
    n.crashed = true
    n.stopTimers()
    n.transport.close()
  }

  /** Graceful leave; the node shuts down once its leave has spread (or after `timeoutMs`). */
  leave(name: string, timeoutMs = 5_000): void {
    // The node shuts itself down when swim reports 'left' (no cluster listener to leak per leave).
    const n = this.get(name)
    n.shutdownWhenLeft = true
    n.leave(timeoutMs)
  }

  run(ms: number): void {
    this.clock.advanceSync(ms)
  }

  /** Runs until `pred` holds (checked after every event) or `timeoutMs` passes; returns the time or undefined. */
  runUntil(pred: () => boolean, timeoutMs: number): number | undefined {
    return this.clock.runUntilTrue(pred, this.clock.now() + timeoutMs)
  }

  // ScenarioCluster (scenario-cluster.ts): what the scenario runner reads.

  now(): number {
    return this.clock.now()
  }

  runningNames(): string[] {
    return this.running().map((n) => n.name)
  }

  stateOf(observer: string, subject: string): NodeStateKind | undefined {
    return this.get(observer).stateOf(subject)
  }

  /** Views are live here: nothing to refresh. */
  observe(): void {}

  /** Nodes reported dead (memberlist NotifyLeave of a dead node), while `keepEvents` is on. */
  deathReports(): readonly DeathReport[] {
    return this.deaths
  }

  wasCrashed(name: string): boolean {
    const n = this.nodes.get(name)
    return n !== undefined && n.crashed && !n.left
  }

  describeViews(): string[] {
    return this.running().map((n) => `${n.name}: ${[...n.view()].map(([k, v]) => `${k}=${v}`).join(',')}`)
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
