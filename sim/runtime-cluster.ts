/**
 * RuntimeCluster: N nodes, each running the real actors (swim, gossip-queue, member-manager) inline
 * on its own ActorSystem, all on ONE SimulatedClock, ONE MemoryNetwork and seeds drawn from ONE
 * seeded random source. Where SimCluster wires the pure logic synchronously (1,000+ nodes), this
 * goes through the runtime's mailboxes, asks and supervision, as a deployment does: it proves the
 * actors' wiring at small N, with the same scenarios (scenario.ts runs either cluster).
 *
 * Views are each node's member-manager table (`member.members`), Serf's statuses mapped to the
 * scenario's memberlist vocabulary: alive → alive, leaving → alive (its memberlist node is alive
 * until its dead-from-self arrives), left → left, failed → dead. `views()` gives them unmapped.
 * They are read by ask, so `runUntil` polls: it checks every `pollMs` of simulated time.
 *
 * Everything is async (the clock lets mailboxes drain between deadlines): drive it with
 * `runScenarioAsync`, and `close()` it at the end so no actor or timer outlives the test.
 */
import type { NodeStateKind } from '../actors/swim/messages.ts'
import { createSwimConfig } from '../actors/swim/config.ts'
import type { SwimConfig, SwimInit, SwimPreset } from '../actors/swim/config.ts'
import type { SerfInit } from '../actors/member-manager/config.ts'
import type { SerfEventsInit } from '../actors/serf-events/config.ts'
import type { SerfEventsEmitted } from '../actors/serf-events/protocol.ts'
import type { MemberStatus } from '../actors/member-manager/protocol.ts'
import { SimulatedClock } from '../src/runtime/simulated-clock.ts'
import type { MemoryNetwork } from '../src/transport/memory-network.ts'
import { createSimNetwork, NetworkFaults } from './sim-network.ts'
import type { LinkConditions } from '../src/transport/memory-network.ts'
import { createSeededRandom } from '../src/types/random.ts'
import type { RandomSource } from '../src/types/random.ts'
import type { PublicMemberEvent } from './member-event-sink.ts'
import { RuntimeNode } from './runtime-node.ts'
import type { DeathReport, ScenarioCluster } from './scenario-cluster.ts'

export { RuntimeNode }

export interface RuntimeClusterOptions {
  seed: number
  preset?: SwimPreset
  swim?: SwimInit
  /** Serf's member layer config for every node (nodeName is each node's). */
  serf?: Omit<SerfInit, 'nodeName'>
  link?: Partial<LinkConditions>
  mtu?: number
  /** Record network events, received datagrams' digests and member events in `trace`. */
  trace?: boolean
  /** How often `runUntil` reads the views, in simulated ms (100: 10 reads a simulated second). */
  pollMs?: number
  /** How long a graceful leave may take before the node is stopped anyway, in simulated ms (30 s). */
  leaveTimeoutMs?: number
  /** serf-events' config for every node (library defaults: no coalescing). */
  serfEvents?: SerfEventsInit
}

/** An event a node's serf-events emitted, with when and where. */
export interface RuntimeSerfEvent {
  atMs: number
  observer: string
  msg: SerfEventsEmitted
}

/** A public member event, with when and at which node. */
export interface RuntimeClusterEvent {
  atMs: number
  /** The node (scenario handle) whose member-manager emitted it. */
  observer: string
  msg: PublicMemberEvent
}

export interface AddNodeOptions {
  /** The name the node claims in the cluster, when it differs from its handle (an impostor). */
  nodeName?: string
}

