/**
 * The actors of one node and how they are wired: the snapshotter (when a snapshot path is given),
 * gossip-queue, member-manager and swim, spawned in dependency order in one ActorSystem, each in
 * its own worker thread ('workers') or all in the caller's thread ('inline', with the real socket
 * and file implementations swim's and the snapshotter's worker.ts use).
 */
import type { ActorSystem } from '../runtime/actor-system.ts'
import type { ActorRef } from '../runtime/types.ts'
import type { ActorDefinition, ContextOf, InputOf } from '../runtime/define-actor.ts'
import { ClusterError, fromWireError } from '../errors/index.ts'
import { formatIp } from '../transport/ip-address.ts'
import { swim } from '../../actors/swim/definition.ts'
import { nodeSwimIo } from '../../actors/swim/io/node-net.ts'
import { createSwimConfig } from '../../actors/swim/config.ts'
import { gossipQueue } from '../../actors/gossip-queue/definition.ts'
import { gossipQueueConfigFor } from '../../actors/gossip-queue/config.ts'
import { memberManager } from '../../actors/member-manager/definition.ts'
import type { SerfInit } from '../../actors/member-manager/config.ts'
import type { snapshotter } from '../../actors/snapshotter/definition.ts'
import { serfEvents } from '../../actors/serf-events/definition.ts'
import type { SerfEventsInit } from '../../actors/serf-events/config.ts'
import type { SnapshotRestore } from '../../actors/snapshotter/protocol.ts'
import { isUnspecified, type NodeConfig } from './config.ts'

/** The ref `system.spawn` gives for a definition. */
export type RefOf<D> = D extends ActorDefinition<infer M, infer TIn> ? ActorRef<M, TIn> : never
/** A definition's machine. */
type MachineOf<D> = D extends ActorDefinition<infer M, infer _TIn> ? M : never
/** swim's input and context, as its definition types them. */
export type SwimInput = InputOf<MachineOf<typeof swim>>
export type SwimContext = ContextOf<MachineOf<typeof swim>>

export interface NodeActors {
  swim: RefOf<typeof swim>
  gossipQueue: RefOf<typeof gossipQueue>
  memberManager: RefOf<typeof memberManager>
  serfEvents: RefOf<typeof serfEvents>
  snapshotter: RefOf<typeof snapshotter> | undefined
  /** What the snapshot file held at start (with a snapshot path): members to rejoin, clocks. */
  restored: SnapshotRestore | undefined
}

/** How long the snapshotter may take to replay its file at start (ms): a large file on a slow disk. */
const RESTORE_TIMEOUT_MS = 30_000

/** Actor ids in the node's system (the kind names, as every actor's peers default to them). */
export const ACTOR_IDS = { swim: 'swim', gossipQueue: 'gossip-queue', memberManager: 'member-manager', serfEvents: 'serf-events', snapshotter: 'snapshotter' } as const

/** Serf's agent coalescing windows (serf-rpc.md §4.1): flush 3 s after the first event or 1 s after the last. */
const AGENT_COALESCE_MS = 3_000
const AGENT_QUIESCENT_MS = 1_000

/** serf-events' config for this node: the agent's coalescing (each optional), replay, protocol, timing and size limits. */
export function serfEventsInitOf(config: NodeConfig, gossipIntervalMs: number): SerfEventsInit {
  const members = config.coalesce.members
  const users = config.coalesce.userEvents
  return {
    protocolVersion: config.protocol,
    gossipIntervalMs,
    eventJoinIgnore: !config.replay,
    userEventSizeLimit: config.userEventSizeLimit,
    querySizeLimit: config.querySizeLimit,
    queryResponseSizeLimit: config.queryResponseSizeLimit,
    coalescePeriodMs: members ? AGENT_COALESCE_MS : 0,
    quiescentPeriodMs: members ? AGENT_QUIESCENT_MS : 0,
    userCoalescePeriodMs: users ? AGENT_COALESCE_MS : 0,
    userQuiescentPeriodMs: users ? AGENT_QUIESCENT_MS : 0,
  }
}

/** swim's input for this node: what it advertises, where it binds, its profile and keys, its joins. */
export function swimInputOf(config: NodeConfig, keys: readonly string[], advertiseIp: Uint8Array): SwimInput {
  const advertisePort = config.advertise?.port ?? config.bind.port
  const bind = `${config.bind.ip.length === 16 ? `[${config.bind.host}]` : config.bind.host}:${config.bind.port}`
  const sameAsBind = config.advertise === undefined && !isUnspecified(config.bind.ip)
  return {
    name: config.name,
    addr: advertiseIp,
    port: advertisePort,
    ...(sameAsBind ? {} : { bind }),
    preset: config.profile,
    config: {
      // Serf runs memberlist at protocol 2 whatever its own protocol (serf-rpc.md §0).
      protocolVersion: 2,
      enableCompression: config.compression,
      keys: keys.length > 0 ? [...keys] : null,
      ...(config.retryJoin === undefined
        ? {}
        : { retryJoin: [...config.retryJoin.addresses], retryJoinIntervalMs: config.retryJoin.intervalMs, retryJoinMax: config.retryJoin.maxAttempts }),
    },
    // createNode runs the start join itself (to report its outcome), not swim's input.
    join: [],
  }
}

/** member-manager's config for this node: identity, tags, the leave's timeout, reconnect and reap, name conflicts. */
export function memberManagerConfigOf(config: NodeConfig): SerfInit {
  return {
    nodeName: config.name,
    tags: { ...config.tags },
    protocolVersion: config.protocol,
    broadcastTimeoutMs: config.leaveTimeoutMs,
    reconnectIntervalMs: config.reconnectIntervalMs,
    reconnectTimeoutMs: config.reconnectTimeoutMs,
    tombstoneTimeoutMs: config.tombstoneTimeoutMs,
    enableNameConflictResolution: config.nameConflictResolution,
  }
}

