/**
 * Election actors with the `membership` backend in one ActorSystem (inline, on the system's clock:
 * real for the compliance suite, a SimulatedClock for the chaos runs), each node's swim stood in
 * for by a `sim-swim` actor that carries its `swim.send-gossamer` over a shared link model (latency,
 * loss, cuts, partitions, slow nodes) to the named node's election actor as `gossamer.message`. The
 * bytes are the real envelope (decodeGossamerMessage checks it on the way). Members are told as
 * member-manager's `member.event` with the Gossamer tag.
 *
 * With `assignment` set, each node also runs the real assignment actor (membership backend) as its
 * election's `events` peer, registered as a worker of one group: its publications (reliable
 * `swim.send-gossamer` on the assignment channel) cross the same link model to the named node's
 * assignment actor. The link model does not tell reliable from UDP sends: both have the latency and
 * fate it gives (a reliable send is not retried here; the benches run it without loss).
 *
 * Each node's election is driven through `ActorElection` (actor-election.ts), the ElectionBackend
 * interface over the actor, so the compliance suite (compliance.ts) runs against the real actor.
 */
import { assign, setup } from 'xstate'
import { ActorSystem } from '../../src/runtime/actor-system.ts'
import { memorySnapshotStore, type PersistedRecord } from '../../src/runtime/options.ts'
import type { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import { actorAddress, type ActorEnv } from '../../src/types/actor-env.ts'
import { createSeededRandom, type RandomSource } from '../../src/types/random.ts'
import { decodeGossamerMessage, GOSSAMER_TAG } from '../../src/wire/gossamer-message.ts'
import { election } from '../../actors/election/definition.ts'
import { assignment } from '../../actors/assignment/definition.ts'
import type { AssignmentChangedMsg, AssignmentInput } from '../../actors/assignment/protocol.ts'
import type { ElectionInit } from '../../actors/election/config.ts'
import type { ElectionInbound } from '../../actors/election/protocol.ts'
import { ActorElection } from './actor-election.ts'
import type { SendGossamerMsg, GossamerMessageIn } from '../../actors/swim/protocol.ts'
import type { MemberEventMsg } from '../../actors/member-manager/protocol.ts'

export { ActorElection } from './actor-election.ts'

/** How messages between two nodes fare; mutable while the cluster runs. */
export class LinkModel {
  /** One-way latency in ms: min + random × (max − min). */
  latency: [number, number] = [1, 3]
  /** Probability a message is lost. */
  loss = 0
  /** Nodes cut off from everyone. */
  readonly cut = new Set<string>()
  /** Partition side per node (absent: side 0); messages cross only within a side. */
  readonly side = new Map<string, number>()
  /** Extra delay (ms) on everything a node sends or receives (a slow node). */
  readonly slow = new Map<string, number>()
  /** Election actor id of each node name (the current incarnation). */
  readonly targets = new Map<string, string>()
  /** Assignment actor id of each node name (with ClusterOptions.assignment). */
  readonly assignmentTargets = new Map<string, string>()
  sent = 0
  dropped = 0
  constructor(readonly random: RandomSource) {}

  /** The delay of one message from → to, or undefined when it is lost. */
  fate(from: string, to: string): number | undefined {
    if (this.cut.has(from) || this.cut.has(to) || (this.side.get(from) ?? 0) !== (this.side.get(to) ?? 0) || this.random.next() < this.loss) {
      this.dropped++
      return undefined
    }
    this.sent++
    const [a, b] = this.latency
    return a + this.random.next() * (b - a) + (this.slow.get(from) ?? 0) + (this.slow.get(to) ?? 0)
  }
}

const models = new Map<string, LinkModel>()
let modelSeq = 0

/** The stand-in for swim: takes `swim.send-gossamer`, delivers it as `gossamer.message` to the named node. */
const simSwim = defineActor({
  name: 'sim-swim',
  machine: (env: ActorEnv) =>
    setup({ types: {} as { context: { name: string; model: string; badEnvelopes: number }; events: SendGossamerMsg; input: { name: string; model: string } } }).createMachine({
      context: ({ input }) => ({ ...input, badEnvelopes: 0 }),
      on: {
        'swim.send-gossamer': {
          actions: assign(({ context, event }) => {
            let decoded
            try {
              decoded = decodeGossamerMessage(event.bytes)
            } catch {
              return { badEnvelopes: context.badEnvelopes + 1 }
            }
            const model = models.get(context.model)!
            const delay = model.fate(context.name, event.to)
            const targets = decoded.channel === 'assignment' ? model.assignmentTargets : model.targets
            const target = targets.get(event.to)
            if (delay === undefined || target === undefined) return {}
            const msg: GossamerMessageIn = { type: 'gossamer.message', from: context.name, channel: decoded.channel, body: decoded.body.slice() }
            env.clock.setTimeout(() => {
              // Delivered only if the receiver is still reachable when it lands (a cut is immediate).
              if (model.cut.has(event.to) || targets.get(event.to) !== target) return
              env.send(actorAddress<GossamerMessageIn>(target), msg)
            }, delay)
            return {}
          }),
        },
      },
    }),
})

export interface ClusterOptions {
  clock?: SimulatedClock
  seed?: number
  /** Lease config overrides of every node. */
  lease?: ElectionInit
  /** Each node also runs an assignment actor, registered as a worker of `group` at its start. */
  assignment?: { group: string; partitions: number; calculator?: AssignmentInput['calculator'] }
}

type AssignmentRef = {
  id: string
  send(msg: object): unknown
  ask(msg: object, options?: { timeoutMs?: number }): Promise<unknown>
  on(type: 'assignment.changed', handler: (e: AssignmentChangedMsg) => void): () => void
  stop(): Promise<void>
}

/** What a crash keeps of a node: the last record the runtime persisted before it. */
export interface Crashed {
  name: string
  record: PersistedRecord | undefined
  swimId: string
}

export class MembershipCluster {
  readonly model: LinkModel
  private readonly modelId: string
  private generation = 0
  readonly nodes = new Map<string, { ref: Awaited<ReturnType<ActorSystem['spawn']>>; backend: ActorElection; assignment?: AssignmentRef }>()

  private constructor(
    readonly system: ActorSystem,
    private readonly options: ClusterOptions,
    readonly store: ReturnType<typeof memorySnapshotStore>,
  ) {
    this.modelId = `m${++modelSeq}`
    this.model = new LinkModel(createSeededRandom(options.seed ?? 1).fork('links'))
    models.set(this.modelId, this.model)
  }

  static async start(options: ClusterOptions = {}): Promise<MembershipCluster> {
    const store = memorySnapshotStore()
    const system = await ActorSystem.start({ logLevel: 'silent', seed: options.seed ?? 1, compute: false, snapshotStore: store, ...(options.clock === undefined ? {} : { clock: options.clock }) })
    return new MembershipCluster(system, options, store)
  }

  private memberEvent(event: MemberEventMsg['event'], names: string[]): MemberEventMsg {
    return {
      type: 'member.event',
      event,
      members: names.map((name) => ({ name, addr: Uint8Array.of(10, 0, 0, 1), port: 7946, tags: { [GOSSAMER_TAG]: '1' }, status: event === 'member-failed' ? 'failed' : event === 'member-leave' ? 'left' : 'alive', protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 })),
    }
  }

  /**
   * Starts node `name` (a fresh actor; `from`: restarted from the record a crash kept, as the
   * runtime restores a crashed actor: `runtime.restored` and the persisted context); every node
   * learns of it.
   */
  async add(name: string, from?: Crashed): Promise<ActorElection> {
    const g = ++this.generation
    const swimId = from?.swimId ?? `swim-${name}-${g}`
    const electionId = `election-${name}-${g}`
    if (from === undefined) await this.system.spawn(simSwim, { id: swimId, placement: 'inline', input: { name, model: this.modelId } })
    else {
      if (from.record !== undefined) this.store.records.set(electionId, from.record)
      this.model.cut.delete(name)
    }
    const a = this.options.assignment
    const assignmentId = `assignment-${name}-${g}`
    const peers = { swim: swimId, ...(a === undefined ? {} : { events: assignmentId }) }
    const ref = await this.system.spawn(election, { id: electionId, placement: 'inline', input: { self: name, backend: 'membership', membership: this.options.lease ?? {}, peers } })
    this.model.targets.set(name, electionId)
    let as: AssignmentRef | undefined
    if (a !== undefined) {
      const input: AssignmentInput = { self: name, backend: 'membership', ...(a.calculator === undefined ? {} : { calculator: a.calculator }), peers: { swim: swimId, election: electionId } }
      as = (await this.system.spawn(assignment, { id: assignmentId, placement: 'inline', input })) as unknown as AssignmentRef
      this.model.assignmentTargets.set(name, assignmentId)
    }
    const others = [...this.nodes.keys()].filter((n) => n !== name)
    ref.send(this.memberEvent('member-join', others) as ElectionInbound)
    as?.send(this.memberEvent('member-join', others))
    for (const o of others) {
      const other = this.nodes.get(o)!
      other.ref.send(this.memberEvent('member-join', [name]) as never)
      other.assignment?.send(this.memberEvent('member-join', [name]))
    }
    const backend = new ActorElection(name, ref as never)
    this.nodes.set(name, { ref, backend, ...(as === undefined ? {} : { assignment: as }) })
    // A worker of the group: the register makes the node stand for the group's leader too.
    if (as !== undefined && a !== undefined) as.send({ type: 'assignment.register', group: a.group, partitions: a.partitions })
    this.swims.set(name, swimId)
    return backend
  }

  private readonly swims = new Map<string, string>()

  /**
   * Crashes node `name`: nothing more leaves it (its stop's resigns are cut off) and what it had
   * persisted before is what a restart gets (the stop's own final record is discarded).
   */
  async crash(name: string, options: { tellFailed?: boolean } = {}): Promise<Crashed> {
    const node = this.nodes.get(name)!
    const record = this.store.records.get(node.ref.id)
    this.model.cut.add(name)
    this.model.targets.delete(name)
    this.model.assignmentTargets.delete(name)
    this.nodes.delete(name)
    await node.backend.close()
    await node.assignment?.stop()
    // The others' member-manager soon says it failed (it still counts in the expected size); with
    // tellFailed false the caller tells it (tellAll) when its detection would have.
    if (options.tellFailed !== false) this.tellAll('member-failed', [name])
    return { name, record, swimId: this.swims.get(name)! }
  }

  /** Tells every node but `except` a member event about `names`. */
  tellAll(event: MemberEventMsg['event'], names: string[], except?: string): void {
    for (const [n, { ref, assignment: as }] of this.nodes) {
      if (n === except) continue
      ref.send(this.memberEvent(event, names) as never)
      as?.send(this.memberEvent(event, names))
    }
  }

  async shutdown(): Promise<void> {
    models.delete(this.modelId)
    await this.system.shutdown({ drainTimeoutMs: 2_000 })
  }
}
