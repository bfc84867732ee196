/**
 * RuntimeNode: one node of a RuntimeCluster: its own ActorSystem (on the cluster's SimulatedClock,
 * with a seed drawn from the cluster's random source) running the real actor definitions inline:
 * gossip-queue (sized for swim with gossipQueueConfigFor), member-manager (its event stream going to
 * a sink that reports to the cluster), serf-events (Serf's user events and queries; what it emits
 * goes to the cluster's `onSerfEvent`) and swim on a MemoryNetwork endpoint (swimIo). serf-events'
 * UDP user messages (query acks, responses, relays) go through swim (`swim.send-user`), as on a
 * real node.
 */
import { ActorSystem } from '../src/runtime/actor-system.ts'
import type { SimulatedClock } from '../src/runtime/simulated-clock.ts'
import type { ActorRef } from '../src/runtime/types.ts'
import type { ActorDefinition } from '../src/runtime/define-actor.ts'
import type { MemoryNetwork } from '../src/transport/memory-network.ts'
import { swim as swimActor } from '../actors/swim/definition.ts'
import { swimIo } from '../actors/swim/io/swim-io.ts'
import type { SwimConfig, SwimInit, SwimPreset } from '../actors/swim/config.ts'
import { gossipQueue as gossipQueueActor } from '../actors/gossip-queue/definition.ts'
import { gossipQueueConfigFor } from '../actors/gossip-queue/config.ts'
import { memberManager as memberManagerActor } from '../actors/member-manager/definition.ts'
import type { SerfInit } from '../actors/member-manager/config.ts'
import type { Member } from '../actors/member-manager/protocol.ts'
import { serfEvents as serfEventsActor } from '../actors/serf-events/definition.ts'
import type { SerfEventsInit } from '../actors/serf-events/config.ts'
import type { SerfEventsEmitted } from '../actors/serf-events/protocol.ts'
import { memberEventSink } from './member-event-sink.ts'
import type { PublicMemberEvent } from './member-event-sink.ts'
import { packetTraceLine } from './packet-trace.ts'

/** running → leaving → left, or → crashed (from running or leaving). */
export type RuntimeNodeStatus = 'running' | 'leaving' | 'left' | 'crashed'

export interface RuntimeNodeSpec {
  /** The scenario's handle for the node. */
  name: string
  /** The name it goes by in the cluster (memberlist/Serf); differs from `name` only for an impostor. */
  nodeName: string
  /** "ip:port" on the memory network. */
  address: string
  seed: number
  preset: SwimPreset
  swim: SwimInit
  /** The resolved swim config (for the gossip-queue's packet shape). */
  swimConfig: SwimConfig
  serf: Omit<SerfInit, 'nodeName'>
  /** serf-events' config (library defaults when missing). */
  serfEvents?: SerfEventsInit
  joinVia: string[]
}

export interface RuntimeNodeHooks {
  clock: SimulatedClock
  network: MemoryNetwork
  /** Each public member event the node's member-manager emits. */
  onEvent: (node: RuntimeNode, msg: PublicMemberEvent) => void
  /** Each event the node's serf-events emits (user events, queries, query results, member events). */
  onSerfEvent?: (node: RuntimeNode, msg: SerfEventsEmitted) => void
  /** Something went wrong that a test should see (actor crash, failed leave, ...). */
  onProblem: (name: string, problem: string) => void
  /** When set, each datagram the node receives is noted here. */
  trace?: (line: string) => void
}

/** The ref `system.spawn` gives for a definition. */
type RefOf<D> = D extends ActorDefinition<infer M, infer TIn> ? ActorRef<M, TIn> : never

export class RuntimeNode {
  status: RuntimeNodeStatus = 'running'
  /** The latest member table read by `refreshView` (empty once the node is gone). */
  view: Member[] = []
  private stopped: Promise<void> | undefined

  private constructor(
    readonly spec: RuntimeNodeSpec,
    readonly system: ActorSystem,
    readonly swim: RefOf<typeof swimActor>,
    readonly gossipQueue: RefOf<typeof gossipQueueActor>,
    readonly memberManager: RefOf<typeof memberManagerActor>,
    readonly serfEvents: RefOf<typeof serfEventsActor>,
  ) {}

  get name(): string {
    return this.spec.name
  }

  get nodeName(): string {
    return this.spec.nodeName
  }

  get address(): string {
    return this.spec.address
  }

  /** Not crashed and not gone after its leave. */
  get running(): boolean {
    return this.status === 'running' || this.status === 'leaving'
  }

