/**
 * swim in its worker placement: three nodes, each an ActorSystem whose swim, gossip-queue and
 * member-manager all run in their own worker threads, swim on a real UDP socket and TCP listener on
 * 127.0.0.1 with an ephemeral port. They join into one cluster (every member-manager sees three
 * alive members), one leaves gracefully (the others see `left`), and one is shut down without a
 * leave (the last sees `failed`). Real time, so every wait polls an ask with a deadline.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import type { ActorRef } from '../../../src/runtime/types.ts'
import type { ActorDefinition } from '../../../src/runtime/define-actor.ts'
import { NetTransport } from '../../../src/transport/net-transport.ts'
import { swim } from '../../../actors/swim/definition.ts'
import { createSwimConfig } from '../../../actors/swim/config.ts'
import type { SwimInit } from '../../../actors/swim/config.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import type { Member } from '../../../actors/member-manager/protocol.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'

/**
 * LAN preset with test-speed timers. The test preset's probe timeout (20 ms) is too tight here: nine
 * worker threads share two cores with the test runner, and a probe's ping and ack each wait for a
 * fill ask to gossip-queue's thread. So: probe every 200 ms with a 100 ms timeout (the fill ask
 * may take 50 ms), gossip every 50 ms; three nodes → suspicion minimum 4 × 200 ms = 800 ms.
 */
const SWIM_TIMERS: SwimInit = {
  probeIntervalMs: 200,
  probeTimeoutMs: 100,
  gossipIntervalMs: 50,
  pushPullIntervalMs: 2_000,
  gossipToTheDeadTimeMs: 2_000,
  tcpTimeoutMs: 1_000,
}

interface WorkerNode {
  name: string
  system: ActorSystem
  swim: RefOf<typeof swim>
  mm: RefOf<typeof memberManager>
  gq: RefOf<typeof gossipQueue>
  /** "127.0.0.1:<bound port>" */
  address: string
}

/** The ref `spawn` returns for a definition. */
type RefOf<D> = D extends ActorDefinition<infer M, infer TIn> ? ActorRef<M, TIn> : never

const running: ActorSystem[] = []
afterEach(async () => {
  for (const s of running.splice(0)) await s.shutdown({ drainTimeoutMs: 2_000 })
})

/** Polls `check` until it returns a value other than undefined; fails with `what` at the deadline. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

async function startNode(name: string, seed: number, join: string[]): Promise<WorkerNode> {
  const system = await ActorSystem.start({ node: name, seed, logLevel: 'silent' })
  running.push(system)
  const gq = await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'worker', input: { config: gossipQueueConfigFor({ ...createSwimConfig(SWIM_TIMERS, 'lan'), encrypted: false }) } })
  const mm = await system.spawn(memberManager, {
    id: 'member-manager',
    placement: 'worker',
    input: { config: { nodeName: name, leavePropagateDelayMs: 200 } },
    dependsOn: ['gossip-queue'],
  })
  const ref = await system.spawn(swim, {
    id: 'swim',
    placement: 'worker',
    input: { name, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'lan', config: SWIM_TIMERS, join },
    dependsOn: ['gossip-queue', 'member-manager'],
  })
  const address = await until(
    `${name} bound`,
    async () => {
      const s = await ref.getSnapshot()
      if (s.value === 'failed') throw new Error(`${name} failed to bind: ${JSON.stringify(s.context.bindError)}`)
      return s.value === 'running' ? s.context.address : undefined
    },
    10_000,
  )
  return { name, system, swim: ref, mm, gq, address }
}

const statusOf = async (n: WorkerNode, member: string): Promise<Member['status'] | undefined> =>
  (await n.mm.ask({ type: 'member.members' }, { timeoutMs: 2_000 })).members.find((m) => m.name === member)?.status

describe('swim in its worker placement (real UDP/TCP on loopback)', () => {
  it('three worker nodes join, see a graceful leave as left and a shutdown as failed', async () => {
    const started = Date.now()
    const a = await startNode('a', 1, [])
    const b = await startNode('b', 2, [a.address])
    const c = await startNode('c', 3, [a.address])
    const nodes = [a, b, c]
    // Ephemeral ports: each swim bound its own and advertises it.
    for (const n of nodes) expect(n.address).toMatch(/^127\.0\.0\.1:[1-9]\d*$/)
    expect(new Set(nodes.map((n) => n.address)).size).toBe(3)

    for (const n of nodes) {
      const members = await until(
        `${n.name} sees a, b and c alive`,
        async () => {
          const r = await n.mm.ask({ type: 'member.members' }, { timeoutMs: 2_000 })
          return r.counts.alive === 3 ? r.members : undefined
        },
        10_000,
      )
      expect(members.map((m) => `${m.name}@127.0.0.1:${m.port}`).sort()).toEqual(nodes.map((x) => `${x.name}@${x.address}`).sort())
    }
    const askFailures: string[] = []
    for (const n of nodes) {
      const ctx = (await n.swim.getSnapshot()).context
      expect(ctx.numNodes).toBe(3)
      askFailures.push(`${n.name}: fill ${ctx.fillFailures}, local-state ${ctx.localStateFailures}`)
      // The fills crossed threads to gossip-queue: it handed out swim's broadcasts.
      expect((await n.gq.ask({ type: 'gossip.stats' })).queues.memberlist.transmits).toBeGreaterThan(0)
    }

    // b leaves gracefully: Serf's leave intent, memberlist's dead{From: self}, then b's ack.
    await b.mm.ask({ type: 'member.leave' }, { timeoutMs: 10_000 })
    expect((await b.swim.getSnapshot()).value).toBe('left')
    for (const n of [a, c]) await until(`${n.name} sees b left`, async () => ((await statusOf(n, 'b')) === 'left' ? true : undefined), 10_000)

    // c's system shuts down without a leave: a's failure detector declares it dead → failed.
    const cPort = Number(c.address.split(':')[1])
    await c.system.shutdown({ drainTimeoutMs: 2_000 })
    running.splice(running.indexOf(c.system), 1)
    await until('a sees c failed', async () => ((await statusOf(a, 'c')) === 'failed' ? true : undefined), 10_000)
    expect(await statusOf(a, 'b')).toBe('left')
    // c's socket was released at shutdown: its port can be bound again.
    const again = await NetTransport.listen('127.0.0.1', cPort)
    again.close()

    // eslint-disable-next-line no-console
    console.log(`worker-placement scenario: ${Date.now() - started} ms real time; ask failures (counted, not fatal) ${askFailures.join('; ')}`)
  }, 40_000)
})