export class RuntimeCluster extends NetworkFaults implements ScenarioCluster {
  readonly clock = new SimulatedClock()
  readonly random: RandomSource
  readonly network: MemoryNetwork
  readonly config: SwimConfig
  /** Nodes by scenario handle, in the order they were added. */
  readonly nodes = new Map<string, RuntimeNode>()
  readonly events: RuntimeClusterEvent[] = []
  /** Everything the nodes' serf-events emitted (user events, queries, query results, member events), in order. */
  readonly serfEvents: RuntimeSerfEvent[] = []
  readonly trace: string[] = []
  /** Actor crashes, failed leaves and the like: a healthy run leaves this empty. */
  readonly problems: string[] = []
  private readonly deaths: DeathReport[] = []
  private readonly options: RuntimeClusterOptions
  private readonly pollMs: number
  private nextIndex = 1
  private closed = false

  constructor(options: RuntimeClusterOptions) {
    super()
    this.options = options
    this.random = createSeededRandom(options.seed)
    this.config = createSwimConfig(options.swim ?? {}, options.preset ?? 'lan')
    this.pollMs = options.pollMs ?? 100
    if (!(this.pollMs > 0)) throw new RangeError('RuntimeCluster: pollMs must be > 0')
    this.network = createSimNetwork(this.clock, this.random.fork('network'), {
      link: options.link,
      mtu: options.mtu,
      trace: options.trace === true ? (line) => void this.trace.push(line) : undefined,
    })
  }

  get(name: string): RuntimeNode {
    const n = this.nodes.get(name)
    if (n === undefined) throw new Error(`no node ${name}`)
    return n
  }

  running(): RuntimeNode[] {
    return [...this.nodes.values()].filter((n) => n.running)
  }

