/**
 * `createNode(options)`: one call starts a whole node. config.ts checks the options, compose.ts
 * spawns the actors, node.ts is the API over them. A failed start (bad config, a bind error, a
 * start join that reaches no one) stops everything it started before it rejects.
 */
import type { Logger } from 'pino'
import { ActorSystem } from '../runtime/actor-system.ts'
import { parseIp } from '../transport/ip-address.ts'
import type { GossamerNode, NodeOptions } from './api.ts'
import { isUnspecified, resolveNodeConfig, type NodeConfig } from './config.ts'
import { ACTOR_IDS, spawnNodeActors, swimInputOf, whenSwimRunning, type NodeActors } from './compose.ts'
import { EventHub } from './event-hub.ts'
import { keepMemberView } from './member-view.ts'
import { LogRing } from './log-ring.ts'
import { swimAskJoin } from './join.ts'
import type { SerfSurface } from './serf-surface.ts'
import { serfEventsSurface } from './serf-events-surface.ts'
import { coded, Node, SHUTDOWN_DRAIN_MS } from './node.ts'
import { createNodeLog } from './io/node-logger.ts'
import type { LogRecord } from '../logging/log-record.ts'
import { readKeyringFile, writeKeyringFile } from './io/keyring-file.ts'
import { defaultAdvertiseIp } from './io/local-address.ts'
import type { Coordination } from './coordination-surface.ts'

/** How long a start may take until swim is bound and running (ms): thread starts on a loaded machine. */
const START_TIMEOUT_MS = 30_000

/** Extension points for tests and the lead's wiring: the Serf event layer's surface. */
export interface CreateNodeDeps {
  /** The surface for events, queries, keys, coordinates and force-leave; default: serf-events' and swim's. */
  serf?: (node: { actors: NodeActors; system: ActorSystem; log: Logger; config: NodeConfig }) => SerfSurface
  /**
   * Where the node's and its actors' log records go besides `logs()` when `logLevel` is not
   * 'silent' (`gossamer agent`: Serf's text format). Default: each record's pino JSON line on stdout.
   */
  logOutput?: (record: LogRecord) => void
}

/** The IP swim advertises: `advertise`, else the bind address, else (bound to every interface) this host's. */
function advertiseIpOf(config: NodeConfig): Uint8Array {
  if (config.advertise !== undefined) return config.advertise.ip
  if (!isUnspecified(config.bind.ip)) return config.bind.ip
  return parseIp(defaultAdvertiseIp()) ?? Uint8Array.of(127, 0, 0, 1)
}

/**
 * Serf rewrites its keyring file after every key operation: swim emits each change of its live
 * ring, and the writes run one after another (the last change wins). A failed write is logged as
 * Serf logs it; the ring in memory stays as it is.
 */
function watchKeyring(actors: NodeActors, path: string, log: Logger): void {
  let writes: Promise<void> = Promise.resolve()
  actors.swim.on('swim.keyring-changed', (e) => {
    writes = writes.then(
      () => writeKeyringFile(path, e.keys),
    ).catch((err: unknown) => log.error({ subsystem: 'serf', err: coded(err) }, `Failed to write keyring file: ${(err as Error).message}`))
  })
}

/**
 * Starts a node: resolves once swim is bound and running (and, with `options.join`, once the join
 * reached someone); rejects with the coded config, bind or join error after stopping whatever it
 * had started.
 */
