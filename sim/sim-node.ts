/**
 * SimNode: one node of a SimCluster: swim's logic (SwimNode) with its broadcast queues
 * (gossip-queue's QueueSet) and, optionally, Serf's member layer (member-manager's MemberLayer)
 * with the event layer (serf-events' EventLayer), wired synchronously on the
 * cluster's clock and transport.
 */
import type { SwimConfig } from '../actors/swim/config.ts'
import type { NodeStateKind } from '../actors/swim/messages.ts'
import type { PacketRequest, PacketSent, SwimOutput, SwimPorts } from '../actors/swim/ports.ts'
import { sendPacketRequest } from '../actors/swim/send-pipeline.ts'
import { SwimNode } from '../actors/swim/swim-node.ts'
import { gossipQueueConfigFor } from '../actors/gossip-queue/config.ts'
import { QueueSet } from '../actors/gossip-queue/queue-set.ts'
import { createSerfConfig } from '../actors/member-manager/config.ts'
import type { SerfInit } from '../actors/member-manager/config.ts'
import type { MemberManagerOutbound } from '../actors/member-manager/protocol.ts'
import { MemberLayer } from '../actors/member-manager/member-layer.ts'
import { createSerfEventsConfig } from '../actors/serf-events/config.ts'
import type { SerfEventsInit } from '../actors/serf-events/config.ts'
import { EventLayer } from '../actors/serf-events/event-layer.ts'
import type { EventLayerEvent } from '../actors/serf-events/event-layer.ts'
import type { RandomSource } from '../src/types/random.ts'
import type { MemoryTransport } from '../src/transport/memory-network.ts'
import type { TransportAddress } from '../src/transport/transport.ts'
import type { SimulatedClock } from '../src/runtime/simulated-clock.ts'
import { packetTraceLine } from './packet-trace.ts'

/** What a node reported: swim's outputs, and the member layer's (`serf`) when it runs. */
export type SimOutput = SwimOutput | { type: 'serf'; msg: MemberManagerOutbound } | { type: 'serf-events'; event: EventLayerEvent }

/**
 * What a node needs from its cluster (SimCluster): the shared clock, Serf's init, the packet trace
 * and the event record. A narrow view, so that sim-node.ts and cluster.ts do not import each other.
 */
export interface SimNodeHost {
  readonly clock: SimulatedClock
  readonly serfInit: Omit<SerfInit, 'nodeName'> | undefined
  /** serf-events' config, when the member layer runs (library defaults when missing). */
  readonly serfEventsInit?: SerfEventsInit | undefined
  readonly tracing: boolean
  readonly trace: string[]
  record(observer: string, output: SimOutput): void
}

export class SimNode {
  readonly swim: SwimNode
  readonly queues: QueueSet
  /** Serf's member layer, when the cluster runs it. */
  readonly serf: MemberLayer | undefined
  /** Serf's event layer (user events, queries), with the member layer. */
  readonly events: EventLayer | undefined
  private readonly timers = new Map<string, unknown>()
  crashed = false
  left = false
  /** Set by SimCluster.leave: once left, the host goes away (timers stopped, transport closed). */
  shutdownWhenLeft = false
  /** Serf's push/pull user state hook (empty without a member layer). */
  userState: (join: boolean) => Uint8Array = () => new Uint8Array(0)
  readonly mergedUserStates: Uint8Array[] = []
  packetsSent = 0
  bytesSent = 0