  /** Creates and starts a node named `name` (handles default to n1, n2, ...), joining through the given nodes. */
  async addNode(name?: string, joinVia: readonly string[] = [], options: AddNodeOptions = {}): Promise<RuntimeNode> {
    if (this.closed) throw new Error('RuntimeCluster: closed')
    const i = this.nextIndex++
    const handle = name ?? `n${i}`
    if (this.nodes.has(handle)) throw new Error(`node ${handle} exists`)
    const tracing = this.options.trace === true
    const node = await RuntimeNode.start(
      {
        name: handle,
        nodeName: options.nodeName ?? handle,
        address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7946`,
        // Drawn in the order nodes are added: the same scenario gives every node the same seed.
        seed: this.random.int(0x7fff_ffff) + 1,
        preset: this.options.preset ?? 'lan',
        swim: this.options.swim ?? {},
        swimConfig: this.config,
        serf: this.options.serf ?? {},
        serfEvents: this.options.serfEvents ?? {},
        joinVia: joinVia.map((n) => this.get(n).address),
      },
      {
        clock: this.clock,
        network: this.network,
        onEvent: (n, msg) => this.record(n, msg),
        onSerfEvent: (n, msg) => void this.serfEvents.push({ atMs: this.clock.now(), observer: n.name, msg }),
        onProblem: (name, problem) => this.problems.push(`${this.clock.now()} ${name}: ${problem}`),
        ...(tracing ? { trace: (line: string) => this.trace.push(line) } : {}),
      },
    )
    this.nodes.set(handle, node)
    return node
  }

  /** The host dies: its address goes down (nothing in or out) and its system stops; no leave is sent. */
  async crash(name: string): Promise<void> {
    const n = this.get(name)
    if (n.status === 'crashed' || n.status === 'left') return
    this.network.setDown(n.address)
    n.status = 'crashed'
    n.view = []
    await n.stop()
  }

  /**
   * Graceful leave through member-manager (`member.leave`: Serf's intent, memberlist's leave, the
   * propagate delay); the node stops once it has left. Returns at once: the leave runs as the clock
   * advances. After `timeoutMs` (default the cluster's leaveTimeoutMs) the node is stopped anyway and
   * the failed leave is noted in `problems`.
   */
  leave(name: string, timeoutMs?: number): void {
    const n = this.get(name)
    if (n.status !== 'running') return
    n.status = 'leaving'
    const done = (problem?: string) => {
      // Cut short by a crash or by close(): the scenario's doing, not a failed leave.
      if (n.status !== 'leaving' || this.closed) return
      if (problem !== undefined) this.problems.push(`${this.clock.now()} ${name}: leave: ${problem}`)
      n.status = 'left'
      n.view = []
      void n.stop()
    }
    n.memberManager.ask({ type: 'member.leave' }, { timeoutMs: timeoutMs ?? this.options.leaveTimeoutMs ?? 30_000 }).then(
      (reply) => done(reply.error === undefined ? undefined : `${reply.error.code} ${reply.error.message}`),
      (err: unknown) => done(String(err)),
    )
  }

  /** Advances the shared clock by `ms`, deadline by deadline, letting every mailbox drain. */
  run(ms: number): Promise<void> {
    return this.clock.advance(ms)
  }

  async runUntil(pred: () => boolean, timeoutMs: number): Promise<number | undefined> {
    const end = this.clock.now() + timeoutMs
    for (;;) {
      await this.observe()
      if (pred()) return this.clock.now()
      const left = end - this.clock.now()
      if (left <= 0) return undefined
      await this.clock.advance(Math.min(this.pollMs, left))
    }
  }

  /** Reads every running node's member table. */
  async observe(): Promise<void> {
    await Promise.all(this.running().map((n) => n.refreshView()))
  }

  /** Each running node's member-manager view, as Serf statuses (read now). */
  async views(): Promise<Map<string, Map<string, MemberStatus>>> {
    await this.observe()
    return new Map(this.running().map((n) => [n.name, new Map(n.view.map((m) => [m.name, m.status]))]))
  }

  // ScenarioCluster (scenario-cluster.ts), on the views read by the last `observe()`.

  now(): number {
    return this.clock.now()
  }

  runningNames(): string[] {
    return this.running().map((n) => n.name)
  }

  stateOf(observer: string, subject: string): NodeStateKind | undefined {
    const o = this.nodes.get(observer)
    if (o === undefined || !o.running) return undefined
    const name = this.nodes.get(subject)?.nodeName ?? subject
    const status = o.view.find((m) => m.name === name)?.status
    return status === undefined ? undefined : NODE_STATE_OF[status]
  }

  converged(): boolean {
    const live = this.running()
    const names = new Set(live.map((n) => n.nodeName))
    for (const n of live) {
      if (n.view.length === 0) return false
      for (const m of n.view) {
        const alive = m.status === 'alive' || m.status === 'leaving'
        if (alive !== names.has(m.name)) return false
      }
      for (const name of names) if (!n.view.some((m) => m.name === name)) return false
    }
    return true
  }

  /** Serf `member-failed` events, one report per member named in them. */
  deathReports(): readonly DeathReport[] {
    return this.deaths
  }

  wasCrashed(name: string): boolean {
    for (const n of this.nodes.values()) if ((n.name === name || n.nodeName === name) && n.status === 'crashed') return true
    return false
  }

  describeViews(): string[] {
    return this.running().map((n) => `${n.name}: ${n.view.map((m) => `${m.name}=${m.status}`).join(',')}`)
  }

  /** Stops every node's system (idempotent); awaits leaves still stopping. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.nodes.values()].map((n) => n.stop()))
  }

  private record(node: RuntimeNode, msg: PublicMemberEvent): void {
    const atMs = this.clock.now()
    this.events.push({ atMs, observer: node.name, msg })
    if (msg.type === 'member.event') {
      if (msg.event === 'member-failed') for (const m of msg.members) this.deaths.push({ atMs, observer: node.name, subject: m.name })
      if (this.options.trace === true) this.trace.push(`${atMs.toFixed(3)} ${node.name} ${msg.event} ${msg.members.map((m) => m.name).join(',')}`)
    } else if (this.options.trace === true) {
      this.trace.push(`${atMs.toFixed(3)} ${node.name} conflict ${msg.name} local=${msg.local}`)
    }
  }
}

const NODE_STATE_OF: Record<MemberStatus, NodeStateKind | undefined> = {
  none: undefined,
  alive: 'alive',
  leaving: 'alive',
  left: 'left',
  failed: 'dead',
}