export async function createNode(options?: NodeOptions, deps: CreateNodeDeps = {}): Promise<GossamerNode> {
  const config = resolveNodeConfig(options)
  const keys = config.keyringFile === undefined ? config.keys : await readKeyringFile(config.keyringFile)
  const ring = new LogRing()
  // Every actor's lines come to this thread (the system's log sink) and go where the node's own go.
  const nodeLog = createNodeLog({ name: config.name, level: config.logLevel, ringLevel: config.logRingLevel, ring, ...(deps.logOutput === undefined ? {} : { output: deps.logOutput }) })
  const log = nodeLog.logger
  const swimInput = swimInputOf(config, keys, advertiseIpOf(config))
  const system = await ActorSystem.start({
    node: config.name,
    seed: nodeSeed(config.name),
    logLevel: nodeLog.systemLevel,
    logSink: nodeLog.sink,
    ...(config.codeCache === undefined ? {} : { codeCache: config.codeCache }),
  })
  const hub = new EventHub()
  let node: Node | undefined
  try {
    const actors = await spawnNodeActors(system, config, swimInput)
    const address = await whenSwimRunning(actors.swim, START_TIMEOUT_MS)
    if (config.keyringFile !== undefined) watchKeyring(actors, config.keyringFile, log)
    const serf = deps.serf?.({ actors, system, log, config }) ?? serfEventsSurface(actors, system.clock)
    // Member events (coalesced as the agent does, when on), user events and queries: all from serf-events.
    if (serf.events !== undefined) hub.attach(serf.events)
    // The member list kept on this thread, for members() without a hop to member-manager (member-view.ts).
    const memberView = keepMemberView({ memberManager: actors.memberManager, system })
    // The subscriptions are on in member-manager's thread from here: no event after this is missed.
    await system.sync()
    // Each asked join gets its own outcome (numJoined, a coded error per address), answered by
    // member-manager once it holds the join's members (as Serf's Join returns with them listed).
    const { tcpTimeoutMs } = (await actors.swim.getSnapshot()).context.config
    const joinPort = swimAskJoin({
      ask: (addresses, timeoutMs) => actors.swim.ask({ type: 'swim.join', addresses, replyAfterMembers: true }, { timeoutMs }),
      tcpTimeoutMs,
    })
    // Partition detector, election and assignment, wired to the membership actors (coordination.ts).
    // Loaded only when coordination is on: a node without it does not keep their ~230 KB of JS
    // (source, bytecode) resident (issue 13: an inline agent's RSS).
    let self: Node | undefined
    let coordination: Coordination | undefined
    let coordinationIds: string[] = []
    if (config.coordination !== undefined) {
      const [{ COORDINATION_IDS, spawnCoordination }, { Coordination }] = await Promise.all([import('./coordination.ts'), import('./coordination-surface.ts')])
      const coordinationActors = await spawnCoordination(system, config, actors)
      coordination = new Coordination(coordinationActors, () => self?.running ?? false)
      coordinationIds = Object.values(COORDINATION_IDS)
    }
    node = new Node(config.name, address, config, system, actors, hub, ring, log, joinPort, serf, memberView, coordination)
    self = node
    const running = node
    // Serf's minority side of a conflict about its own name shuts down (the agent then exits 0).
    serf.onNameConflictLost?.((lost) => {
      log.error({ subsystem: 'serf' }, lost.log)
      void running.stop({ reason: 'name-conflict', error: { code: 'ERR_NAME_CONFLICT', message: lost.log } })
    })
    if (config.inspect !== undefined) {
      // Loaded only for a node with the page: its chart layout (elkjs) stays out of every other start.
      const { startNodeLivePage } = await import('../inspect/live/node-live-page.ts')
      const live = await startNodeLivePage(running, system, config.inspect)
      node.attachLivePage(live)
      log.info({ subsystem: 'agent', url: live.url }, `live page at ${live.url}`)
    }
    log.info({ subsystem: 'serf', address, placement: config.placement, actors: [...Object.values(ACTOR_IDS).filter((id) => id !== 'snapshotter' || actors.snapshotter !== undefined), ...coordinationIds] }, 'node running')
    if (config.join.length > 0) await node.join(config.join, { replay: config.replay })
    node.startRetryJoin()
    node.rejoinFromSnapshot()
    return node
  } catch (err) {
    // Nothing started stays behind: no thread, socket or timer.
    if (node !== undefined) await node.shutdown()
    else {
      hub.close()
      await system.shutdown({ drainTimeoutMs: SHUTDOWN_DRAIN_MS }).catch(() => undefined)
      ring.close()
    }
    throw coded(err)
  }
}

/**
 * The node's random seed: FNV-1a of its name. Every node of a cluster runs the same actor ids, and
 * an actor's random stream derives from the system seed and its id, so one seed for all nodes
 * gave every node the same stream: the same election jitter (split votes round after round) and
 * the same probe order. Names are unique in a cluster, and a name gives the same seed every run.
 */
export function nodeSeed(name: string): number {
  let h = 0x811c9dc5
  for (const b of new TextEncoder().encode(name)) h = Math.imul(h ^ b, 0x01000193) >>> 0
  return h === 0 ? 1 : h
}
