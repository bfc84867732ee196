/**
 * staleSuspicionRefresh (the default) against a real `serf agent` (Debian serf 0.9.4) on loopback:
 * the rules only add direct packets of memberlist's own message types, so the agent must take them
 * as it takes gossip. (1) We suspect the agent without gossiping it; its next packet to us gets
 * our suspicion sent straight back, and the agent refutes. (2) The agent is told we are suspect;
 * we refute and also send our alive straight to the agent, which accepts it and never fails us.
 */
import { createSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { SwimNode } from '../../../actors/swim/swim-node.ts'
import { createSwimConfig } from '../../../actors/swim/config.ts'
import type { SwimPorts } from '../../../actors/swim/ports.ts'
import { sendPacketRequest } from '../../../actors/swim/send-pipeline.ts'
import { QueueSet } from '../../../actors/gossip-queue/queue-set.ts'
import { createGossipQueueConfig } from '../../../actors/gossip-queue/config.ts'
import { MemberLayer } from '../../../actors/member-manager/member-layer.ts'
import { createSerfConfig } from '../../../actors/member-manager/config.ts'
import { NetTransport } from '../../../src/transport/net-transport.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { encodeMessage } from '../../../src/wire/memberlist.ts'
import { SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Our swim with Serf's member layer, real UDP/TCP and real timers, default (local) config. */
async function gossamerNode(name: string) {
  const transport = await NetTransport.listen('127.0.0.1', 0)
  const port = Number(transport.localAddress.split(':')[1])
  const config = createSwimConfig({}, 'local')
  expect(config.staleSuspicionRefresh).toBe(true)
  const queues = new QueueSet(createGossipQueueConfig({ retransmitMult: config.retransmitMult }))
  const random = createSeededRandom(11)
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  const later = (key: string, ms: number, fn: () => void) => {
    clearTimeout(timers.get(key))
    timers.set(key, setTimeout(() => (timers.delete(key), fn()), ms))
  }
  let swim: SwimNode | undefined
  const serf = new MemberLayer(createSerfConfig({ nodeName: name }), {
    now: () => Date.now(),
    random,
    emit: () => {},
    enqueue: (b) => void queues.enqueue(b),
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
        fill: (o, l, cb) => cb(queues.fill(o, l).parts),
        emit: (to, bytes) => transport.sendPacket(to, bytes),
      }),
    enqueueBroadcast: (n, message) => void queues.enqueue({ queue: 'memberlist', message, name: n }),
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
    },
  }
  swim = new SwimNode(config, { name, addr: Uint8Array.of(127, 0, 0, 1), port, meta: serf.localMeta() }, ports)
  transport.onPacket((p) => swim!.onPacket(p.from, p.bytes))
  transport.onStream((s) => swim!.onStream(s))
  serf.start()
  swim.start()
  cleanups.push(() => {
    swim!.stop()
    for (const t of timers.values()) clearTimeout(t)
    timers.clear()
    transport.close()
  })
  return { swim, transport }
}

describe('staleSuspicionRefresh with a real serf agent (interop)', () => {
  it('a suspect agent told directly refutes; an agent told we are suspect takes our direct alive', async () => {
    const agent = await SerfAgent.start({ name: 'agent-r', profile: 'local' })
    cleanups.push(() => stopAgents([agent]))
    const ts = await gossamerNode('ts-r')
    ts.swim.join([agent.gossipAddr])
    await agent.waitForMember('ts-r', (m) => m.status === 'alive', 15_000)
    await waitUntil('ts-r knows agent-r', () => (ts.swim.table.get('agent-r')?.state === 'alive' ? true : undefined), 10_000)

    // (1) Suspect the agent in our table only (nothing gossiped, no timer): only rule 4 can tell it.
    const before = ts.swim.table.get('agent-r')!.incarnation
    const o = ts.swim.table.suspect({ incarnation: before, node: 'agent-r', from: 'ts-r' }, Date.now())
    expect(o.result).toBe('accepted')
    await waitUntil('agent-r refuted', () => (ts.swim.table.get('agent-r')!.state === 'alive' ? true : undefined), 10_000)
    expect(ts.swim.counters.suspectsTold).toBeGreaterThan(0)
    expect(ts.swim.table.get('agent-r')!.incarnation).toBeGreaterThan(before)
    await waitUntil('agent log shows the refutation', () => (/Refuting a suspect message/.test(agent.log()) ? true : undefined), 5_000)

    // (2) A third party tells the agent that ts-r is suspect at its current incarnation.
    const ourInc = ts.swim.table.self().incarnation
    const sock = createSocket('udp4')
    cleanups.push(() => new Promise<void>((resolve) => sock.close(() => resolve())))
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()))
    const [host, agentPort] = agent.gossipAddr.split(':')
    const suspect = encodeMessage({ type: 'suspect', Incarnation: ourInc, Node: 'ts-r', From: 'someone-else' })
    await new Promise<void>((resolve, reject) => sock.send(suspect, Number(agentPort), host, (err) => (err ? reject(err) : resolve())))
    await waitUntil('ts-r refuted', () => (ts.swim.table.self().incarnation > ourInc ? true : undefined), 10_000)
    expect(ts.swim.counters.refutations).toBeGreaterThan(0)
    // Local profile, 2 members: the agent's suspicion would run out after 3 s; give it 6 s.
    await new Promise((r) => setTimeout(r, 6_000))
    const seen = (await agent.members()).find((m) => m.name === 'ts-r')
    expect(seen?.status).toBe('alive')
    expect(agent.log()).not.toMatch(/\[ERR\]/)
    expect(ts.swim.counters.packetsMalformed).toBe(0)
    expect(ts.swim.table.get('agent-r')!.state).toBe('alive')
  }, 60_000)
})
