/**
 * Key rotation of a mixed encrypted cluster, with a real `serf agent` (Debian serf 0.9.4) on
 * loopback and a Gossamer node (swim, gossip-queue, member-manager and serf-events in worker
 * threads, local profile): the agent's `serf keys -list/-install/-use/-remove` counts our node's
 * answers (our keyring is swim's, changed through the `swim.keyring` ask), our node stays a member
 * after the old key is gone, and our own `serf.key-operation` counts the agent's answer.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { LOCAL_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { swim as swimActor } from '../../../actors/swim/definition.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { serfEvents } from '../../../actors/serf-events/definition.ts'
import type { KeyOperationReply } from '../../../actors/serf-events/protocol.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { SerfAgent, runSerf, stopAgents, waitUntil } from '../../support/serf.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function gossamerNode(name: string, join: string[], keys: string[]) {
  const system = await ActorSystem.start({ node: name, logLevel: 'silent' })
  cleanups.push(async () => void (await system.shutdown({ drainTimeoutMs: 2_000 })))
  await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'worker', input: { config: gossipQueueConfigFor({ ...LOCAL_SWIM_CONFIG, encrypted: true }) } })
  await system.spawn(memberManager, { id: 'member-manager', placement: 'worker', input: { config: { nodeName: name }, peers: { serfEvents: 'serf-events' } }, dependsOn: ['gossip-queue'] })
  const se = await system.spawn(serfEvents, { id: 'serf-events', placement: 'worker', input: { nodeName: name }, dependsOn: ['gossip-queue', 'member-manager'] })
  await system.sync()
  await system.spawn(swimActor, {
    id: 'swim',
    placement: 'worker',
    input: { name, addr: Uint8Array.of(127, 0, 0, 1), port: 0, preset: 'local', join, config: { keys } },
    dependsOn: ['gossip-queue', 'member-manager', 'serf-events'],
  })
  return { system, se }
}

/** `<key>  [n/N]` as `serf keys -list` prints it (column-aligned). */
const held = (key: string, n: string) => new RegExp(`${key.replace(/[+/=]/g, (c) => `\\${c}`)}\\s+\\[${n}\\]`)

const keysCli = (agent: SerfAgent, ...args: string[]) => runSerf(['keys', `-rpc-addr=${agent.rpcAddr}`, ...args], 20_000)

describe('serf keys across a mixed encrypted cluster (interop)', () => {
  it('install, use, remove and list count the Gossamer node, which stays a member; our key operation counts the agent', async () => {
    const K1 = randomBytes(32).toString('base64')
    const K2 = randomBytes(32).toString('base64')
    const agent = await SerfAgent.start({ name: 'agent-k', profile: 'local', encryptKey: K1 })
    cleanups.push(() => stopAgents([agent]))
    const ts = await gossamerNode('ts-k', [agent.gossipAddr], [K1])
    await agent.waitForMember('ts-k', (m) => m.status === 'alive', 15_000)
    await waitUntil('ts-k knows agent-k', async () => ((await ts.se.ask({ type: 'serf.stats' })).numMembers === 2 ? true : undefined), 10_000)

    expect((await keysCli(agent, '-list')).stdout).toMatch(held(K1, '2/2'))
    expect((await keysCli(agent, '-install', K2)).stdout).toContain('Successfully installed key')
    const listed = (await keysCli(agent, '-list')).stdout
    expect(listed).toMatch(held(K1, '2/2'))
    expect(listed).toMatch(held(K2, '2/2'))
    expect((await keysCli(agent, '-use', K2)).stdout).toContain('Successfully changed primary key')
    // The primary cannot be removed (every node says so), then the old key goes.
    await expect(keysCli(agent, '-remove', K2)).rejects.toThrow(/Removing the primary key is not allowed/)
    expect((await keysCli(agent, '-remove', K1)).stdout).toContain('Successfully removed key')
    expect((await keysCli(agent, '-list')).stdout).not.toContain(K1)

    // Still one cluster on K2 alone: the agent keeps us alive (probes and gossip decrypt).
    await new Promise((r) => setTimeout(r, 2_000))
    expect((await agent.members()).find((m) => m.name === 'ts-k')?.status).toBe('alive')

    // Our own cluster-wide list: both nodes answer with K2.
    const mine = (await ts.se.ask({ type: 'serf.key-operation', kind: 'list' }, { timeoutMs: 15_000 })) as KeyOperationReply
    expect(mine).toMatchObject({ error: null, response: { numNodes: 2, numResp: 2, numErr: 0, keys: { [K2]: 2 } } })
  }, 90_000)
})
