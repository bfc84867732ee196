/**
 * A gossamer swim node on real UDP/TCP (NetTransport on 127.0.0.1, an ephemeral port) with real
 * timers, its logic wired directly (no actors, no worker): a gossip QueueSet for its broadcasts
 * (with the leave's finished notice going back to swim) and, with `serf`, Serf's member layer
 * (MemberLayer) on top for tags, user state and the leave intent. For the interop tests against a
 * real `serf agent` and the real-socket tests.
 */
import { SwimNode } from '../../../../actors/swim/swim-node.ts'
import type { SwimConfig } from '../../../../actors/swim/config.ts'
import type { SwimOutput, SwimPorts } from '../../../../actors/swim/ports.ts'
import { sendPacketRequest } from '../../../../actors/swim/send-pipeline.ts'
import { QueueSet } from '../../../../actors/gossip-queue/queue-set.ts'
import { gossipQueueConfigFor } from '../../../../actors/gossip-queue/config.ts'
import { MemberLayer } from '../../../../actors/member-manager/member-layer.ts'
import { createSerfConfig } from '../../../../actors/member-manager/config.ts'
import { NetTransport } from '../../../../src/transport/net-transport.ts'
import { createSeededRandom } from '../../../../src/types/random.ts'
import { keyedTimers, REAL_TIMERS } from './keyed-timers.ts'

export interface NetNodeOptions {
  name: string
  config: SwimConfig
  /** Seed of the node's random source. */
  seed: number
  /** Run Serf's member layer, with these tags; without it the node carries no user state. */
  serf?: { tags?: Record<string, string> }
}

export interface NetNode {
  swim: SwimNode
  transport: NetTransport
  serf: MemberLayer | undefined
  /** swim reported 'left' (its graceful leave finished). */
  hasLeft(): boolean
  /** Every output swim reported, in order. */
  outputs: SwimOutput[]
  /** Stops swim, cancels every timer and closes the sockets. */
  stop(): void
}

export async function startNetNode(options: NetNodeOptions): Promise<NetNode> {
  const { name, config } = options
  const transport = await NetTransport.listen('127.0.0.1', 0)
  const port = Number(transport.localAddress.split(':')[1])
  const queues = new QueueSet(gossipQueueConfigFor({ ...config, encrypted: false }))
  const random = createSeededRandom(options.seed)
  let swim: SwimNode | undefined
  const timers = keyedTimers(REAL_TIMERS, (key) => swim!.onTimer(key))
  let left = false
  const outputs: SwimOutput[] = []
  const notify = () => {
    for (const n of queues.drainNotifications()) if (n.to === 'swim') swim!.onBroadcastFinished(n.msg.id)
  }
  const serf =
    options.serf === undefined
      ? undefined
      : new MemberLayer(createSerfConfig({ nodeName: name, ...(options.serf.tags === undefined ? {} : { tags: options.serf.tags }) }), {
          now: () => Date.now(),
          random,
          emit: (msg) => {
            if (msg.type === 'member.local-meta-changed') swim?.updateMeta(msg.meta)
            else if (msg.type === 'member.swim-leave') swim?.leave(5_000)
          },
          enqueue: (b) => {
            queues.enqueue(b)
            notify()
          },
          clusterSize: (n) => queues.setClusterSize('serf', n),
          snapshot: () => {},
          schedulePrune: (n, ms) => timers.later(`prune:${n}`, ms, () => serf!.pruneDue(n)),
        })
  const ports: SwimPorts = {
    now: () => Date.now(),
    random: () => random.next(),
    setTimer: timers.setTimer,
    cancelTimer: timers.cancelTimer,
    sendPacket: (req) =>
      sendPacketRequest(req, {
        udpBufferSize: config.udpBufferSize,
        compress: config.enableCompression,
        fill: (o, l) => {
          const parts = queues.fill(o, l).parts
          notify()
          return parts
        },
        emit: (to, bytes) => transport.sendPacket(to, bytes),
      }),
    enqueueBroadcast: (n, message, notifyId) => {
      queues.enqueue(notifyId === undefined ? { queue: 'memberlist', message, name: n } : { queue: 'memberlist', message, name: n, notify: { to: 'swim', id: notifyId } })
      notify()
    },
    dial: (to, ms, cb) => transport.dialCallback(to, ms, cb),
    localUserState: (join, cb) => cb(serf === undefined ? new Uint8Array(0) : serf.localUserState(join)),
    mergeRemoteUserState: (bytes, join) => serf?.mergeRemoteState(bytes, join),
    emit: (o) => {
      outputs.push(o)
      if (o.type === 'cluster-size') queues.setClusterSize('memberlist', o.numNodes)
      else if (o.type === 'left') left = true
      else if (serf === undefined) return
      else if (o.type === 'node-joined') serf.nodeJoined(o.node)
      else if (o.type === 'node-updated') serf.nodeUpdated(o.node)
      else if (o.type === 'node-left') serf.nodeLeft(o.node)
      else if (o.type === 'user-message') serf.userMessage(o.bytes)
      else if (o.type === 'join-completed') serf.joinCompleted(o.numJoined)
    },
  }
  const identity = { name, addr: Uint8Array.of(127, 0, 0, 1), port }
  swim = new SwimNode(config, serf === undefined ? identity : { ...identity, meta: serf.localMeta() }, ports)
  transport.onPacket((p) => swim!.onPacket(p.from, p.bytes))
  transport.onStream((s) => swim!.onStream(s))
  serf?.start()
  swim.start()
  return {
    swim,
    transport,
    serf,
    hasLeft: () => left,
    outputs,
    stop: () => {
      swim!.stop()
      timers.clear()
      transport.close()
    },
  }
}
