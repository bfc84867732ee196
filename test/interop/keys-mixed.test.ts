/**
 * `serf keys -install/-use/-remove/-list`, run by a real agent's CLI, rotates the key of a mixed
 * encrypted cluster (two serf agents, one Gossamer node), and the Gossamer node is still a member
 * afterwards: it answers the internal key queries against swim's live keyring, and its packets
 * use the new primary key. Then the same rotation from the Gossamer side (`node.keys`).
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNode } from '../../src/node/create-node.ts'
import type { GossamerNode } from '../../src/node/api.ts'
import { SerfAgent, runSerf, stopAgents, waitUntil } from '../support/serf.ts'

const key = () => randomBytes(32).toString('base64')
const K1 = key()
const K2 = key()
const K3 = key()

describe('key rotation in a mixed encrypted cluster', () => {
  let node: GossamerNode
  let a: SerfAgent
  let b: SerfAgent

  const allAlive = async () =>
    waitUntil(
      'every member alive on both sides',
      async () => {
        const ours = (await node.members({ status: 'alive' })).map((m) => m.name).sort()
        const theirs = (await a.members()).filter((m) => m.status === 'alive').map((m) => m.name).sort()
        return ours.length === 3 && theirs.join() === ours.join() ? ours : undefined
      },
      20_000,
    )

  beforeAll(async () => {
    a = await SerfAgent.start({ name: 'key-a', profile: 'local', encryptKey: K1 })
    b = await SerfAgent.start({ name: 'key-b', profile: 'local', encryptKey: K1, join: [a.gossipAddr] })
    node = await createNode({ name: 'key-goss', bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent', keys: [K1], join: [a.gossipAddr] })
    await allAlive()
  }, 60_000)

  afterAll(async () => {
    await node?.shutdown()
    await stopAgents([a, b], { signal: 'SIGKILL' })
  })

  it('serf keys rotates the Gossamer node key too', async () => {
    const keys = (flag: string) => runSerf(['keys', `-rpc-addr=${a.rpcAddr}`, flag], 20_000)
    expect((await keys(`-install=${K2}`)).stdout).toMatch(/Successfully installed key/)
    expect((await node.keys.list()).keys).toMatchObject({ [K1]: 3, [K2]: 3 })
    expect((await keys(`-use=${K2}`)).stdout).toMatch(/Successfully changed primary key/)
    expect((await keys(`-remove=${K1}`)).stdout).toMatch(/Successfully removed key/)
    const list = (await keys('-list')).stdout
    expect(list).toContain(`${K2}  [3/3]`)
    expect(list).not.toContain(K1)
    // Still one cluster after probes and push/pulls under the new key only.
    await new Promise((r) => setTimeout(r, 3_000))
    expect(await allAlive()).toEqual(['key-a', 'key-b', 'key-goss'])
  })

  it('node.keys rotates the agents too, with per-node refusals reported', async () => {
    const installed = await node.keys.install(K3)
    expect(installed).toMatchObject({ numNodes: 3, numResp: 3, numErr: 0 })
    const refused = await node.keys.remove(K2) // K2 is the primary everywhere
    expect(refused.numErr).toBe(3)
    expect(Object.values(refused.messages)).toContain('Removing the primary key is not allowed')
    await node.keys.use(K3)
    await node.keys.remove(K2)
    const list = await node.keys.list()
    expect(list.keys).toEqual({ [K3]: 3 })
    await new Promise((r) => setTimeout(r, 3_000))
    expect(await allAlive()).toEqual(['key-a', 'key-b', 'key-goss'])
  })
})
