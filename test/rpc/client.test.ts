/**
 * RpcClient: every command against our server (FakeNode) and the demultiplexing rules of
 * serf-rpc.md §1.5 against a real agent: the agent's doubled "Authentication required" reply and
 * records that arrive after `stop` are consumed without desynchronising later calls.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { RpcClient } from '../../src/rpc/client.ts'
import { startRpcServer } from '../../src/rpc/server.ts'
import type { RpcServer } from '../../src/rpc/server.ts'
import { SerfAgent, stopAgents } from '../support/serf.ts'
import { FakeNode, fakeMember } from './support/fake-node.ts'

let cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c()
  cleanups = []
})

async function setup(): Promise<{ node: FakeNode; server: RpcServer; client: RpcClient }> {
  const node = new FakeNode('n1', 7946, { role: 'web' })
  const server = await startRpcServer({ node, addr: '127.0.0.1:0' })
  const client = await RpcClient.connect({ addr: server.address })
  cleanups.push(() => node.shutdown(), () => server.close(), () => client.close())
  return { node, server, client }
}

describe('RpcClient against the Gossamer server', () => {
  it('round-trips the plain commands', async () => {
    const { node, client } = await setup()
    node.memberList.push(fakeMember('n2', 7947, {}, 'failed'))
    node.reachable.add('10.0.0.9:7946')
    node.coordinates.set('n2', { Vec: [1, 2, 3, 4, 5, 6, 7, 8], Error: 0.5, Adjustment: 0.1, Height: 0.2 })
    expect((await client.members()).map((m) => [m.name, m.status, m.port])).toEqual([
      ['n1', 'alive', 7946],
      ['n2', 'failed', 7947],
    ])
    expect((await client.membersFiltered({ status: 'failed' })).map((m) => m.name)).toEqual(['n2'])
    expect(await client.join(['10.0.0.9:7946'])).toBe(1)
    await expect(client.join(['10.0.0.8:7946'])).rejects.toMatchObject({ code: 'ERR_RPC_REMOTE', message: expect.stringMatching(/^1 error occurred/) })
    await client.forceLeave('n2', true)
    expect((await client.members()).map((m) => m.name)).toEqual(['n1'])
    await client.updateTags({ zone: 'a' }, ['role'])
    expect((await client.stats())['tags']).toEqual({ zone: 'a' })
    expect(await client.getCoordinate('n2')).toEqual({ vec: [1, 2, 3, 4, 5, 6, 7, 8], error: 0.5, adjustment: 0.1, height: 0.2 })
    expect(await client.getCoordinate('nobody')).toBeUndefined()
    expect(await client.listKeys()).toMatchObject({ error: '1/1 nodes reported failure', numNodes: 1, numErr: 1 })
  })

  it('a stream ends on stop: the node side is released and later calls still work', async () => {
    const { node, client } = await setup()
    const events = await client.stream('user')
    await client.userEvent('one', Uint8Array.of(1), false)
    for await (const e of events) {
      expect(e).toMatchObject({ event: 'user', name: 'one', coalesce: false })
      break // sends stop
    }
    // Records emitted around the stop must not confuse the next replies.
    node.emit({ type: 'user', ltime: 9n, name: 'late', payload: null, coalesce: false })
    expect((await client.members()).length).toBe(1)
    for (let i = 0; i < 50 && node.openEventReaders > 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(node.openEventReaders).toBe(0)
  })

  it('monitor and query streams; a server that goes away fails pending calls with ERR_RPC_CLOSED', async () => {
    const { node, server, client } = await setup()
    node.log('warn', 'serf', 'something')
    const logs = await client.monitor('warn')
    for await (const line of logs) {
      expect(line).toMatch(/\[WARN\] serf: something$/)
      break
    }
    const q = await client.query({ name: 'ping', requestAck: true, timeoutNs: 200_000_000n })
    const got: unknown[] = []
    for await (const r of q) got.push(r)
    expect(got).toEqual([{ type: 'ack', from: 'n1' }])
    const watch = await client.stream('*')
    const reading = (async () => {
      const out: unknown[] = []
      for await (const e of watch) out.push(e)
      return out
    })().then(
      () => 'ended without an error',
      (err: unknown) => err,
    )
    await server.close()
    expect(await reading).toMatchObject({ code: 'ERR_RPC_CLOSED' })
    await expect(client.members()).rejects.toMatchObject({ code: 'ERR_RPC_CLOSED' })
  })

  it('connect reports a refused dial and a refused auth with Serf texts', async () => {
    await expect(RpcClient.connect({ addr: '127.0.0.1:1' })).rejects.toMatchObject({ code: 'ERR_RPC_CONNECT', message: 'dial tcp 127.0.0.1:1: connect: connection refused' })
    const node = new FakeNode('n1', 7946)
    const server = await startRpcServer({ node, addr: '127.0.0.1:0', authKey: 'k' })
    cleanups.push(() => node.shutdown(), () => server.close())
    await expect(RpcClient.connect({ addr: server.address, authKey: 'bad' })).rejects.toMatchObject({ code: 'ERR_RPC_CONNECT', message: 'Invalid authentication token' })
  })
})

describe('RpcClient against a real serf agent', () => {
  let agent: SerfAgent | undefined
  let dir: string | undefined
  afterAll(async () => {
    await stopAgents([agent])
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("survives the agent's doubled 'Authentication required' reply and stays in step", async () => {
    dir = mkdtempSync(join(tmpdir(), 'gossamer-rpc-auth-'))
    const config = join(dir, 'auth.json')
    writeFileSync(config, JSON.stringify({ rpc_auth: 'sekret' }))
    // The helper's readiness probe (`serf members`) reads $SERF_RPC_AUTH: set it while the agent starts.
    const before = process.env['SERF_RPC_AUTH']
    process.env['SERF_RPC_AUTH'] = 'sekret'
    try {
      agent = await SerfAgent.start({ name: 'auth-agent', profile: 'local', extraArgs: [`-config-file=${config}`] })
    } finally {
      if (before === undefined) delete process.env['SERF_RPC_AUTH']
      else process.env['SERF_RPC_AUTH'] = before
    }
    const client = await RpcClient.connect({ addr: agent.rpcAddr })
    try {
      // A command with a body: the agent answers it twice (its unread body becomes a "header").
      await expect(client.membersFiltered({ name: 'auth-agent' })).rejects.toMatchObject({ code: 'ERR_RPC_REMOTE', message: 'Authentication required' })
      await expect(client.auth('wrong')).rejects.toMatchObject({ message: 'Invalid authentication token' })
      await client.auth('sekret')
      expect((await client.members()).map((m) => m.name)).toEqual(['auth-agent'])
      expect((await client.stats())['agent']).toEqual({ name: 'auth-agent' })
      // A stream stopped while records may be in flight, then more calls.
      const events = await client.stream('user')
      await client.userEvent('x', null, false)
      for await (const e of events) {
        expect(e).toMatchObject({ event: 'user', name: 'x' })
        break
      }
      await client.userEvent('y', null, false)
      expect((await client.membersFiltered({ status: 'alive' })).map((m) => m.name)).toEqual(['auth-agent'])
    } finally {
      client.close()
    }
  })
})
