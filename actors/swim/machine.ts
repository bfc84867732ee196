/**
 * The swim machine: memberlist's failure detector and node table (SwimNode) behind messages, with
 * the node's lifecycle as states:
 *
 *   binding ──bound──▶ running → leaving (memberlist Leave: dead{self, From: self} spreading) → left
 *      └──bind failed──▶ failed                                          every state ──shutdown──▶ stopped
 *
 * `binding` invokes the placement's `bind` actor, which opens the transport (a UDP socket and TCP
 * listener in the worker placement, a MemoryNetwork endpoint in a simulation) for the input's
 * address. Requests that arrive meanwhile (join, reconnect, meta change, leave) are kept, bounded
 * and counted, and replayed once bound. A bind failure (or a spawn without a transport) is a coded
 * error in `failed`, never a crash. With port 0 in the input, the bound port is advertised.
 *
 * Every timer of the logic (probe tick, probe timeout and deadline, relays, suspicions, gossip,
 * push/pull) is scheduled on the actor clock and comes back as a `swim.timer` message, and every
 * datagram arrives as `swim.packet`, so the machine sees (and an inspector can show) everything
 * that drives it. Streams are handled by the logic directly (a stream object cannot be a message).
 * The packet fill (gossip-queue `gossip.fill`) and Serf's push/pull state (member-manager
 * `member.local-state`) are actor-to-actor asks with a short timeout; when one fails, the packet
 * goes with its own messages only / the push/pull with empty user state, and it is counted.
 *
 * The SwimNode lives in the factory's closure and the transport in a per-env slot
 * (io/transport-slot.ts), not in the XState context or events: those stay plain,
 * structured-cloneable data (the runtime copies them for snapshots and inspection). Membership is soft state: after a supervised restart swim starts
 * afresh on the same socket and rejoins (member-manager keeps the members and reconnects), so
 * nothing here is persisted.
 */
import { assertEvent, assign, enqueueActions, fromPromise, setup } from 'xstate'
import type { ActorEnv, Message, RuntimeEvent } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { ClusterError, toWireError } from '../../src/errors/index.ts'
import type { WireError } from '../../src/errors/index.ts'
import { formatAddress } from '../../src/transport/transport.ts'
import type { FillMsg, GossipQueueInbound } from '../gossip-queue/protocol.ts'
import type { LocalStateMsg, MemberManagerInbound } from '../member-manager/protocol.ts'
import type { SwimConfig, SwimInit, SwimPreset } from './config.ts'
import { createSwimConfig } from './config.ts'
import type { NodeRecord } from './node-table.ts'
import type { SwimOutput, SwimPorts } from './ports.ts'
import type { SwimInbound, SwimPeers } from './protocol.ts'
import type { FillFn } from './send-pipeline.ts'
import { sendPacketRequest } from './send-pipeline.ts'
import { securityOf } from './packets.ts'
import { SwimNode } from './swim-node.ts'
import { closeSwimTransport, SwimBindError, swimTransportOf } from './io/transport-slot.ts'
import type { SwimBindInput, SwimBindOutput, SwimTransport } from './io/transport-slot.ts'

export type { SwimBindInput, SwimBindOutput, SwimTransport } from './io/transport-slot.ts'

export interface SwimInput {
  name: string
  /** Raw IP (4 or 16 bytes) and port we advertise. Port 0: bind an ephemeral port and advertise it. */
  addr: Uint8Array
  port: number
  /** "ip:port" to bind when it differs from addr:port. */
  bind?: string
  meta?: Uint8Array
  preset?: SwimPreset
  config?: SwimInit
  peers?: Partial<SwimPeers>
  /** Addresses to join once bound. */
  join?: string[]
}

