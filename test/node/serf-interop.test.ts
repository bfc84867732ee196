/**
 * createNode and a real `serf agent` (Debian serf 0.9.x) on loopback, 'local' profile: the node
 * joins the agent, each lists the other with its tags, a tag change and a graceful leave reach the
 * agent; and the silent failure is an error the caller sees: a plaintext node joining an
 * encrypted agent rejects ERR_JOIN_FAILED with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNode } from '../../src/node/create-node.ts'
import type { GossamerNode } from '../../src/node/api.ts'
import { SerfAgent, ensureSerf, stopAgents, waitUntil } from '../support/serf.ts'

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 7 + i)).toString('base64')
const agents: SerfAgent[] = []
const nodes: GossamerNode[] = []

beforeAll(() => {
  ensureSerf()
})
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.shutdown()))
  await stopAgents(agents)
})

describe('createNode with a real serf agent', () => {
  it('joins an agent, both list each other with tags, a tag change and a leave reach the agent', async () => {
    const agent = await SerfAgent.start({ name: 'serf-1', profile: 'local', tags: { role: 'serf' } })
    agents.push(agent)
    const node = await createNode({ name: 'gossamer-1', bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent', tags: { role: 'gossamer' }, join: [agent.gossipAddr] })
    nodes.push(node)
    const serf = (await node.members({ name: 'serf-1' }))[0]
    expect(serf).toMatchObject({ status: 'alive', tags: { role: 'serf' }, port: agent.bindPort })
    await agent.waitForMember('gossamer-1', (m) => m.status === 'alive' && m.tags['role'] === 'gossamer', 10_000)
    await node.setTags({ version: '2' })
    await agent.waitForMember('gossamer-1', (m) => m.tags['version'] === '2' && m.tags['role'] === 'gossamer', 10_000)
    await node.leave()
    await agent.waitForMember('gossamer-1', (m) => m.status === 'left', 10_000)
  }, 40_000)

  it("rejects a plaintext node's join to an encrypted agent with ERR_JOIN_FAILED and the reason", async () => {
    const agent = await SerfAgent.start({ name: 'serf-enc', profile: 'local', encryptKey: KEY })
    agents.push(agent)
    const err = await createNode({ name: 'plain', bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent', join: [agent.gossipAddr] }).then(
      () => undefined,
      (e: unknown) => e,
    )
    // memberlist's own words for the case, as `serf join` prints them, and swim's code for the address.
    expect(err).toMatchObject({ code: 'ERR_JOIN_FAILED', details: { codes: [{ address: agent.gossipAddr, code: 'ERR_JOIN_DECRYPT' }] } })
    expect((err as Error).message).toBe('1 error occurred:\n\t* Failed to join 127.0.0.1: Reading remote state failed: Remote state is encrypted and encryption is not configured\n\n')
    // With the key it joins.
    const node = await createNode({ name: 'keyed', bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent', keys: [KEY], join: [agent.gossipAddr] })
    nodes.push(node)
    await waitUntil('keyed sees serf-enc', async () => ((await node.members({ name: 'serf-enc', status: 'alive' })).length === 1 ? true : undefined), 10_000)
  }, 40_000)
})
