/**
 * `gossamer agent -ui-addr=ip:port`: the agent's node serves the live page there and the banner
 * names it; a non-loopback address is refused at config time unless -ui-allow-remote, and a port
 * in use stops the agent with exit 1.
 */
import { describe, expect, it } from 'vitest'
import { createServer } from 'node:net'
import { runAgent } from '../../../src/agent/run-agent.ts'
import { productionDeps } from '../../../src/agent/deps.ts'
import { parseAgentCommandLine } from '../../../src/agent/config/flags.ts'
import { createAgentConfig } from '../../../src/agent/config/agent-config.ts'
import { toNodeOptions } from '../../../src/agent/config/to-node-options.ts'
import type { GossamerNode } from '../../../src/node/api.ts'
import type { SignalSource } from '../../../src/agent/signals.ts'
import { until } from './sse-reader.ts'

const quietSignals: SignalSource = { on: () => undefined, off: () => undefined }

function configOf(argv: string[]) {
  return createAgentConfig({}, parseAgentCommandLine(argv).config, 'host-1')
}

describe('-ui-addr', () => {
  it('passes the address to the node; refuses a non-loopback one unless -ui-allow-remote', () => {
    const ok = configOf(['-ui-addr=127.0.0.1:7380'])
    expect('config' in ok && toNodeOptions(ok.config, {}).inspect).toEqual({ addr: '127.0.0.1:7380', allowRemote: false })
    expect(() => configOf(['-ui-addr=0.0.0.0:7380'])).toThrow(expect.objectContaining({ message: expect.stringContaining('Invalid UI address: 0.0.0.0:7380: not a loopback address') }))
    expect(() => configOf(['-ui-addr=web:80'])).toThrow(expect.objectContaining({ message: 'Invalid UI address: web:80: must be ip:port' }))
    const remote = configOf(['-ui-addr=0.0.0.0:7380', '-ui-allow-remote'])
    expect('config' in remote && toNodeOptions(remote.config, {}).inspect).toEqual({ addr: '0.0.0.0:7380', allowRemote: true })
    const none = configOf([])
    expect('config' in none && toNodeOptions(none.config, {}).inspect).toBeUndefined()
  })

  it('a real agent serves the page and prints its URL; a port in use ends the agent with exit 1', async () => {
    const out: string[] = []
    let node: GossamerNode | undefined
    const exit = runAgent(['-node=ui-1', '-bind=127.0.0.1:0', '-rpc-addr=127.0.0.1:0', '-profile=local', '-placement=inline', '-ui-addr=127.0.0.1:0'], { out: (t) => out.push(t), err: (t) => out.push(t) }, {
      ...productionDeps(),
      signals: quietSignals,
      onRunning: (info) => void (node = info.node),
    })
    await until(() => node !== undefined, 20_000)
    const url = node!.inspectUrl!
    expect(out.some((l) => l === `                             UI: '${url}'`)).toBe(true)
    const html = await (await fetch(url)).text()
    expect(html).toContain('data-actor="swim"')
    await node!.leave()
    expect(await exit).toBe(0)

    const taken = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()))
    const port = (taken.address() as { port: number }).port
    const lines: string[] = []
    try {
      const code = await runAgent(['-node=ui-2', '-bind=127.0.0.1:0', '-rpc-addr=127.0.0.1:0', '-profile=local', '-placement=inline', `-ui-addr=127.0.0.1:${port}`], { out: (t) => lines.push(t), err: (t) => lines.push(t) }, { ...productionDeps(), signals: quietSignals })
      expect(code).toBe(1)
      expect(lines.join('\n')).toContain(`the live page cannot listen on 127.0.0.1:${port}: the port is in use`)
    } finally {
      await new Promise((r) => taken.close(r))
    }
  }, 60_000)
})
