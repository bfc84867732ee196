/**
 * `gossamer agent` with the real node and RPC server, driven by the real `serf` CLI and joined by
 * a real `serf agent` ('local' profile, loopback): members with tags and status, a member-join
 * handler script, `serf tags` rewriting the tags file, and `serf leave` ending the agent with
 * exit 0.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { productionDeps } from '../../src/agent/deps.ts'
import { runAgent } from '../../src/agent/run-agent.ts'
import { freeGossipPort, freeTcpPort } from '../support/ports.ts'
import { runSerf, SerfAgent, stopAgents, waitUntil } from '../support/serf.ts'
import { FakeSignals } from './agent-harness.ts'

const dir = mkdtempSync(join(tmpdir(), 'agent-serf-'))
let serf: SerfAgent | undefined
afterAll(async () => {
  await stopAgents([serf])
  rmSync(dir, { recursive: true, force: true })
})

describe('agent - with the real node, RPC server and serf', () => {
  it('serves serf members, runs a member-join handler, writes the tags file, and exits 0 on serf leave', async () => {
    const gossip = `127.0.0.1:${await freeGossipPort()}`
    const rpc = `127.0.0.1:${await freeTcpPort()}`
    const handlerOut = join(dir, 'joins.txt')
    const tagsFile = join(dir, 'tags.json')
    writeFileSync(tagsFile, JSON.stringify({ role: 'web' }))
    const out: string[] = []
    const exit = runAgent(
      ['-node=goss-1', `-bind=${gossip}`, `-rpc-addr=${rpc}`, '-profile=local', '-placement=inline', `-tags-file=${tagsFile}`, `-event-handler=member-join=cat >> '${handlerOut}'`],
      { out: (t) => out.push(t), err: (t) => out.push(t) },
      { ...productionDeps(), signals: new FakeSignals() },
    )
    await waitUntil('the agent to run', () => (out.includes('==> Log data will now stream in as it occurs:') ? true : undefined), 20_000)
    serf = await SerfAgent.start({ name: 'serf-1', join: [gossip], profile: 'local' })
    const members = await waitUntil(
      'both alive in the gossamer agent',
      async () => {
        const { stdout } = await runSerf(['members', `-rpc-addr=${rpc}`, '-format=json'])
        const list = (JSON.parse(stdout) as { members: { name: string; status: string; tags: Record<string, string> }[] }).members
        return list.length === 2 && list.every((m) => m.status === 'alive') ? list : undefined
      },
      15_000,
    )
    expect(members.find((m) => m.name === 'goss-1')?.tags).toEqual({ role: 'web' })
    // Member events are coalesced (3 s window, 1 s quiescent) before the handler runs.
    await waitUntil('the member-join handler', () => (existsSync(handlerOut) && readFileSync(handlerOut, 'utf8').includes('serf-1\t127.0.0.1') ? true : undefined), 15_000)

    await runSerf(['tags', `-rpc-addr=${rpc}`, '-set', 'dc=east', '-delete', 'role'])
    expect(JSON.parse(readFileSync(tagsFile, 'utf8'))).toEqual({ dc: 'east' })

    const { stdout } = await runSerf(['leave', `-rpc-addr=${rpc}`], 15_000)
    expect(stdout).toContain('Graceful leave complete')
    expect(await exit).toBe(0)
  }, 60_000)
})
