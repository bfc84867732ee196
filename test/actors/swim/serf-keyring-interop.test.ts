/**
 * Key rotation of a mixed encrypted cluster, a real `serf agent` (0.9.4) and our swim in its worker
 * thread, at swim's level: the agent rotates with `serf keys` (install, use, remove: Serf's
 * internal queries, which our node does not answer yet: that is serf-events' part), our node
 * through `swim.keyring`, in the order an operator would. Packets keep opening on both sides at
 * every step and both stay alive to each other; the agent's old key is gone at the end.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createSwimConfig, LOCAL_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import { startNetNode } from './support/net-node.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { runSerf, SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { swim as swimActor } from '../../../actors/swim/definition.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const KEY_A = Buffer.alloc(32, 0x11)
const KEY_B = Buffer.alloc(32, 0x22)
const b64 = (k: Buffer) => k.toString('base64')

describe('key rotation with a real serf agent (interop)', () => {
  it('serf keys on the agent and swim.keyring on our node rotate the key while both stay alive', async () => {
    const agent = await SerfAgent.start({ name: 'agent-k', profile: 'local', encryptKey: b64(KEY_A) })
    cleanups.push(() => stopAgents([agent]))
    const system = await ActorSystem.start({ node: 'ts-k', logLevel: 'silent' })
    cleanups.push(async () => void (await system.shutdown({ drainTimeoutMs: 2_000 })))
    await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'worker', input: { config: gossipQueueConfigFor({ ...LOCAL_SWIM_CONFIG, encrypted: true }) } })
    const mm = await system.spawn(memberManager, { id: 'member-manager', placement: 'worker', input: { config: { nodeName: 'ts-k' } }, dependsOn: ['gossip-queue'] })
    const swim = await system.spawn(swimActor, {
      id: 'swim',
      placement: 'worker',
      input: { name: 'ts-k', addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local', config: { keys: [b64(KEY_A)] }, join: [agent.gossipAddr] },
      dependsOn: ['gossip-queue', 'member-manager'],
    })
    await agent.waitForMember('ts-k', (m) => m.status === 'alive', 15_000)
    const ours = (op: 'install' | 'use' | 'remove', key: Buffer) => swim.ask({ type: 'swim.keyring', op, key: new Uint8Array(key) }, { timeoutMs: 5_000 })
    // serf keys reports our node as not answering (no serf-events here): the agent applies it anyway.
    const theirs = (flag: string) => runSerf(['keys', `-rpc-addr=${agent.rpcAddr}`, flag]).catch(() => undefined)
    const settle = () => new Promise((r) => setTimeout(r, 300))

    await theirs(`-install=${b64(KEY_B)}`)
    expect((await ours('install', KEY_B)).ok).toBe(true)
    await settle()
    await theirs(`-use=${b64(KEY_B)}`) // the agent seals with B: we open it with B
    await settle()
    expect((await ours('use', KEY_B)).ok).toBe(true)
    await settle()
    await theirs(`-remove=${b64(KEY_A)}`)
    expect(await ours('remove', KEY_A)).toMatchObject({ ok: true, keys: [new Uint8Array(KEY_B)] })
    await settle()
    await settle()

    expect((await agent.members()).find((m) => m.name === 'ts-k')?.status).toBe('alive')
    await waitUntil('ts-k sees agent-k alive', async () => (await mm.ask({ type: 'member.members' })).members.find((m) => m.name === 'agent-k' && m.status === 'alive'), 5_000)
    const ctx = (await swim.getSnapshot()).context
    expect(ctx.counters.packetsUndecryptable).toBe(0)
    expect(ctx.counters.probesAcked).toBeGreaterThan(5)
    expect(ctx.keyringChanges).toBe(3)
    // The agent dropped A: a node still on A cannot join it (the agent cannot open its push/pull).
    const stale = await startNetNode({ name: 'ts-stale', config: createSwimConfig({ keys: [b64(KEY_A)] }, 'local'), seed: 5 })
    cleanups.push(stale.stop)
    stale.swim.join([agent.gossipAddr])
    const result = await waitUntil('the stale node join result', () => stale.outputs.find((o) => o.type === 'join-completed'), 10_000)
    expect(result).toMatchObject({ numJoined: 0, failures: [{ code: 'ERR_JOIN_DECRYPT' }] })
  }, 60_000)
})