  constructor(
    readonly cluster: SimNodeHost,
    readonly name: string,
    readonly address: TransportAddress,
    readonly transport: MemoryTransport,
    config: SwimConfig,
    random: RandomSource,
  ) {
    // memberlist's exact retransmit limit (no gossipNodes, so no minRetransmits floor): the
    // synchronous simulator is compared with memberlist's own figures (bench/cluster).
    this.queues = new QueueSet(gossipQueueConfigFor({ retransmitMult: config.retransmitMult, udpBufferSize: config.udpBufferSize, encrypted: config.keyring !== null && config.gossipVerifyOutgoing }))
    const clock = cluster.clock
    this.serf = cluster.serfInit === undefined ? undefined : this.createMemberLayer(cluster.serfInit, random)
    this.events = this.serf === undefined ? undefined : this.createEventLayer(cluster.serfEventsInit ?? {}, random)
    const serf = this.serf
    const ports: SwimPorts = {
      now: () => clock.now(),
      random: () => random.next(),
      // Seeded nonces keep a simulated run reproducible (its traffic never leaves the process).
      nonce: () => {
        const b = new Uint8Array(12)
        for (let i = 0; i < 12; i++) b[i] = Math.floor(random.next() * 256)
        return b
      },
      setTimer: (key, delayMs) => this.setTimer(key, delayMs),
      cancelTimer: (key) => this.cancelTimer(key),
      sendPacket: (req) => this.send(req, config),
      enqueueBroadcast: (name, message, notifyId) => {
        this.queues.enqueue(notifyId === undefined ? { queue: 'memberlist', message, name } : { queue: 'memberlist', message, name, notify: { to: 'swim', id: notifyId } })
        this.deliverNotifications()
      },
      dial: (to, timeoutMs, cb) => this.transport.dialCallback(to, timeoutMs, cb),
      localUserState: (join, cb) => cb(serf === undefined ? this.userState(join) : serf.localUserState(join)),
      mergeRemoteUserState: (bytes, join) => {
        this.mergedUserStates.push(bytes)
        serf?.mergeRemoteState(bytes, join)
      },
      emit: (output) => {
        if (output.type === 'cluster-size') this.queues.setClusterSize('memberlist', output.numNodes)
        if (output.type === 'left') this.onSwimLeft()
        if (serf !== undefined) {
          if (output.type === 'node-joined') serf.nodeJoined(output.node)
          else if (output.type === 'node-updated') serf.nodeUpdated(output.node)
          else if (output.type === 'node-left') serf.nodeLeft(output.node)
          else if (output.type === 'user-message') serf.userMessage(output.bytes)
          else if (output.type === 'join-completed') serf.joinCompleted(output.numJoined, output.reconnect === true)
          else if (output.type === 'conflict') serf.nameConflict(output.existing, { addr: output.other.addr, port: output.other.port })
        }
        cluster.record(this.name, output)
      },
    }
    const identity = { name, addr: ipOf(address), port: 7946, ...(serf === undefined ? {} : { meta: serf.localMeta() }) }
    this.swim = new SwimNode(config, identity, ports)
    // Traced runs also note each datagram's digest; untraced ones pay no check per packet.
    if (cluster.tracing) {
      transport.onPacket((p) => {
        cluster.trace.push(packetTraceLine(clock.now(), address, p))
        this.swim.onPacket(p.from, p.bytes)
      })
    } else {
      transport.onPacket((p) => this.swim.onPacket(p.from, p.bytes))
    }
    transport.onStream((s) => this.swim.onStream(s))
  }

  /** Starts swim (and the member layer with its reap and reconnect ticks). */
  start(options: { steadyState?: boolean } = {}): void {
    this.swim.start(options)
    if (this.serf !== undefined) {
      this.serf.start()
      this.setTimer('serf-reap', this.serf.config.reapIntervalMs)
      this.setTimer('serf-reconnect', this.serf.config.reconnectIntervalMs)
    }
  }

  /** Graceful leave: Serf's leave intent first (when the member layer runs), then memberlist's. */
  leave(timeoutMs: number): void {
    if (this.serf === undefined) return this.swim.leave(timeoutMs)
    const { waitForBroadcast, notifyId } = this.serf.beginLeave('member-manager')
    if (!waitForBroadcast) return this.swim.leave(timeoutMs)
    this.serfLeaveId = notifyId
    this.setTimer('serf-leave', this.serf.config.broadcastTimeoutMs)
  }

  private serfLeaveId: string | undefined

  private onSwimLeft(): void {
    this.left = true
    this.serf?.finishLeave()
    if (this.shutdownWhenLeft && !this.crashed) {
      this.crashed = true
      this.stopTimers()
      this.transport.close()
    }
  }

  private setTimer(key: string, delayMs: number): void {
    const clock = this.cluster.clock
    const old = this.timers.get(key)
    if (old !== undefined) clock.clearTimeout(old)
    this.timers.set(
      key,
      clock.setTimeout(() => {
        this.timers.delete(key)
        if (key.startsWith('serf-')) this.onSerfTimer(key)
        else this.swim.onTimer(key)
      }, delayMs),
    )
  }

  private cancelTimer(key: string): void {
    const t = this.timers.get(key)
    if (t !== undefined) {
      this.cluster.clock.clearTimeout(t)
      this.timers.delete(key)
    }
  }

