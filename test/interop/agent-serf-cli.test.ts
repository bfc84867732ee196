/**
 * The real `serf` CLI as the RPC client of a `gossamer agent` process (the built CLI) in a cluster
 * with a real `serf agent`: members with tags and status, event (a user-event handler script runs
 * on the gossamer agent), query (a query handler script on the gossamer agent answers), keys on an
 * unencrypted cluster (Serf's per-node refusal), info, monitor's first lines, and leave (the agent
 * exits 0 by itself).
 */
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AgentProcess } from '../support/agent-process.ts'
import { SerfAgent, ensureSerf, runSerf, stopAgents, waitUntil } from '../support/serf.ts'

describe('serf CLI -> gossamer agent', () => {
  let dir: string
  let goss: AgentProcess
  let serf: SerfAgent
  const cli = (args: string[], timeoutMs?: number) => runSerf([...args.slice(0, 1), `-rpc-addr=${goss.rpcAddr}`, ...args.slice(1)], timeoutMs)

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gossamer-agent-cli-'))
    const handler = join(dir, 'handler.sh')
    writeFileSync(
      handler,
      ['#!/bin/sh', 'if [ "$SERF_EVENT" = "query" ]; then printf "load of %s" "$SERF_SELF_NAME"; exit 0; fi', `printf '%s %s %s\\n' "$SERF_EVENT" "$SERF_USER_EVENT" "$(cat)" >> "${dir}/events.log"`].join('\n'),
    )
    chmodSync(handler, 0o755)
    goss = await AgentProcess.start('gossamer-inline', 'goss-agent', 'local', ['-tag', 'role=cache', `-event-handler=user:deploy=${handler}`, `-event-handler=query:load=${handler}`])
    serf = await SerfAgent.start({ name: 'serf-agent', profile: 'local', tags: { role: 'web' }, join: [goss.gossipAddr] })
    await waitUntil('both alive in the gossamer agent', async () => ((await goss.members())?.filter((m) => m.status === 'alive').length === 2 ? true : undefined), 15_000)
  }, 60_000)

  afterAll(async () => {
    await goss?.stop('SIGKILL')
    await stopAgents([serf], { signal: 'SIGKILL' })
    rmSync(dir, { recursive: true, force: true })
  })

  it('members: tags and status, text and JSON, filtered', async () => {
    const text = (await cli(['members'])).stdout
    expect(text).toMatch(/^goss-agent\s+127\.0\.0\.1:\d+\s+alive\s+role=cache$/m)
    expect(text).toMatch(/^serf-agent\s+127\.0\.0\.1:\d+\s+alive\s+role=web$/m)
    const json = JSON.parse((await cli(['members', '-format=json', '-tag', 'role=cache'])).stdout) as { members: Array<{ name: string; status: string; tags: Record<string, string> }> }
    expect(json.members.map((m) => [m.name, m.status, m.tags['role']])).toEqual([['goss-agent', 'alive', 'cache']])
  })

  it("event: the gossamer agent's user-event handler runs (and the serf agent got it too)", async () => {
    expect((await cli(['event', 'deploy', 'v3'])).stdout).toMatch(/Event 'deploy' dispatched! Coalescing enabled: true/)
    const file = join(dir, 'events.log')
    const line = await waitUntil('the handler output', () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('user deploy')) : undefined), 15_000)
    expect(line).toBe('user deploy v3')
  })

  it('query: the gossamer agent answers through its query handler, with an ack from both', async () => {
    const out = JSON.parse((await cli(['query', '-format=json', '-timeout=2s', 'load'], 15_000)).stdout) as { Acks: string[]; Responses: Record<string, string> }
    expect([...out.Acks].sort()).toEqual(['goss-agent', 'serf-agent'])
    expect(out.Responses['goss-agent']).toBe('load of goss-agent')
  })

  it('keys on an unencrypted cluster: Serf refusal from every node', async () => {
    const r = await cli(['keys', '-list']).then(
      () => 'ok',
      (err: Error) => err.message,
    )
    expect(r).toMatch(/Keyring is empty \(encryption not enabled\)|2\/2 nodes reported failure/)
  })

  it('info and monitor', async () => {
    const info = JSON.parse((await cli(['info', '-format=json'])).stdout) as { agent: { name: string }; serf: Record<string, string>; tags: Record<string, string> }
    expect(info.agent.name).toBe('goss-agent')
    expect(info.serf['members']).toBe('2')
    expect(info.tags).toEqual({ role: 'cache' })
    // monitor streams until interrupted: read its first lines, then stop it.
    const child = spawn(ensureSerf(), ['monitor', `-rpc-addr=${goss.rpcAddr}`, '-log-level=debug'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    await waitUntil('monitor output', () => (out.length > 0 ? true : undefined), 10_000)
    child.kill('SIGINT')
    await new Promise((r) => child.once('exit', r))
    expect(out).toMatch(/\[(INFO|DEBUG|WARN)\]/)
  })

  it('leave: the gossamer agent leaves gracefully and exits 0; the serf agent sees it left', async () => {
    expect((await cli(['leave'], 30_000)).stdout).toMatch(/Graceful leave complete/)
    await waitUntil('the agent to exit', () => (goss.running ? undefined : true), 15_000)
    await serf.waitForMember('goss-agent', (m) => m.status === 'left', 15_000)
  })
})
