/**
 * The GossamerNode over a started node's actors (create-node.ts starts them). It holds no
 * membership state of its own: members, tags and counters are the actors'; it keeps only its
 * streams (the event hub, the log ring), the tags it last set (for Serf's merge rule), its join
 * and rejoin counts, and its lifecycle: running → (leaving →) stopped. Every method rejects only
 * with a ClusterError; after shutdown each rejects ERR_NODE_SHUT_DOWN and each stream ends at once.
 */
import type { Logger } from 'pino'
import type { ActorSystem } from '../runtime/actor-system.ts'
import { ClusterError, fromWireError, isWireError } from '../errors/index.ts'
import { isPlainObject } from '../config/fields.ts'
import type { Coordinate } from '../coordinate/index.ts'
import type {
  AssignmentsOptions, ElectionHandle, MyAssignment,
  BoundedStream, EventsOptions, ForceLeaveOptions, GossamerNode, JoinOptions, KeyOperations, LogLine, Member, MemberFilter,
  NodeEvent, NodeStats, NodeStopped, QueryOptions, QueryStream, UserEventOptions,
} from './api.ts'
import { canonicalJoinAddress, checkJoinAddresses, tagsProblem, type NodeConfig } from './config.ts'
import type { NodeActors } from './compose.ts'
import type { EventHub } from './event-hub.ts'
import { compileMemberFilter } from './member-filter.ts'
import type { MemberView } from './member-view.ts'
import { isLogLevel, type LogRing } from './log-ring.ts'
import { joinFailedError, type JoinPort } from './join.ts'
import type { SerfSurface } from './serf-surface.ts'
import { buildNodeStats } from './stats.ts'
import { watchRetryJoin, type RetryJoinWatch } from './retry-join-log.ts'
import type { Coordination } from './coordination-surface.ts'

/** Time the actors get to drain and stop at shutdown (ms); then worker threads are terminated. */
export const SHUTDOWN_DRAIN_MS = 5_000

/** Any thrown value as a ClusterError (the API's one rejection type). */
export function coded(err: unknown): ClusterError {
  if (err instanceof ClusterError) return err
  if (isWireError(err)) return fromWireError(err)
  return new ClusterError('ERR_INTERNAL', err instanceof Error ? err.message : String(err), { cause: err })
}

function shutDownError(operation: string): ClusterError {
  return new ClusterError('ERR_NODE_SHUT_DOWN', `${operation}: the node is shut down`)
}