  private onSerfTimer(key: string): void {
    const serf = this.serf
    if (serf === undefined) return
    if (key === 'serf-reap') {
      this.setTimer(key, serf.config.reapIntervalMs)
      serf.reapTick()
    } else if (key === 'serf-reconnect') {
      this.setTimer(key, serf.config.reconnectIntervalMs)
      serf.reconnectTick()
    } else if (key === 'serf-leave') {
      this.serfLeaveId = undefined
      this.swim.leave(serf.config.broadcastTimeoutMs)
    } else if (key.startsWith('serf-events:')) {
      this.events?.timer(key.slice('serf-events:'.length))
    } else if (key.startsWith('serf-prune:')) {
      serf.pruneDue(key.slice('serf-prune:'.length))
    }
  }

  private createMemberLayer(init: Omit<SerfInit, 'nodeName'>, random: RandomSource): MemberLayer {
    const config = createSerfConfig({ ...init, nodeName: this.name })
    return new MemberLayer(config, {
      now: () => this.cluster.clock.now(),
      random,
      emit: (msg) => {
        if (msg.type === 'member.local-meta-changed') this.swim?.updateMeta(msg.meta)
        else if (msg.type === 'member.reconnect') this.swim.joinNode(msg.addr, msg.port)
        else if (msg.type === 'member.swim-leave') this.swim.leave(msg.timeoutMs ?? config.broadcastTimeoutMs)
        else if (msg.type === 'serf.message') return this.events?.message(msg.bytes)
        else if (msg.type === 'serf.merge-remote-events') return this.events?.mergeRemote(msg)
        else if (msg.type === 'member.event') this.events?.memberEvent(msg.event, msg.members)
        this.cluster.record(this.name, { type: 'serf', msg })
      },
      enqueue: (b) => {
        this.queues.enqueue(b)
        this.deliverNotifications()
      },
      clusterSize: (n) => this.queues.setClusterSize('serf', n),
      snapshot: () => {},
      schedulePrune: (name, delayMs) => this.setTimer(`serf-prune:${name}`, delayMs),
    })
  }

  private createEventLayer(init: SerfEventsInit, random: RandomSource): EventLayer {
    const ip = ipOf(this.address)
    return new EventLayer(createSerfEventsConfig(init), this.name, {
      now: () => this.cluster.clock.now(),
      random: random.fork('serf-events'),
      broadcast: (queue, message) => {
        this.queues.enqueue({ queue, message, unique: true })
        this.deliverNotifications()
      },
      // memberlist SendToAddress: one datagram, the user-message type byte first, from our socket.
      sendUser: (addr, port, bytes) => {
        const datagram = new Uint8Array(bytes.length + 1)
        datagram[0] = 8
        datagram.set(bytes, 1)
        this.packetsSent++
        this.bytesSent += datagram.length
        this.transport.sendPacket(`${addr.join('.')}:${port}`, datagram)
      },
      emit: (event) => {
        if (event.type !== 'member-event') this.cluster.record(this.name, { type: 'serf-events', event })
      },
      setTimer: (id, delayMs) => this.setTimer(`serf-events:${id}`, delayMs),
      cancelTimer: (id) => this.cancelTimer(`serf-events:${id}`),
      slice: (slice) => this.serf?.eventState(slice),
    })
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

  private send(req: PacketRequest, config: SwimConfig): PacketSent {
    return sendPacketRequest(req, {
      udpBufferSize: config.udpBufferSize,
      compress: config.enableCompression,
      security: this.swim.security,
      fill: (overhead, limit) => {
        const { parts } = this.queues.fill(overhead, limit)
        this.deliverNotifications()
        return parts
      },
      emit: (to, bytes) => {
        this.packetsSent++
        this.bytesSent += bytes.length
        // The outcome goes back to swim, which counts it per cause (sent, too-large, closed).
        return this.transport.sendPacket(to, bytes)
      },
    })
  }

  private deliverNotifications(): void {
    for (const n of this.queues.drainNotifications()) {
      if (n.to === 'swim') this.swim.onBroadcastFinished(n.msg.id)
      else if (n.to === 'member-manager' && n.msg.id === this.serfLeaveId && this.serf !== undefined) {
        this.serfLeaveId = undefined
        this.cancelTimer('serf-leave')
        this.swim.leave(this.serf.config.broadcastTimeoutMs)
      }
    }
  }
}

function ipOf(address: TransportAddress): Uint8Array {
  const host = address.slice(0, address.lastIndexOf(':'))
  return Uint8Array.from(host.split('.').map(Number))
}