/** swim's receivers of Gossamer messages by channel (coordination.ts's actors), when coordination is on. */
function gossamerPeers(config: NodeConfig): { gossamer?: { election: string; assignment: string } } {
  return config.coordination === undefined ? {} : { gossamer: { election: 'election', assignment: 'assignment' } }
}

/** Spawns the node's actors; on a failure the caller shuts the system down (nothing is left half-started). */
export async function spawnNodeActors(system: ActorSystem, config: NodeConfig, swimInput: SwimInput): Promise<NodeActors> {
  const inline = config.placement === 'inline'
  const placement = inline ? ('inline' as const) : ('worker' as const)
  let snap: RefOf<typeof snapshotter> | undefined
  let restored: SnapshotRestore | undefined
  if (config.snapshotPath !== undefined) {
    // Loaded only for a node with a snapshot: several MB of resident code a node without one never runs.
    const { snapshotter } = await import('../../actors/snapshotter/definition.ts')
    const { nodeSnapshotterIo } = await import('../../actors/snapshotter/io/node-platform.ts')
    snap = await system.spawn(snapshotter, {
      id: ACTOR_IDS.snapshotter,
      placement,
      input: { path: config.snapshotPath, nodeName: config.name, rejoinAfterLeave: config.rejoinAfterLeave },
      ...(inline ? nodeSnapshotterIo() : {}),
    })
    // Serf replays the snapshot before the member layer starts: its clocks are witnessed at start.
    restored = await snap.ask({ type: 'snapshot.restore' }, { timeoutMs: RESTORE_TIMEOUT_MS })
  }
  const shape = createSwimConfig(swimInput.config ?? {}, config.profile)
  const gq = await system.spawn(gossipQueue, {
    id: ACTOR_IDS.gossipQueue,
    placement,
    input: { config: gossipQueueConfigFor({ retransmitMult: shape.retransmitMult, udpBufferSize: shape.udpBufferSize, gossipNodes: shape.gossipNodes, encrypted: shape.keyring !== null && shape.gossipVerifyOutgoing }) },
  })
  const mm = await system.spawn(memberManager, {
    id: ACTOR_IDS.memberManager,
    placement,
    input: {
      config: memberManagerConfigOf(config),
      peers: { serfEvents: ACTOR_IDS.serfEvents, ...(snap === undefined ? {} : { snapshotter: ACTOR_IDS.snapshotter }) },
      ...(restored === undefined ? {} : { restored: { clock: restored.lastClock } }),
    },
    dependsOn: snap === undefined ? [ACTOR_IDS.gossipQueue] : [ACTOR_IDS.gossipQueue, ACTOR_IDS.snapshotter],
  })
  // Serf's event layer: user events, queries, coalescing; its clocks come from the snapshot.
  const se = await system.spawn(serfEvents, {
    id: ACTOR_IDS.serfEvents,
    placement,
    input: {
      nodeName: config.name,
      config: serfEventsInitOf(config, shape.gossipIntervalMs),
      peers: { swim: ACTOR_IDS.swim, gossipQueue: ACTOR_IDS.gossipQueue, memberManager: ACTOR_IDS.memberManager, ...(snap === undefined ? {} : { snapshotter: ACTOR_IDS.snapshotter }) },
      ...(restored === undefined ? {} : { restored: { eventClock: restored.lastEventClock, queryClock: restored.lastQueryClock } }),
    },
    dependsOn: [ACTOR_IDS.gossipQueue, ACTOR_IDS.memberManager],
  })
  const sw = await system.spawn(swim, {
    id: ACTOR_IDS.swim,
    placement,
    input: { ...swimInput, peers: { ...swimInput.peers, serfEvents: ACTOR_IDS.serfEvents, ...gossamerPeers(config) } },
    dependsOn: [ACTOR_IDS.gossipQueue, ACTOR_IDS.memberManager, ACTOR_IDS.serfEvents],
    ...(inline ? nodeSwimIo() : {}),
  })
  return { swim: sw, gossipQueue: gq, memberManager: mm, serfEvents: se, snapshotter: snap, restored }
}

/**
 * Resolves with swim's advertised "ip:port" once it is bound and running; rejects with its coded
 * bind or config error if it failed, or ERR_NODE_START_TIMEOUT after `timeoutMs`.
 */
export function whenSwimRunning(ref: NodeActors['swim'], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = (f: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      unsubscribe()
      f()
    }
    const check = (s: { value: unknown; context: { address: string; bindError?: { code: string; message: string } | undefined; configError?: { code: string; message: string } | undefined } }) => {
      if (s.value === 'running') settle(() => resolve(s.context.address))
      else if (s.value === 'failed') {
        const err = s.context.bindError ?? s.context.configError
        settle(() => reject(err === undefined ? new ClusterError('ERR_NODE_START_FAILED', 'swim failed to start') : fromWireError(err)))
      }
    }
    const timer = setTimeout(() => settle(() => reject(new ClusterError('ERR_NODE_START_TIMEOUT', `swim was not running after ${timeoutMs} ms`))), timeoutMs)
    const unsubscribe = ref.subscribe(check)
    // The subscription reports turns from now on; the state may already be reached.
    ref.getSnapshot().then(check, (err: unknown) => settle(() => reject(err instanceof ClusterError ? err : new ClusterError('ERR_NODE_START_FAILED', String(err)))))
  })
}

/** "ip:port" of a member ("[v6]:port" for IPv6), as join addresses are written. */
export function memberAddress(addr: Uint8Array, port: number): string {
  const ip = formatIp(addr) ?? ''
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}
