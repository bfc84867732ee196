/**
 * createNode's `inspect`: the page of a real node (inline actors) with its charts, members and
 * transitions; a refused address and a port in use reject createNode, coded; the page stops with the node.
 */
import { describe, expect, it } from 'vitest'
import { createServer } from 'node:net'
import { createNode } from '../../../src/node/create-node.ts'
import type { LiveMsg } from '../../../src/inspect/live/index.ts'
import { readEvents, until } from './sse-reader.ts'

const base = { bind: '127.0.0.1:0', profile: 'local', logLevel: 'silent', placement: 'inline' } as const

describe('createNode({ inspect })', () => {
  it('serves the page of the node: every actor with its chart, the members, the transitions; gone after shutdown', async () => {
    const node = await createNode({ ...base, name: 'page-1', inspect: { addr: '127.0.0.1:0' } })
    try {
      expect(node.inspectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
      const html = await (await fetch(node.inspectUrl!)).text()
      for (const actor of ['swim', 'gossip-queue', 'member-manager', 'serf-events']) {
        expect(html).toContain(`data-actor="${actor}"`)
        expect(html).toContain(`<svg xmlns="http://www.w3.org/2000/svg" id="live-${actor}"`)
      }
      // Nothing on the page points outside it (the SVG namespace is a name, not a request).
      const urls = [...html.matchAll(/https?:\/\/[^"'\s)]+/g)].map((m) => m[0]).filter((u) => u !== 'http://www.w3.org/2000/svg')
      expect(urls).toEqual([])
      const reader = await readEvents(node.inspectUrl!)
      await until(() => reader.messages.some((m) => m.type === 'members') && reader.messages.some((m) => m.type === 'update'))
      const members = reader.messages.find((m) => m.type === 'members') as Extract<LiveMsg, { type: 'members' }>
      expect(members.members).toEqual([expect.objectContaining({ name: 'page-1', status: 'alive', addr: node.address })])
      await until(() => reader.messages.some((m) => m.type === 'update' && m.actors.some((a) => a.id === 'swim' && a.state === 'running' && a.active.includes('swim.running'))))
      await until(() => reader.messages.some((m) => m.type === 'figures' && m.figures.some((f) => f.id === 'swim' && f.counters.length > 0)))
      reader.close()
    } finally {
      await node.shutdown()
    }
    await expect(fetch(node.inspectUrl!)).rejects.toThrow()
  })

  it('rejects a non-loopback address without allowRemote, and a port in use, coded; nothing is left running', async () => {
    await expect(createNode({ ...base, name: 'page-2', inspect: { addr: '0.0.0.0:0' } })).rejects.toMatchObject({ code: 'ERR_INSPECT_REMOTE_REFUSED' })
    await expect(createNode({ ...base, name: 'page-2', inspect: { addr: 'nowhere' } })).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'inspect.addr' } })
    const taken = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()))
    const port = (taken.address() as { port: number }).port
    try {
      await expect(createNode({ ...base, name: 'page-3', inspect: { addr: `127.0.0.1:${port}` } })).rejects.toMatchObject({ code: 'ERR_INSPECT_LISTEN', details: { errno: 'EADDRINUSE' } })
    } finally {
      await new Promise((r) => taken.close(r))
    }
  })
})