export interface SwimContext {
  config: SwimConfig
  name: string
  peers: SwimPeers
  /** "ip:port" we advertise, once bound ('' while binding or failed). */
  address: string
  /** Why the transport could not be opened (state `failed`). */
  bindError: WireError | undefined
  /** Requests received while binding, replayed once bound (at most MAX_HELD). */
  held: SwimInbound[]
  /** Requests that found the hold full while binding: refused, counted. */
  heldOverflow: number
  /** Messages no node could handle (packets or timers while binding, anything while failed): counted. */
  refused: number
  /** Mirrors of the logic's state, refreshed after every packet and timer (for inspection). */
  incarnation: number
  healthScore: number
  numNodes: number
  /** Messages to peers that found no receiver (unknown, stopped or rejected): counted, not retried. */
  undelivered: number
  /** `gossip.fill` asks that failed or timed out: the packet went without piggybacked broadcasts. */
  fillFailures: number
  /** `member.local-state` asks that failed or timed out: the push/pull went with empty user state. */
  localStateFailures: number
}

/** Requests kept while binding. Control traffic (join, meta, reconnect, leave) is rare: 64 is ample. */
export const MAX_HELD = 64

/** Timeouts (ms) of swim's two asks, derived from its config so every preset gets fitting ones. */
export function askTimeouts(config: SwimConfig): { fillMs: number; localStateMs: number } {
  return {
    // A probe's ping waits for its fill; the ack must come back within probeTimeoutMs, so the fill
    // may take at most half of it. Past that the ping goes bare (broadcasts ride the next packet).
    fillMs: Math.max(1, Math.floor(config.probeTimeoutMs / 2)),
    // A push/pull's whole exchange has tcpTimeoutMs (>= probeTimeoutMs by validation); a healthy
    // member-manager answers in microseconds, so one probe timeout is ample and leaves the rest.
    localStateMs: config.probeTimeoutMs,
  }
}

