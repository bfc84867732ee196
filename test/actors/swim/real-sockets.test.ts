/**
 * swim over real UDP/TCP sockets on 127.0.0.1 with real timers (test-speed config): three nodes
 * join through push/pull, converge, detect a stopped node, and everything is closed at the end.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { SwimNode } from '../../../actors/swim/swim-node.ts'
import { testConfig } from '../../../actors/swim/config.ts'
import type { SwimPorts } from '../../../actors/swim/ports.ts'
import { sendPacketRequest } from '../../../actors/swim/send-pipeline.ts'
import { QueueSet } from '../../../actors/gossip-queue/queue-set.ts'
import { createGossipQueueConfig } from '../../../actors/gossip-queue/config.ts'
import { NetTransport } from '../../../src/transport/net-transport.ts'
import { createSeededRandom } from '../../../src/types/random.ts'

interface RealNode {
  swim: SwimNode
  transport: NetTransport
  stop(): void
}

const started: RealNode[] = []
afterEach(() => {
  for (const n of started.splice(0)) n.stop()
})

async function realNode(name: string, seed: number): Promise<RealNode> {
  const transport = await NetTransport.listen('127.0.0.1', 0)
  const port = Number(transport.localAddress.split(':')[1])
  const config = testConfig()
  const queues = new QueueSet(createGossipQueueConfig({ retransmitMult: config.retransmitMult }))
  const random = createSeededRandom(seed)
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  let swim: SwimNode | undefined
  const ports: SwimPorts = {
    now: () => Date.now(),
    random: () => random.next(),
    setTimer: (key, ms) => {
      clearTimeout(timers.get(key))
      timers.set(
        key,
        setTimeout(() => {
          timers.delete(key)
          swim!.onTimer(key)
        }, ms),
      )
    },
    cancelTimer: (key) => {
      clearTimeout(timers.get(key))
      timers.delete(key)
    },
    sendPacket: (req) =>
      sendPacketRequest(req, {
        udpBufferSize: config.udpBufferSize,
        compress: config.enableCompression,
        fill: (o, l, cb) => cb(queues.fill(o, l).parts),
        emit: (to, bytes) => transport.sendPacket(to, bytes),
      }),
    enqueueBroadcast: (name, message, notifyId) => {
      queues.enqueue(notifyId === undefined ? { queue: 'memberlist', message, name } : { queue: 'memberlist', message, name, notify: { to: 'swim', id: notifyId } })
    },
    dial: (to, timeoutMs, cb) => transport.dialCallback(to, timeoutMs, cb),
    localUserState: (_join, cb) => cb(new Uint8Array(0)),
    mergeRemoteUserState: () => {},
    emit: (o) => {
      if (o.type === 'cluster-size') queues.setClusterSize('memberlist', o.numNodes)
    },
  }
  swim = new SwimNode(config, { name, addr: Uint8Array.of(127, 0, 0, 1), port }, ports)
  transport.onPacket((p) => swim!.onPacket(p.from, p.bytes))
  transport.onStream((s) => swim!.onStream(s))
  swim.start()
  const node: RealNode = {
    swim,
    transport,
    stop: () => {
      swim!.stop()
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
      transport.close()
    },
  }
  started.push(node)
  return node
}

async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 10))
  }
  return true
}

describe('swim over real sockets (loopback)', () => {
  it('three nodes converge, then detect a stopped one', async () => {
    const a = await realNode('a', 1)
    const b = await realNode('b', 2)
    const c = await realNode('c', 3)
    b.swim.join([a.transport.localAddress])
    c.swim.join([a.transport.localAddress])
    const all = [a, b, c]
    const aliveEverywhere = () => all.every((n) => ['a', 'b', 'c'].every((m) => n.swim.table.get(m)?.state === 'alive'))
    expect(await until(aliveEverywhere, 5_000)).toBe(true)
    for (const n of all) expect(n.swim.counters.packetsMalformed).toBe(0)

    c.stop()
    // Test config: probe every 100 ms; n = 3 → k = 0, suspicion min = 3 × 100 ms.
    expect(await until(() => a.swim.table.get('c')?.state === 'dead' && b.swim.table.get('c')?.state === 'dead', 5_000)).toBe(true)
  }, 15_000)
})