export class Node implements GossamerNode {
  #state: 'running' | 'leaving' | 'stopped' = 'running'
  #shutdown: Promise<void> | undefined
  #leave: Promise<void> | undefined
  #tags: Record<string, string>
  #tagsQueue: Promise<unknown> = Promise.resolve()
  #joins = 0
  #joinsFailed = 0
  #retryWatch: RetryJoinWatch | undefined
  #rejoin = { attempts: 0, joined: false }
  readonly keys: KeyOperations
  readonly stopped: Promise<NodeStopped>
  #resolveStopped!: (why: NodeStopped) => void
  /** Why the node is stopping; the first reason given wins. */
  #stopReason: NodeStopped | undefined
  /** The live page server (`inspect`), stopped with the node. */
  #live: { readonly url: string; close(): Promise<void> } | undefined

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly config: NodeConfig,
    private readonly system: ActorSystem,
    private readonly actors: NodeActors,
    private readonly hub: EventHub,
    private readonly ring: LogRing,
    private readonly log: Logger,
    private readonly joinPort: JoinPort,
    private readonly serf: SerfSurface,
    /** The member list kept on this thread (member-view.ts); stopped with the node. */
    private readonly memberView: { view: MemberView; stop(): void },
    /** node.election()/assignments() (createNode's `coordination`); undefined: off. */
    private readonly coordination?: Coordination,
  ) {
    this.#tags = { ...config.tags }
    this.stopped = new Promise((resolve) => (this.#resolveStopped = resolve))
    const k = serf.keys
    this.keys = {
      install: (key) => this.#guard('keys.install', () => k.install(key)),
      use: (key) => this.#guard('keys.use', () => k.use(key)),
      remove: (key) => this.#guard('keys.remove', () => k.remove(key)),
      list: () => this.#guard('keys.list', () => k.list()),
    }
  }

  /** Runs `f` if the node runs, its failure as a ClusterError; never throws synchronously. */
  async #guard<T>(operation: string, f: () => Promise<T>): Promise<T> {
    if (this.#state === 'stopped') throw shutDownError(operation)
    try {
      return await f()
    } catch (err) {
      throw coded(err)
    }
  }

  /**
   * Serf's rejoin from the snapshot: the members alive when this node last ran, tried one at a time
   * in the snapshot's (random) order until one answers; not after a graceful leave unless
   * rejoinAfterLeave. In the background: a start never waits for it, and failures are only logged.
   */
  rejoinFromSnapshot(): void {
    const restored = this.actors.restored
    if (restored === undefined || restored.left || restored.previousNodes.length === 0) return
    const log = this.log.child({ subsystem: 'serf' })
    void (async () => {
      for (const prev of restored.previousNodes) {
        if (this.#state !== 'running') return
        this.#rejoin.attempts++
        try {
          await this.join([prev.addr])
          this.#rejoin.joined = true
          log.info({ node: prev.name, addr: prev.addr }, `Re-joined to previously known node: ${prev.name}: ${prev.addr}`)
          return
        } catch (err) {
          log.warn({ node: prev.name, err: coded(err) }, `Failed to re-join previously known node ${prev.name}`)
        }
      }
      log.warn('Failed to re-join any previously known node')
    })()
  }

  /** The live page's address, or undefined without `inspect`. */
  get inspectUrl(): string | undefined {
    return this.#live?.url
  }

  /** Attaches the live page server (create-node.ts starts it); closed first at shutdown. */
  attachLivePage(live: { readonly url: string; close(): Promise<void> }): void {
    this.#live = live
  }

  startRetryJoin(): void {
    if (this.config.retryJoin === undefined) return
    const swim = this.actors.swim
    this.#retryWatch = watchRetryJoin(async () => (await swim.getSnapshot()).context.joinRetry, this.log.child({ subsystem: 'agent' }), () => this.system.clock.now())
  }

  members(filter?: MemberFilter): Promise<Member[]> {
    return this.#guard('members', async () => {
      if (filter !== undefined && !isPlainObject(filter)) throw new ClusterError('ERR_INVALID_MEMBER_FILTER', 'members: the filter must be an object { tags?, status?, name? }')
      const accept = compileMemberFilter(filter)
      const view = this.memberView.view
      const kept = view.read()
      if (kept !== undefined) return kept.filter(accept)
      const token = view.asking()
      const reply = await this.actors.memberManager.ask({ type: 'member.members' })
      view.fromReply(token, reply)
      return reply.members.filter(accept)
    })
  }

  election(group: string): ElectionHandle {
    return this.#coordination('election').election(group)
  }

  assignments(group: string, options: AssignmentsOptions): BoundedStream<MyAssignment> {
    return this.#coordination('assignments').assignments(group, options)
  }

  #coordination(operation: string): Coordination {
    if (this.coordination === undefined) throw new ClusterError('ERR_COORDINATION_OFF', `${operation}: this node runs without coordination (createNode({ coordination: {...} }))`)
    return this.coordination
  }

  /** Whether the node still runs (the coordination surface asks). */
  get running(): boolean {
    return this.#state !== 'stopped'
  }

  events(options: EventsOptions = {}): BoundedStream<NodeEvent> {
    // A bad filter or buffer throws here, coded, before a stream exists (the RPC server answers it at once).
    return this.hub.open(options)
  }

  logs(options: { level?: LogLine['level']; signal?: AbortSignal } = {}): BoundedStream<LogLine> {
    const level = options.level ?? 'info'
    if (!isLogLevel(level)) throw new ClusterError('ERR_INVALID_LOG_LEVEL', `Unknown log level: ${String(level).toUpperCase()}`, { details: { level } })
    return this.ring.stream(level, options.signal)
  }

  userEvent(name: string, payload: Uint8Array | null = null, options: UserEventOptions = {}): Promise<void> {
    return this.#guard('userEvent', () => this.serf.userEvent(name, payload, options))
  }

  query(name: string, payload: Uint8Array | null = null, options: QueryOptions = {}): Promise<QueryStream> {
    return this.#guard('query', () => this.serf.query(name, payload, options))
  }

  respond(key: string, payload: Uint8Array | null): Promise<void> {
    return this.#guard('respond', () => this.serf.respond(key, payload))
  }

  coordinate(node?: string): Promise<Coordinate | undefined> {
    return this.#guard('coordinate', () => this.serf.coordinate(node))
  }

  forceLeave(node: string, options: ForceLeaveOptions = {}): Promise<void> {
    return this.#guard('forceLeave', () => this.#writing(() => this.serf.forceLeave(node, options)))
  }

  /** A write to the member list: the next members() read asks member-manager (member-view.ts). */
  async #writing<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f()
    } finally {
      this.memberView.view.wrote()
    }
  }

  setTags(set: Readonly<Record<string, string>>, remove: readonly string[] = []): Promise<void> {
    // One at a time: each merge starts from the tags the previous one left.
    const run = this.#tagsQueue.then(() =>
      this.#guard('setTags', async () => {
        if (!isPlainObject(set) || !Object.values(set).every((v) => typeof v === 'string')) throw new ClusterError('ERR_INVALID_TAGS', 'setTags: tags must be an object of strings')
        if (!Array.isArray(remove) || !remove.every((k) => typeof k === 'string')) throw new ClusterError('ERR_INVALID_TAGS', 'setTags: remove must be an array of tag names')
        // Serf's rule: (current minus remove) merged with set; set wins for a key in both.
        const next = { ...this.#tags }
        for (const k of remove) delete next[k]
        Object.assign(next, set)
        const problem = tagsProblem(next, this.config.protocol)
        if (problem !== undefined) throw new ClusterError('ERR_TAGS_TOO_LARGE', 'Encoded length of tags exceeds limit of 512 bytes', { details: { problem } })
        const reply = await this.#writing(() => this.actors.memberManager.ask({ type: 'member.set-tags', tags: next }))
        if (reply.error !== undefined) throw fromWireError(reply.error)
        this.#tags = next
        this.log.info({ subsystem: 'serf', tags: next }, 'tags updated')
      }),
    )
    this.#tagsQueue = run.catch(() => undefined)
    return run
  }

  join(addresses: readonly string[], _options: JoinOptions = {}): Promise<number> {
    return this.#guard('join', async () => {
      if (this.#state !== 'running') throw new ClusterError('ERR_JOIN_AFTER_LEAVE', "Serf can't Join after Leave or Shutdown")
      // Checked by swim's rule (a bad one names join[i]); IP literals written as members' addresses are.
      const parsed = checkJoinAddresses('join', addresses).map(canonicalJoinAddress)
      if (parsed.length === 0) throw new ClusterError('ERR_JOIN_FAILED', 'join: no addresses given')
      this.#joins++
      // As Serf's Join, which returns with the joined members in its member list: the join port's
      // answer comes once member-manager holds them (create-node.ts).
      const out = await this.#writing(() => this.joinPort.join(parsed))
      if (out.numJoined === 0) {
        this.#joinsFailed++
        const err = joinFailedError(parsed, out.errors)
        this.log.warn({ subsystem: 'serf', err: { code: err.code, message: err.message } }, 'join reached no member')
        throw err
      }
      this.log.info({ subsystem: 'serf', numJoined: out.numJoined }, `Join completed. Synced with ${out.numJoined} initial agents`)
      return out.numJoined
    })
  }

  leave(): Promise<void> {
    if (this.#leave !== undefined) return this.#leave
    if (this.#state === 'stopped') return Promise.reject(new ClusterError('ERR_NODE_SHUT_DOWN', 'Leave called after Shutdown'))
    this.#state = 'leaving'
    const timeoutMs = this.config.leaveTimeoutMs
    this.log.info({ subsystem: 'serf' }, 'leaving the cluster')
    const leave = (async () => {
      try {
        // member-manager waits up to the broadcast timeout for the intent, twice it for swim's
        // dead, then the 1 s propagate delay: the ask outlives all three.
        const reply = await this.actors.memberManager.ask({ type: 'member.leave' }, { timeoutMs: 3 * timeoutMs + 1_000 + 5_000 })
        if (reply.error !== undefined) throw fromWireError(reply.error)
        this.log.info({ subsystem: 'serf' }, 'left the cluster')
      } catch (err) {
        this.log.error({ subsystem: 'serf', err: coded(err) }, 'graceful leave failed')
        throw coded(err)
      } finally {
        // As Serf's agent: the node shuts down after its leave, whether or not the leave went well.
        await this.stop({ reason: 'left' })
      }
    })()
    this.#leave = leave
    return leave
  }

  shutdown(): Promise<void> {
    return this.stop({ reason: 'shutdown' })
  }

  /** Shuts the node down for `why` (the first caller's reason is the one `stopped` reports). */
  stop(why: NodeStopped): Promise<void> {
    this.#stopReason ??= why
    this.#shutdown ??= (async () => {
      this.#state = 'stopped'
      this.#retryWatch?.stop()
      this.memberView.stop()
      this.hub.close()
      this.coordination?.close()
      this.serf.close?.()
      // The page's clients and timers end before the actors they read from.
      await this.#live?.close()
      this.log.info({ subsystem: 'serf' }, 'shutting down')
      try {
        const report = await this.system.shutdown({ drainTimeoutMs: SHUTDOWN_DRAIN_MS })
        if (!report.clean) this.log.warn({ subsystem: 'serf', report }, 'shutdown was not clean')
      } catch (err) {
        this.log.error({ subsystem: 'serf', err: coded(err) }, 'shutdown failed')
      }
      this.ring.close()
      this.#resolveStopped(this.#stopReason ?? why)
    })()
    return this.#shutdown
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown()
  }

  stats(): Promise<NodeStats> {
    return this.#guard('stats', async () => {
      const { swim, memberManager, gossipQueue, snapshotter } = this.actors
      const [member, gossip, swimSnap, snap, system, clocks] = await Promise.all([
        memberManager.ask({ type: 'member.stats' }),
        gossipQueue.ask({ type: 'gossip.stats' }),
        swim.getSnapshot(),
        snapshotter === undefined ? Promise.resolve(undefined) : snapshotter.ask({ type: 'snapshot.stats' }),
        this.system.stats(),
        this.serf.clocks(),
      ])
      const retry = swimSnap.context.joinRetry
      return buildNodeStats({
        name: this.name,
        tags: this.#tags,
        member,
        gossip,
        swim: swimSnap.context,
        snapshotter: snap === undefined ? undefined : ({ ...snap } as Record<string, unknown>),
        system,
        clocks,
        node: {
          eventsPublished: this.hub.published,
          eventsDropped: this.hub.dropped,
          eventReaders: this.hub.readers,
          logReaders: this.ring.readers,
          logLinesOverwritten: this.ring.overwritten,
          memberView: { ...this.memberView.view.stats },
          joins: this.#joins,
          joinsFailed: this.#joinsFailed,
          retryJoin: { status: retry.status, attempts: retry.attempts },
          ...(this.actors.restored === undefined ? {} : { snapshotRejoin: { ...this.#rejoin, previousNodes: this.actors.restored.previousNodes.length } }),
        },
      })
    })
  }
}
