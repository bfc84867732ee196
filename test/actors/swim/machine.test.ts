import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import type { Actor } from 'xstate'
import { createSwimMachine } from '../../../actors/swim/machine.ts'
import type { SwimMachine } from '../../../actors/swim/machine.ts'
import { QueueSet } from '../../../actors/gossip-queue/queue-set.ts'
import { createGossipQueueConfig } from '../../../actors/gossip-queue/config.ts'
import type { GossipQueueInbound } from '../../../actors/gossip-queue/protocol.ts'
import type { MemberManagerInbound } from '../../../actors/member-manager/protocol.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import { SimClock } from '../../../src/sim/sim-clock.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import type { ActorEnv, Message, SendStatus } from '../../../src/types/actor-env.ts'
import type { ActorId } from '../../../src/types/ids.ts'

/** One node: the swim machine on the shared clock, its broadcast queue inline, member-manager recorded. */
function harness(seed = 1) {
  const clock = new SimClock()
  const random = createSeededRandom(seed)
  const net = new MemoryNetwork({ clock, random: random.fork('net'), defaultLink: { latencyMs: 1 } })
  const nodes = new Map<string, { actor: Actor<SwimMachine>; queues: QueueSet; member: MemberManagerInbound[]; address: string }>()

  const addNode = (name: string, i: number, join: string[] = []) => {
    const address = `10.0.0.${i}:7946`
    const transport = net.createTransport(address)
    const queues = new QueueSet(createGossipQueueConfig({ retransmitMult: 4 }))
    const member: MemberManagerInbound[] = []
    let actor: Actor<SwimMachine> | undefined
    const env: ActorEnv = {
      id: `swim-${name}` as ActorId,
      node: name,
      clock,
      random: random.fork(name),
      log: { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, isLevelEnabled: () => false },
      compute: { run: () => Promise.reject(new Error('no compute pool')) },
      send<M extends Message>(to: string, msg: M): SendStatus {
        if (to === env.id) {
          actor?.send(msg as never)
        } else if (to === 'gossip-queue') {
          const g = msg as unknown as GossipQueueInbound
          if (g.type === 'gossip.enqueue') queues.enqueue(g.broadcast)
          else if (g.type === 'gossip.cluster-size') queues.setClusterSize(g.source, g.numNodes)
          for (const n of queues.drainNotifications()) if (n.to === env.id) actor?.send(n.msg)
        } else if (to === 'member-manager') {
          member.push(msg as unknown as MemberManagerInbound)
        } else return 'unknown'
        return 'ok'
      },
      reply: () => {},
      fail: () => {},
    }
    const machine = createSwimMachine(env, {
      transport,
      fill: (overhead, limit, cb) => {
        const { parts } = queues.fill(overhead, limit)
        for (const n of queues.drainNotifications()) if (n.to === env.id) actor?.send(n.msg)
        cb(parts)
      },
    })
    actor = createActor(machine, { clock, input: { name, addr: Uint8Array.of(10, 0, 0, i), port: 7946, preset: 'lan', join } })
    actor.start()
    nodes.set(name, { actor, queues, member, address })
    return nodes.get(name)!
  }
  return { clock, net, nodes, addNode }
}

describe('swim machine', () => {
  it('joins, detects a crash, reports a leave as left, and stops every timer', () => {
    const h = harness()
    const n1 = h.addNode('n1', 1)
    h.addNode('n2', 2, [n1.address])
    h.addNode('n3', 3, [n1.address])
    h.addNode('n4', 4, [n1.address])
    h.clock.advance(10_000)
    for (const { actor } of h.nodes.values()) {
      expect(actor.getSnapshot().value).toBe('running')
      expect(actor.getSnapshot().context.numNodes).toBe(4)
    }
    const joined = n1.member.filter((m) => m.type === 'member.node-joined').map((m) => (m as { node: { name: string } }).node.name)
    expect(joined.sort()).toEqual(['n1', 'n2', 'n3', 'n4'])
    expect(h.nodes.get('n2')!.member.some((m) => m.type === 'member.join-completed' && m.numJoined === 1)).toBe(true)

    // Crash n3: the host stops answering and its timers stop.
    h.net.setDown(h.nodes.get('n3')!.address)
    h.nodes.get('n3')!.actor.send({ type: 'runtime.shutdown' })
    h.clock.advance(30_000)
    const left = n1.member.filter((m) => m.type === 'member.node-left').map((m) => (m as { node: { name: string; state: string } }).node)
    expect(left).toContainEqual(expect.objectContaining({ name: 'n3', state: 'dead' }))

    // Graceful leave of n2: leaving, then left once the dead{From: self} has spread.
    const n2 = h.nodes.get('n2')!
    n2.actor.send({ type: 'swim.leave', timeoutMs: 5_000 })
    expect(n2.actor.getSnapshot().value).toBe('leaving')
    h.clock.advance(6_000)
    expect(n2.actor.getSnapshot().value).toBe('left')
    expect(n2.member.some((m) => m.type === 'member.swim-left')).toBe(true)
    const n2Left = n1.member.filter((m) => m.type === 'member.node-left').map((m) => (m as { node: { name: string; state: string } }).node)
    expect(n2Left).toContainEqual(expect.objectContaining({ name: 'n2', state: 'left' }))

    for (const { actor } of h.nodes.values()) {
      actor.send({ type: 'runtime.shutdown' })
      expect(actor.getSnapshot().status).toBe('done')
    }
    // Only in-flight network deliveries may remain; no swim timer is left armed.
    h.clock.advance(1_000)
    expect(h.clock.pending()).toBe(0)
  })

  it('refutes a suspicion of itself and raises its incarnation', () => {
    const h = harness(2)
    const n1 = h.addNode('n1', 1)
    const n2 = h.addNode('n2', 2, [n1.address])
    h.clock.advance(5_000)
    // n2 becomes slow for a while: n1's probes time out, n1 suspects n2, n2 refutes.
    h.net.setNodeDelay(n2.address, 700)
    h.clock.advance(20_000)
    h.net.setNodeDelay(n2.address, 0)
    h.clock.advance(5_000)
    expect(n2.actor.getSnapshot().context.incarnation).toBeGreaterThan(1)
    expect(n1.member.some((m) => m.type === 'member.node-left' && m.node.name === 'n2')).toBe(false)
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })
})
