/**
 * Interop with a real `serf agent` (Debian serf 0.9.4) on loopback: our swim (with Serf's member
 * layer from member-manager, real UDP/TCP, real timers) joins the agent, both sides see each other
 * alive with tags, and a graceful leave shows as `left` on the agent. The first two cases drive the
 * logic directly; the last runs swim, gossip-queue and member-manager as actors in their worker
 * threads, as a node does.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { SwimNode } from '../../../actors/swim/swim-node.ts'
import { createSwimConfig, LOCAL_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import type { SwimPorts } from '../../../actors/swim/ports.ts'
import { sendPacketRequest } from '../../../actors/swim/send-pipeline.ts'
import { QueueSet } from '../../../actors/gossip-queue/queue-set.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { MemberLayer } from '../../../actors/member-manager/member-layer.ts'
import { createSerfConfig } from '../../../actors/member-manager/config.ts'
import { NetTransport } from '../../../src/transport/net-transport.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { swim as swimActor } from '../../../actors/swim/definition.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function gossamerNode(name: string, tags: Record<string, string>) {
  const transport = await NetTransport.listen('127.0.0.1', 0)
  const port = Number(transport.localAddress.split(':')[1])
  const config = createSwimConfig({}, 'local')
  const queues = new QueueSet(gossipQueueConfigFor({ ...config, encrypted: false }))
  const random = createSeededRandom(7)
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  const later = (key: string, ms: number, fn: () => void) => {
    clearTimeout(timers.get(key))
    timers.set(key, setTimeout(() => (timers.delete(key), fn()), ms))
  }
  let swim: SwimNode | undefined
  let left = false
  const notify = () => {
    for (const n of queues.drainNotifications()) if (n.to === 'swim') swim!.onBroadcastFinished(n.msg.id)
  }
  const serf = new MemberLayer(createSerfConfig({ nodeName: name, tags }), {
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
    schedulePrune: (n, ms) => later(`prune:${n}`, ms, () => serf.pruneDue(n)),
  })
  const ports: SwimPorts = {
    now: () => Date.now(),
    random: () => random.next(),
    setTimer: (key, ms) => later(key, ms, () => swim!.onTimer(key)),
    cancelTimer: (key) => {
      clearTimeout(timers.get(key))
      timers.delete(key)
    },
    sendPacket: (req) =>
      sendPacketRequest(req, {
        udpBufferSize: config.udpBufferSize,
        compress: config.enableCompression,
        fill: (o, l, cb) => {
          const parts = queues.fill(o, l).parts
          notify()
          cb(parts)
        },
        emit: (to, bytes) => transport.sendPacket(to, bytes),
      }),
    enqueueBroadcast: (n, message, notifyId) => {
      queues.enqueue(notifyId === undefined ? { queue: 'memberlist', message, name: n } : { queue: 'memberlist', message, name: n, notify: { to: 'swim', id: notifyId } })
      notify()
    },
    dial: (to, ms, cb) => transport.dialCallback(to, ms, cb),
    localUserState: (join, cb) => cb(serf.localUserState(join)),
    mergeRemoteUserState: (bytes, join) => serf.mergeRemoteState(bytes, join),
    emit: (o) => {
      if (o.type === 'cluster-size') queues.setClusterSize('memberlist', o.numNodes)
      else if (o.type === 'node-joined') serf.nodeJoined(o.node)
      else if (o.type === 'node-updated') serf.nodeUpdated(o.node)
      else if (o.type === 'node-left') serf.nodeLeft(o.node)
      else if (o.type === 'user-message') serf.userMessage(o.bytes)
      else if (o.type === 'join-completed') serf.joinCompleted(o.numJoined)
      else if (o.type === 'left') left = true
    },
  }
  swim = new SwimNode(config, { name, addr: Uint8Array.of(127, 0, 0, 1), port, meta: serf.localMeta() }, ports)
  transport.onPacket((p) => swim!.onPacket(p.from, p.bytes))
  transport.onStream((s) => swim!.onStream(s))
  serf.start()
  swim.start()
  const stop = () => {
    swim!.stop()
    for (const t of timers.values()) clearTimeout(t)
    timers.clear()
    transport.close()
  }
  cleanups.push(stop)
  return { swim, serf, transport, hasLeft: () => left }
}

describe('swim with a real serf agent (interop)', () => {
  it('joins an agent, both see each other alive with tags, and a leave shows as left', async () => {
    const agent = await SerfAgent.start({ name: 'agent-a', profile: 'local', tags: { role: 'go' } })
    cleanups.push(() => stopAgents([agent]))
    const ts = await gossamerNode('ts-1', { role: 'ts' })
    ts.swim.join([agent.gossipAddr])

    const seen = await agent.waitForMember('ts-1', (m) => m.status === 'alive', 15_000)
    expect(seen.tags).toEqual({ role: 'ts' })
    await waitUntil('ts-1 sees agent-a alive', () => ts.serf.members().members.find((m) => m.name === 'agent-a' && m.status === 'alive'), 10_000)
    expect(ts.serf.members().members.find((m) => m.name === 'agent-a')?.tags).toEqual({ role: 'go' })
    expect(ts.swim.counters.packetsMalformed).toBe(0)
    expect(ts.swim.counters.pushPullsFailed).toBe(0)

    // Graceful leave: Serf's leave intent, then memberlist's dead{From: self}.
    const { waitForBroadcast } = ts.serf.beginLeave('member-manager')
    expect(waitForBroadcast).toBe(true)
    ts.swim.leave(5_000)
    await waitUntil('ts-1 left', () => (ts.hasLeft() ? true : undefined), 10_000)
    const gone = await agent.waitForMember('ts-1', (m) => m.status === 'left', 15_000)
    expect(gone.status).toBe('left')
  }, 60_000)

  it('an agent joins us, then is killed: our member layer reports it failed', async () => {
    const ts = await gossamerNode('ts-2', { role: 'ts' })
    const agent = await SerfAgent.start({ name: 'agent-b', profile: 'local' })
    cleanups.push(() => stopAgents([agent]))
    await agent.join([ts.transport.localAddress])
    await waitUntil('ts-2 sees agent-b alive', () => ts.serf.members().members.find((m) => m.name === 'agent-b' && m.status === 'alive'), 10_000)
    await agent.waitForMember('ts-2', (m) => m.status === 'alive', 10_000)

    await stopAgents([agent]) // SIGTERM: no leave, so peers must detect the failure
    const t0 = Date.now()
    await waitUntil('ts-2 sees agent-b failed', () => ts.serf.members().members.find((m) => m.name === 'agent-b' && m.status === 'failed'), 20_000)
    // Local profile, 2 nodes: a failed probe after up to ~1 s, then the 3 s suspicion minimum.
    expect(Date.now() - t0).toBeGreaterThan(2_000)
    expect(ts.swim.table.get('agent-b')?.state).toBe('dead')
  }, 60_000)

  it('swim in its worker placement joins an agent, takes new tags, and leaves as left', async () => {
    const agent = await SerfAgent.start({ name: 'agent-w', profile: 'local', tags: { role: 'go' } })
    cleanups.push(() => stopAgents([agent]))
    const system = await ActorSystem.start({ node: 'ts-w', logLevel: 'silent' })
    cleanups.push(async () => void (await system.shutdown({ drainTimeoutMs: 2_000 })))
    await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'worker', input: { config: gossipQueueConfigFor({ ...LOCAL_SWIM_CONFIG, encrypted: false }) } })
    const mm = await system.spawn(memberManager, { id: 'member-manager', placement: 'worker', input: { config: { nodeName: 'ts-w' } }, dependsOn: ['gossip-queue'] })
    const swim = await system.spawn(swimActor, {
      id: 'swim',
      placement: 'worker',
      input: { name: 'ts-w', addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local', join: [agent.gossipAddr] },
      dependsOn: ['gossip-queue', 'member-manager'],
    })
    // Tags through the API: member-manager encodes them and tells swim (held if swim is still binding).
    await mm.ask({ type: 'member.set-tags', tags: { role: 'ts-worker' } }, { timeoutMs: 5_000 })

    const seen = await agent.waitForMember('ts-w', (m) => m.status === 'alive' && m.tags['role'] === 'ts-worker', 15_000)
    const address = (await swim.getSnapshot()).context.address
    expect(`${seen.addr}`).toBe(address)
    await waitUntil(
      'ts-w sees agent-w alive with its tags',
      async () => (await mm.ask({ type: 'member.members' })).members.find((m) => m.name === 'agent-w' && m.status === 'alive' && m.tags['role'] === 'go'),
      10_000,
    )

    await mm.ask({ type: 'member.leave' }, { timeoutMs: 15_000 })
    const gone = await agent.waitForMember('ts-w', (m) => m.status === 'left', 15_000)
    expect(gone.status).toBe('left')
    const ctx = (await swim.getSnapshot()).context
    expect(ctx.localStateFailures).toBe(0)
  }, 60_000)
})