  static async start(spec: RuntimeNodeSpec, hooks: RuntimeNodeHooks): Promise<RuntimeNode> {
    const system = await ActorSystem.start({ node: spec.name, clock: hooks.clock, seed: spec.seed, logLevel: 'silent', compute: false })
    try {
      return await RuntimeNode.spawnActors(system, spec, hooks)
    } catch (err) {
      // A half-built node must not keep actors or timers on the shared clock.
      await system.shutdown({ drainTimeoutMs: 1_000 })
      throw err
    }
  }

  private static async spawnActors(system: ActorSystem, spec: RuntimeNodeSpec, hooks: RuntimeNodeHooks): Promise<RuntimeNode> {
    let self: RuntimeNode | undefined
    const early: PublicMemberEvent[] = []
    system.on((e) => {
      if (e.type === 'actor.crashed' || e.type === 'actor.escalated' || e.type === 'system.error') hooks.onProblem(spec.name, `${e.type}: ${JSON.stringify(e)}`)
    })
    const sink = memberEventSink((msg) => (self === undefined ? early.push(msg) : hooks.onEvent(self, msg)))
    await system.spawn(sink, { id: 'events', placement: 'inline' })
    const shape = { retransmitMult: spec.swimConfig.retransmitMult, udpBufferSize: spec.swimConfig.udpBufferSize, gossipNodes: spec.swimConfig.gossipNodes, encrypted: spec.swimConfig.keyring !== null && spec.swimConfig.gossipVerifyOutgoing }
    const gq = await system.spawn(gossipQueueActor, { id: 'gossip-queue', placement: 'inline', input: { config: gossipQueueConfigFor(shape) } })
    const mm = await system.spawn(memberManagerActor, {
      id: 'member-manager',
      placement: 'inline',
      input: { config: { ...spec.serf, nodeName: spec.nodeName }, peers: { swim: 'swim', gossipQueue: 'gossip-queue', events: 'events', serfEvents: 'serf-events' } },
      dependsOn: ['gossip-queue', 'events'],
    })
    const ip = Uint8Array.from(spec.address.slice(0, spec.address.lastIndexOf(':')).split('.').map(Number))
    const port = Number(spec.address.slice(spec.address.lastIndexOf(':') + 1))
    const se = await system.spawn(serfEventsActor, {
      id: 'serf-events',
      placement: 'inline',
      input: { nodeName: spec.nodeName, config: spec.serfEvents ?? {}, peers: { swim: 'swim', gossipQueue: 'gossip-queue', memberManager: 'member-manager' } },
      dependsOn: ['gossip-queue', 'member-manager'],
    })
    const earlySerf: SerfEventsEmitted[] = []
    se.on('*', (e) => (self === undefined ? earlySerf.push(e) : hooks.onSerfEvent?.(self, e)))
    const open = (at: string) => {
      const t = hooks.network.createTransport(at)
      const trace = hooks.trace
      if (trace !== undefined) {
        const onPacket = t.onPacket.bind(t)
        t.onPacket = (handler) =>
          onPacket((p) => {
            trace(packetTraceLine(hooks.clock.now(), at, p))
            handler(p)
          })
      }
      return t
    }
    const sw = await system.spawn(swimActor, {
      id: 'swim',
      placement: 'inline',
      input: { name: spec.nodeName, addr: ip, port, preset: spec.preset, config: spec.swim, join: spec.joinVia },
      dependsOn: ['gossip-queue', 'member-manager', 'serf-events'],
      ...swimIo(open),
    })
    self = new RuntimeNode(spec, system, sw, gq, mm, se)
    for (const msg of early) hooks.onEvent(self, msg)
    for (const msg of earlySerf) hooks.onSerfEvent?.(self, msg)
    return self
  }

  /** Reads the member-manager's table (`member.members`) into `view`. */
  async refreshView(): Promise<Member[]> {
    if (!this.running) return (this.view = [])
    // The node may go (crash, leave, close) while the ask is out: then it has no view.
    const reply = await this.memberManager.ask({ type: 'member.members' }).catch(() => undefined)
    this.view = this.running && reply !== undefined ? reply.members : []
    return this.view
  }

  /** Shuts the node's system down (idempotent): stops intake, runs exit work, closes swim's transport. */
  stop(): Promise<void> {
    this.stopped ??= this.system.shutdown({ drainTimeoutMs: 1_000 }).then(() => undefined)
    return this.stopped
  }
}
