/**
 * The swim machine: memberlist's failure detector and node table (SwimNode) behind messages, with
 * the node's lifecycle as states:
 *
 *   running → leaving (memberlist Leave: dead{self, From: self} spreading) → left → stopped
 *
 * Every timer of the logic (probe tick, probe timeout and deadline, relays, suspicions, gossip,
 * push/pull) is scheduled on the actor clock and comes back as a `swim.timer` message, and every
 * datagram arrives as `swim.packet`, so the machine sees (and an inspector can show) everything
 * that drives it. Streams are handled by the logic directly (a stream object cannot be a message).
 *
 * The SwimNode lives in the factory's closure, not in the XState context: the context stays plain,
 * structured-cloneable data (the runtime copies it for snapshots and inspection). Its I/O comes in
 * as `SwimIo`: a transport and the broadcast queue's fill, given by whoever places the actor.
 * Membership is soft state: after a supervised restart swim starts afresh and rejoins (member-manager
 * keeps the members and reconnects), so nothing here is persisted.
 */
import { assertEvent, assign, setup } from 'xstate'
import type { ActorEnv, Message, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import type { Stream } from '../../src/transport/transport.ts'
import type { TransportError } from '../../src/transport/transport.ts'
import type { GossipQueueInbound } from '../gossip-queue/protocol.ts'
import type { MemberManagerInbound } from '../member-manager/protocol.ts'
import type { SwimConfig, SwimInit, SwimPreset } from './config.ts'
import { createSwimConfig } from './config.ts'
import type { NodeRecord } from './node-table.ts'
import type { SwimOutput, SwimPorts } from './ports.ts'
import type { SwimInbound, SwimPeers } from './protocol.ts'
import type { FillFn } from './send-pipeline.ts'
import { sendPacketRequest } from './send-pipeline.ts'
import { securityOf } from './packets.ts'
import { SwimNode } from './swim-node.ts'

/** The I/O a placement gives swim. A MemoryTransport fits `transport`; so will the UDP/TCP one. */
export interface SwimIo {
  transport: {
    readonly localAddress: string
    sendPacket(to: string, bytes: Uint8Array): unknown
    onPacket(handler: (p: { from: string; bytes: Uint8Array }) => void): void
    onStream(handler: (s: Stream) => void): void
    dialCallback(to: string, timeoutMs: number, cb: (err: TransportError | undefined, stream?: Stream) => void): void
  }
  /** gossip-queue's fill for one packet (same thread: QueueSet.fill; across actors: its ask). */
  fill: FillFn
  /** Serf's LocalState for push/pull (member-manager's `member.local-state`); none → empty. */
  localUserState?: (join: boolean, cb: (bytes: Uint8Array) => void) => void
}

export interface SwimInput {
  name: string
  /** Raw IP (4 or 16 bytes) and port we advertise. */
  addr: Uint8Array
  port: number
  meta?: Uint8Array
  preset?: SwimPreset
  config?: SwimInit
  peers?: Partial<SwimPeers>
  /** Addresses to join at start. */
  join?: string[]
}

export interface SwimContext {
  config: SwimConfig
  name: string
  peers: SwimPeers
  /** Mirrors of the logic's state, refreshed after every event (for inspection). */
  incarnation: number
  healthScore: number
  numNodes: number
  /** Messages to peers that found no receiver (unknown, stopped or rejected): counted, not retried. */
  undelivered: number
}

export function createSwimMachine(env: ActorEnv, io: SwimIo) {
  let node: SwimNode | undefined
  const timers = new Map<string, unknown>()
  const peers: SwimPeers = { gossipQueue: 'gossip-queue', memberManager: 'member-manager' }
  const counts = { undelivered: 0 }
  const deliver = (to: string, msg: Message): void => {
    const status = env.send(actorAddress<Message>(to), msg)
    if (status === 'unknown' || status === 'stopped' || status === 'rejected') counts.undelivered++
  }
  const toMember = (msg: MemberManagerInbound) => deliver(peers.memberManager, msg)
  const toGossip = (msg: GossipQueueInbound) => deliver(peers.gossipQueue, msg)
  const info = (n: NodeRecord) => ({ name: n.name, addr: n.addr, port: n.port, meta: n.meta, vsn: n.vsn, incarnation: n.incarnation, state: n.state })

  const route = (out: SwimOutput): void => {
    switch (out.type) {
      case 'node-joined':
        return toMember({ type: 'member.node-joined', node: info(out.node) })
      case 'node-updated':
        return toMember({ type: 'member.node-updated', node: info(out.node) })
      case 'node-left':
        return toMember({ type: 'member.node-left', node: info(out.node) })
      case 'user-message':
        return toMember({ type: 'member.user-message', bytes: out.bytes })
      case 'join-completed':
        return toMember({ type: 'member.join-completed', numJoined: out.numJoined })
      case 'left':
        deliver(env.id, { type: 'swim.left' })
        return toMember({ type: 'member.swim-left' })
      case 'cluster-size':
        return toGossip({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: out.numNodes })
      default:
        // suspect / refuted / declared-dead: visible in the counters. conflict: member-manager's
        // protocol has no message for it yet (Serf's _serf_conflict resolution, spec §5.11).
        return
    }
  }

  const build = (config: SwimConfig, input: SwimInput): SwimNode => {
    const ports: SwimPorts = {
      now: () => env.clock.now(),
      random: () => env.random.next(),
      setTimer: (key, delayMs) => {
        const old = timers.get(key)
        if (old !== undefined) env.clock.clearTimeout(old)
        timers.set(
          key,
          env.clock.setTimeout(() => {
            timers.delete(key)
            const msg: SwimInbound = { type: 'swim.timer', key }
            deliver(env.id, msg)
          }, delayMs),
        )
      },
      cancelTimer: (key) => {
        const t = timers.get(key)
        if (t === undefined) return
        env.clock.clearTimeout(t)
        timers.delete(key)
      },
      sendPacket: (req) =>
        sendPacketRequest(req, { udpBufferSize: config.udpBufferSize, compress: config.enableCompression, security: securityOf(config), fill: io.fill, emit: (to, bytes) => io.transport.sendPacket(to, bytes) }),
      enqueueBroadcast: (name, message, notifyId) =>
        toGossip({ type: 'gossip.enqueue', broadcast: notifyId === undefined ? { queue: 'memberlist', message, name } : { queue: 'memberlist', message, name, notify: { to: env.id, id: notifyId } } }),
      dial: (to, timeoutMs, cb) => io.transport.dialCallback(to, timeoutMs, cb),
      localUserState: (join, cb) => (io.localUserState === undefined ? cb(new Uint8Array(0)) : io.localUserState(join, cb)),
      mergeRemoteUserState: (bytes, join) => toMember({ type: 'member.merge-remote-state', bytes, join }),
      emit: route,
    }
    const n = new SwimNode(config, { name: input.name, addr: input.addr, port: input.port, ...(input.meta === undefined ? {} : { meta: input.meta }) }, ports)
    io.transport.onPacket((p) => {
      const msg: SwimInbound = { type: 'swim.packet', from: p.from, bytes: p.bytes }
      deliver(env.id, msg)
    })
    io.transport.onStream((s) => n.onStream(s))
    return n
  }
  const swim = (): SwimNode => {
    if (node === undefined) throw new Error('swim: logic used before the context was created')
    return node
  }
  const stopAll = (): void => {
    node?.stop()
    for (const t of timers.values()) env.clock.clearTimeout(t)
    timers.clear()
  }
  /** Messages every live state handles the same way (named actions are defined in setup). */
  const common = {
    'swim.packet': { actions: ['packet', 'mirror'] },
    'swim.timer': { actions: ['timer', 'mirror'] },
    'swim.join': { actions: 'join' },
    'member.reconnect': { actions: 'reconnect' },
    'member.local-meta-changed': { actions: ['metaChanged', 'mirror'] },
    'gossip.broadcast-finished': { actions: 'broadcastFinished' },
  } as const

  return setup({
    types: {} as { context: SwimContext; events: SwimInbound | { type: 'swim.left' } | RuntimeEvent; input: SwimInput },
    actions: {
      packet: ({ event }) => {
        assertEvent(event, 'swim.packet')
        swim().onPacket(event.from, event.bytes)
      },
      timer: ({ event }) => {
        assertEvent(event, 'swim.timer')
        swim().onTimer(event.key)
      },
      join: ({ event }) => {
        assertEvent(event, 'swim.join')
        swim().join(event.addresses)
      },
      reconnect: ({ event }) => {
        assertEvent(event, 'member.reconnect')
        swim().joinNode(event.addr, event.port)
      },
      metaChanged: ({ event }) => {
        assertEvent(event, 'member.local-meta-changed')
        swim().updateMeta(event.meta)
      },
      broadcastFinished: ({ event }) => {
        assertEvent(event, 'gossip.broadcast-finished')
        swim().onBroadcastFinished(event.id)
      },
      mirror: assign(() => ({
        incarnation: swim().table.self().incarnation,
        healthScore: swim().awareness.getHealthScore(),
        numNodes: swim().table.size(),
        undelivered: counts.undelivered,
      })),
    },
  }).createMachine({
    id: 'swim',
    context: ({ input }) => {
      const config = createSwimConfig(input.config ?? {}, input.preset ?? 'lan')
      Object.assign(peers, input.peers)
      stopAll()
      node = build(config, input)
      node.start()
      if (input.join !== undefined && input.join.length > 0) node.join(input.join)
      return { config, name: input.name, peers: { ...peers }, incarnation: 1, healthScore: 0, numNodes: node.table.size(), undelivered: 0 }
    },
    initial: 'running',
    states: {
      running: {
        on: {
          ...common,
          'swim.leave': { target: 'leaving', actions: ({ event }) => swim().leave(event.timeoutMs) },
          'member.swim-leave': { target: 'leaving', actions: ({ context }) => swim().leave(context.config.probeIntervalMs * 5) },
          'runtime.shutdown': 'stopped',
        },
      },
      leaving: {
        on: {
          ...common,
          'swim.left': 'left',
          'runtime.shutdown': 'stopped',
        },
      },
      left: {
        // Still answering probes and gossiping until shutdown, as memberlist does after Leave.
        on: { ...common, 'runtime.shutdown': 'stopped' },
      },
      stopped: { type: 'final', entry: () => stopAll() },
    },
  })
}

export type SwimMachine = ReturnType<typeof createSwimMachine>
