/**
 * Gossamer's own messages in a mixed cluster with a real `serf agent` (Debian serf 0.9.4) on
 * loopback: two Gossamer nodes (swim, gossip-queue, member-manager as actors, real UDP/TCP) and one
 * agent. The Gossamer nodes exchange Gossamer messages by UDP and TCP while the agent's user event
 * still reaches them; the agent never receives one of ours (its log shows no unknown-type warning),
 * because swim sends them only to the member the caller names. The control at the end names the
 * agent on purpose and sees the warning, so the log check can fail.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import { SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { defineActor } from '../../../src/runtime/define-actor.ts'
import { swim as swimActor } from '../../../actors/swim/definition.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { LOCAL_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import { encodeGossamerMessage } from '../../../src/wire/gossamer-message.ts'
import type { Message } from '../../../src/types/actor-env.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Records every message it is told (the receiver of Gossamer messages and of Serf's). */
const sink = defineActor({
  name: 'sink',
  machine: () =>
    setup({ types: {} as { context: { got: Message[] }; events: Message } }).createMachine({
      context: { got: [] },
      on: { '*': { actions: assign(({ context, event }) => ({ got: [...context.got, event] })) } },
    }),
})

async function gossamerNode(name: string, join: string[]) {
  const system = await ActorSystem.start({ node: name, logLevel: 'silent' })
  cleanups.push(async () => void (await system.shutdown({ drainTimeoutMs: 2_000 })))
  const inline = { placement: 'inline' } as const
  const got = await system.spawn(sink, { id: 'sink', ...inline, input: {} })
  // swim's sockets are its worker's (worker.ts provides them): the node's actors run in workers.
  await system.spawn(gossipQueue, { id: 'gossip-queue', input: { config: gossipQueueConfigFor({ ...LOCAL_SWIM_CONFIG, encrypted: false }) } })
  const mm = await system.spawn(memberManager, { id: 'member-manager', input: { config: { nodeName: name, tags: { gossamer: '1' } } }, dependsOn: ['gossip-queue'] })
  const swim = await system.spawn(swimActor, {
    id: 'swim',
    input: { name, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local', join, peers: { serfEvents: 'sink', gossamer: { election: 'sink', assignment: 'sink' } } },
    dependsOn: ['gossip-queue', 'member-manager'],
  })
  const address = await waitUntil(`${name} bound`, async () => (await swim.getSnapshot()).context.address || undefined, 10_000)
  const received = async () => (await got.getSnapshot()).context.got
  return { swim, mm, address, received }
}

describe('Gossamer messages with a real serf agent in the cluster', () => {
  it('go only to the Gossamer member named, never to the agent, while the agent user events still flow', async () => {
    const agent = await SerfAgent.start({ name: 'agent-g', profile: 'local' })
    cleanups.push(() => stopAgents([agent]))
    const a = await gossamerNode('gsm-a', [agent.gossipAddr])
    const b = await gossamerNode('gsm-b', [agent.gossipAddr])
    for (const n of [a, b]) {
      await waitUntil('three members alive', async () => ((await n.mm.ask({ type: 'member.members' })).members.filter((m) => m.status === 'alive').length === 3 ? true : undefined), 15_000)
    }
    await agent.waitForMember('gsm-b', (m) => m.status === 'alive', 15_000)

    for (let i = 0; i < 5; i++) {
      a.swim.send({ type: 'swim.send-gossamer', to: 'gsm-b', bytes: encodeGossamerMessage('election', Uint8Array.of(i)), reliable: false })
      a.swim.send({ type: 'swim.send-gossamer', to: 'gsm-b', bytes: encodeGossamerMessage('assignment', Uint8Array.of(10 + i)), reliable: true })
    }
    await agent.event('deploy', 'v1', { coalesce: false })
    const gossamerAt = (msgs: Message[]) => msgs.filter((m) => m.type === 'gossamer.message') as unknown as Array<{ channel: string; body: Uint8Array; from: string }>
    // What gsm-b had at the last look, so a timeout says which part is missing.
    let seen = 'nothing yet'
    const onB = await waitUntil('gsm-b got 10 Gossamer messages and the agent event', async () => {
      const got = await b.received()
      const g = gossamerAt(got).length
      const serf = got.some((m) => m.type === 'serf.message')
      seen = `${g} Gossamer messages, agent event ${serf ? 'seen' : 'not seen'}`
      return g === 10 && serf ? got : undefined
    }, 15_000).catch(async (err: unknown) => {
      const ctxA = (await a.swim.getSnapshot()).context
      throw new Error(`${(err as Error).message}; gsm-b had ${seen}; gsm-a sent ${ctxA.gossamerSent}, failed ${ctxA.gossamerFailed}, unknown member ${ctxA.gossamerUnknownMember}`, { cause: err })
    })
    const g = gossamerAt(onB)
    expect(g.filter((m) => m.channel === 'election').map((m) => m.body[0]).sort()).toEqual([0, 1, 2, 3, 4])
    expect(g.filter((m) => m.channel === 'assignment').map((m) => m.body[0]).sort()).toEqual([10, 11, 12, 13, 14])
    expect(g.filter((m) => m.channel === 'election').every((m) => m.from === 'gsm-a')).toBe(true)
    const ctxB = (await b.swim.getSnapshot()).context
    expect(ctxB.gossamerReceived).toBe(10)
    expect(ctxB.serfMessagesRouted).toBeGreaterThan(0)
    const ctxA = (await a.swim.getSnapshot()).context
    expect(ctxA).toMatchObject({ gossamerSent: 10, gossamerFailed: 0, gossamerUnknownMember: 0 })
    // Give a stray message time to reach the agent's log, then check it saw none.
    await new Promise((r) => setTimeout(r, 500))
    // Serf 0.9 logs `[WARN] serf: Received message of unknown type: 200` for each one it gets.
    expect(agent.log()).not.toMatch(/unknown type/i)

    // Control: naming the agent (what a caller must never do) does reach it, and Serf logs it.
    a.swim.send({ type: 'swim.send-gossamer', to: 'agent-g', bytes: encodeGossamerMessage('election', Uint8Array.of(9)), reliable: false })
    await waitUntil('the agent logged our message type', () => (/\[WARN\] serf: Received message of unknown type: 200/.test(agent.log()) ? true : undefined), 10_000)
  }, 90_000)
})