export function createSwimMachine(env: ActorEnv) {
  let node: SwimNode | undefined
  let input: SwimInput | undefined
  /** Aborted when the node it belongs to stops: late replies of its asks are then ignored. */
  let asks = new AbortController()
  const timers = new Map<string, unknown>()
  const peers: SwimPeers = { gossipQueue: 'gossip-queue', memberManager: 'member-manager' }
  const counts = { undelivered: 0, fillFailures: 0, localStateFailures: 0, refused: 0 }
  const deliver = (to: string, msg: Message): void => {
    const status = env.send(actorAddress<Message>(to), msg)
    if (status === 'unknown' || status === 'stopped' || status === 'rejected') counts.undelivered++
  }
  const toMember = (msg: MemberManagerInbound) => deliver(peers.memberManager, msg)
  const toGossip = (msg: GossipQueueInbound) => deliver(peers.gossipQueue, msg)
  const info = (n: NodeRecord) => ({ name: n.name, addr: n.addr, port: n.port, meta: n.meta, vsn: n.vsn, incarnation: n.incarnation, state: n.state })
  /** Logs an ask failure at 1, 2, 4, 8, ... occurrences: visible without flooding the log. */
  const askFailed = (kind: 'fillFailures' | 'localStateFailures', err: unknown): void => {
    const n = ++counts[kind]
    if ((n & (n - 1)) === 0) env.log.warn({ err: toWireError(err), count: n }, `swim: ${kind === 'fillFailures' ? 'gossip.fill' : 'member.local-state'} ask failed; sent without it`)
  }
  const ask = <M extends Message>(to: string, msg: M, timeoutMs: number, signal: AbortSignal) => env.ask(actorAddress<M>(to), msg, { timeoutMs, signal })

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
        return toMember(out.reconnect === true ? { type: 'member.join-completed', numJoined: out.numJoined, reconnect: true } : { type: 'member.join-completed', numJoined: out.numJoined })
      case 'conflict':
        // memberlist's NotifyConflict: member-manager reports it (and later resolves it by query).
        return toMember({ type: 'member.name-conflict', existing: info(out.existing), other: { addr: out.other.addr, port: out.other.port } })
      case 'left':
        deliver(env.id, { type: 'swim.left' })
        return toMember({ type: 'member.swim-left' })
      case 'cluster-size':
        return toGossip({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: out.numNodes })
      default:
        // suspect / refuted / declared-dead: visible in swim's counters.
        return
    }
  }

  const build = (config: SwimConfig, transport: SwimTransport, identity: { name: string; addr: Uint8Array; port: number; meta?: Uint8Array }): SwimNode => {
    const signal = asks.signal
    const timeouts = askTimeouts(config)
    const fill: FillFn = (overheadBytes, limitBytes, cb) => {
      ask<FillMsg>(peers.gossipQueue, { type: 'gossip.fill', overheadBytes, limitBytes }, timeouts.fillMs, signal).then(
        (reply) => {
          if (signal.aborted) return
          if (Array.isArray(reply?.parts)) return cb(reply.parts)
          askFailed('fillFailures', new ClusterError('ERR_SWIM_BAD_REPLY', 'gossip.fill reply without parts'))
          cb([])
        },
        (err: unknown) => {
          if (signal.aborted) return
          askFailed('fillFailures', err)
          cb([])
        },
      )
    }
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
        sendPacketRequest(req, { udpBufferSize: config.udpBufferSize, compress: config.enableCompression, security: securityOf(config), fill, emit: (to, bytes) => transport.sendPacket(to, bytes) }),
      enqueueBroadcast: (name, message, notifyId) =>
        toGossip({ type: 'gossip.enqueue', broadcast: notifyId === undefined ? { queue: 'memberlist', message, name } : { queue: 'memberlist', message, name, notify: { to: env.id, id: notifyId } } }),
      dial: (to, timeoutMs, cb) => transport.dialCallback(to, timeoutMs, cb),
      localUserState: (join, cb) => {
        ask<LocalStateMsg>(peers.memberManager, { type: 'member.local-state', join }, timeouts.localStateMs, signal).then(
          (reply) => {
            if (signal.aborted) return
            if (reply?.bytes instanceof Uint8Array) return cb(reply.bytes)
            askFailed('localStateFailures', new ClusterError('ERR_SWIM_BAD_REPLY', 'member.local-state reply without bytes'))
            cb(new Uint8Array(0))
          },
          (err: unknown) => {
            if (signal.aborted) return
            askFailed('localStateFailures', err)
            cb(new Uint8Array(0))
          },
        )
      },
      mergeRemoteUserState: (bytes, join) => toMember({ type: 'member.merge-remote-state', bytes, join }),
      emit: route,
    }
    const n = new SwimNode(config, identity, ports)
    transport.onPacket((p) => {
      const msg: SwimInbound = { type: 'swim.packet', from: p.from, bytes: p.bytes }
      deliver(env.id, msg)
    })
    transport.onStream((s) => {
      if (node !== undefined) return node.onStream(s)
      counts.refused++
      s.close()
    })
    return n
  }
  const swim = (): SwimNode => {
    if (node === undefined) throw new Error('swim: logic used before the transport was bound')
    return node
  }
  const stopAll = (): void => {
    asks.abort()
    asks = new AbortController()
    node?.stop()
    node = undefined
    for (const t of timers.values()) env.clock.clearTimeout(t)
    timers.clear()
  }
  const leaveNow = () => {
    // Nothing was ever announced: the leave is complete at once (member-manager waits for it).
    toMember({ type: 'member.swim-left' })
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
  const hold = { actions: 'hold' } as const
  const refuse = { actions: 'refuse' } as const

  return setup({
    types: {} as { context: SwimContext; events: SwimInbound | { type: 'swim.left' } | RuntimeEvent; input: SwimInput },
    actors: {
      // The placement provides the real one (swimBindActor); without it the actor fails, coded.
      bind: fromPromise<SwimBindOutput, SwimBindInput>(async () => {
        throw new SwimBindError(
          'ERR_SWIM_NO_TRANSPORT',
          'swim has no transport: spawn it in its worker placement, or inline with the implementations of actors/swim/io/swim-io.ts (swimIo(open))',
        )
      }),
    },
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
      hold: assign(({ context, event }) => {
        if (context.held.length < MAX_HELD) return { held: [...context.held, event as SwimInbound] }
        env.log.warn({ type: event.type, held: context.held.length }, 'swim: request refused while binding (hold full)')
        return { heldOverflow: context.heldOverflow + 1 }
      }),
      refuse: assign(() => {
        counts.refused++
        return { refused: counts.refused }
      }),
      bound: assign(({ context, event }) => {
        const out = (event as unknown as { output: SwimBindOutput }).output
        const transport = swimTransportOf(env)
        const start = input
        if (transport === undefined || start === undefined) throw new Error('swim: bound without a transport')
        // Port 0 in the input: advertise the port the socket got.
        const port = start.port === 0 ? out.port : start.port
        node = build(context.config, transport, { name: start.name, addr: start.addr, port, ...(start.meta === undefined ? {} : { meta: start.meta }) })
        node.start()
        if (start.join !== undefined && start.join.length > 0) node.join(start.join)
        env.log.info({ address: out.address, advertised: port }, 'swim bound')
        return { address: formatAddress(start.addr, port), numNodes: node.table.size() }
      }),
      replayHeld: enqueueActions(({ context, enqueue }) => {
        for (const m of context.held) enqueue.raise(m)
        enqueue.assign({ held: [] })
      }),
      bindFailed: assign(({ event }) => {
        const error = toWireError((event as unknown as { error: unknown }).error)
        env.log.error({ err: error }, 'swim cannot bind its transport; the actor stays failed')
        return { bindError: error }
      }),
      failedLeave: () => leaveNow(),
      mirror: assign(() => ({
        incarnation: swim().table.self().incarnation,
        healthScore: swim().awareness.getHealthScore(),
        numNodes: swim().table.size(),
        undelivered: counts.undelivered,
        fillFailures: counts.fillFailures,
        localStateFailures: counts.localStateFailures,
        refused: counts.refused,
      })),
    },
  }).createMachine({
    id: 'swim',
    context: ({ input: given }) => {
      const config = createSwimConfig(given.config ?? {}, given.preset ?? 'lan')
      Object.assign(peers, given.peers)
      // A (re)start: the previous node, its timers and its pending asks end here.
      stopAll()
      input = given
      return {
        config,
        name: given.name,
        peers: { ...peers },
        address: '',
        bindError: undefined,
        held: [],
        heldOverflow: 0,
        refused: counts.refused,
        incarnation: 1,
        healthScore: 0,
        numNodes: 0,
        undelivered: counts.undelivered,
        fillFailures: counts.fillFailures,
        localStateFailures: counts.localStateFailures,
      }
    },
    initial: 'binding',
    states: {
      binding: {
        invoke: {
          id: 'bind',
          src: 'bind',
          input: () => ({ addr: input!.addr, port: input!.port, ...(input!.bind === undefined ? {} : { bind: input!.bind }) }),
          onDone: { target: 'running', actions: ['bound', 'replayHeld'] },
          onError: { target: 'failed', actions: 'bindFailed' },
        },
        on: {
          'swim.join': hold,
          'member.reconnect': hold,
          'member.local-meta-changed': hold,
          'swim.leave': hold,
          'member.swim-leave': hold,
          // Only after a restart in place (the socket stays open): no node runs yet.
          'swim.packet': refuse,
          'swim.timer': refuse,
          'gossip.broadcast-finished': refuse,
          'runtime.shutdown': 'stopped',
        },
      },
      running: {
        on: {
          ...common,
          'swim.leave': { target: 'leaving', actions: ({ event }) => swim().leave(event.timeoutMs) },
          'member.swim-leave': { target: 'leaving', actions: ({ context, event }) => swim().leave(event.timeoutMs ?? context.config.probeIntervalMs * 5) },
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
      failed: {
        // Not final: the actor keeps answering (a leave completes at once) and counts what it refuses.
        on: {
          'swim.leave': { actions: 'failedLeave' },
          'member.swim-leave': { actions: 'failedLeave' },
          'swim.packet': refuse,
          'swim.timer': refuse,
          'swim.join': refuse,
          'member.reconnect': refuse,
          'member.local-meta-changed': refuse,
          'gossip.broadcast-finished': refuse,
          'runtime.shutdown': 'stopped',
        },
      },
      stopped: {
        type: 'final',
        entry: () => {
          stopAll()
          closeSwimTransport(env)
        },
      },
    },
  })
}

export type SwimMachine = ReturnType<typeof createSwimMachine>
