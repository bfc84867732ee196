/**
 * A join that reaches no one, against real `serf agent`s (0.9.4) on loopback: each address comes
 * back with a code and memberlist's text (issue 13: `serf join` prints `Failed to join ...`).
 * Nothing listening, a wrong key, and a plaintext node joining an encrypted agent.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createSwimConfig } from '../../../actors/swim/config.ts'
import type { SwimInit } from '../../../actors/swim/config.ts'
import { SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'
import { startNetNode } from './support/net-node.ts'
import type { NetNode } from './support/net-node.ts'
import type { SwimOutput } from '../../../actors/swim/ports.ts'

const cleanups: Array<() => void | Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const AGENT_KEY = Buffer.alloc(32, 7).toString('base64')
const OTHER_KEY = Buffer.alloc(32, 9).toString('base64')

async function joinResult(name: string, init: SwimInit, address: string) {
  const ts: NetNode = await startNetNode({ name, config: createSwimConfig(init, 'local'), seed: 3 })
  cleanups.push(ts.stop)
  ts.swim.join([address])
  return waitUntil(
    `${name} join result`,
    () => ts.outputs.find((o): o is Extract<SwimOutput, { type: 'join-completed' }> => o.type === 'join-completed'),
    15_000,
  )
}

describe('join failures with real serf agents (interop)', () => {
  it('nothing listening: ERR_JOIN_UNREACHABLE with Go text', async () => {
    const r = await joinResult('ts-none', {}, '127.0.0.1:1')
    expect(r.numJoined).toBe(0)
    expect(r.failures).toEqual([{ address: '127.0.0.1:1', code: 'ERR_JOIN_UNREACHABLE', message: 'Failed to join 127.0.0.1: dial tcp 127.0.0.1:1: connect: connection refused' }])
  }, 30_000)

  it('a wrong key and a plaintext node, joining an encrypted agent: ERR_JOIN_DECRYPT', async () => {
    const agent = await SerfAgent.start({ name: 'agent-key', profile: 'local', encryptKey: AGENT_KEY })
    cleanups.push(() => stopAgents([agent]))
    const wrong = await joinResult('ts-wrong', { keys: [OTHER_KEY] }, agent.gossipAddr)
    expect(wrong.numJoined).toBe(0)
    // The agent could not open our push/pull and answered with an errResp sealed with its key.
    expect(wrong.failures).toEqual([{ address: agent.gossipAddr, code: 'ERR_JOIN_DECRYPT', message: 'Failed to join 127.0.0.1: Reading remote state failed: No installed keys could decrypt the message' }])
    const plain = await joinResult('ts-plain', {}, agent.gossipAddr)
    expect(plain.numJoined).toBe(0)
    expect(plain.failures).toEqual([{ address: agent.gossipAddr, code: 'ERR_JOIN_DECRYPT', message: 'Failed to join 127.0.0.1: Reading remote state failed: Remote state is encrypted and encryption is not configured' }])
    // The right key joins.
    const good = await joinResult('ts-good', { keys: [AGENT_KEY] }, agent.gossipAddr)
    expect(good).toMatchObject({ numJoined: 1, failures: [] })
  }, 60_000)
})
