/**
 * `gossamer agent -log-level=debug` shows the actors' debug lines (issue 13): the agent runs its
 * node silent and prints the node's lines itself, so the node must keep the actors' lines below
 * info for it (NodeOptions.logRingLevel). Before, the node's actors logged at info, and an agent at
 * debug printed its own debug lines only. A real node (inline), a fake RPC server.
 */
import { createServer } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { runAgent } from '../../src/agent/run-agent.ts'
import type { AgentDeps } from '../../src/agent/run-agent.ts'
import { createNode } from '../../src/node/create-node.ts'
import { FakeSignals } from './agent-harness.ts'

vi.setConfig({ testTimeout: 30_000 })

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise((r) => server.close(r))
  return port
}

/** Runs an agent, has its node join a closed port once it runs, and returns its stdout after a graceful stop. */
async function agentOutput(level: string): Promise<string> {
  const out: string[] = []
  const signals = new FakeSignals()
  const closed = await closedPort()
  let joined: Promise<unknown> = Promise.resolve()
  const deps: AgentDeps = {
    createNode,
    startRpcServer: async (o) => ({ address: o.addr, close: async () => {} }),
    hostname: () => 'host-1',
    signals,
    onRunning: ({ node }) => {
      joined = node.join([`127.0.0.1:${closed}`]).catch(() => {})
    },
  }
  const argv = ['-node=lv', '-bind=127.0.0.1:0', '-rpc-addr=127.0.0.1:17999', '-profile=local', '-placement=inline', `-log-level=${level}`]
  const exit = runAgent(argv, { out: (t) => out.push(t), err: (t) => out.push(t) }, deps)
  await vi.waitFor(() => expect(out.join('\n')).toContain('[WARN] swim:'), { timeout: 10_000 })
  await joined
  signals.send('SIGINT')
  expect(await exit).toBe(0)
  return out.join('\n')
}

describe('gossamer agent -log-level reaches the actors', () => {
  it('prints swim\'s debug line at -log-level=debug, and not at info', async () => {
    const debug = await agentOutput('debug')
    expect(debug).toMatch(/\[DEBUG\] swim: Initiating push\/pull sync with: 127\.0\.0\.1:\d+/)
    const info = await agentOutput('info')
    expect(info).toContain('[WARN] swim:') // the same node's warning of the failed join
    expect(info).not.toContain('[DEBUG]')
    // member-manager's thread-side line for the node's own join, in Serf's words.
    expect(info).toMatch(/\[INFO\] serf: EventMemberJoin: lv 127\.0\.0\.1\n/)
  })
})
