/**
 * Serf's event layer between a Gossamer node (createNode, inline placement) and real `serf agent`s
 * on loopback, each direction its own test (issue 12's interop table):
 * - `serf event` reaches the Gossamer node's event stream with name, payload and LTime;
 * - a Gossamer user event runs a real agent's event handler script;
 * - `serf query` gets an ack and the Gossamer node's response, with node and tag filters honoured;
 * - a Gossamer query gets acks and responses from agents with a query handler;
 * - `serf reachability` counts the Gossamer node;
 * - `serf rtt` between the Gossamer node and an agent prints an estimate.
 * Key rotation and name conflicts have their own files (they need encrypted or conflicting clusters).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNode } from '../../src/node/create-node.ts'
import type { GossamerNode, NodeEvent, QueryResult } from '../../src/node/api.ts'
import { SerfAgent, runSerf, stopAgents, waitUntil } from '../support/serf.ts'

const te = new TextEncoder()
const td = new TextDecoder()

describe('Serf events and queries, Gossamer node <-> serf agents', () => {
  let dir: string
  let node: GossamerNode
  let a: SerfAgent
  let b: SerfAgent
  const seen: NodeEvent[] = []
  const stopEvents = new AbortController()

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gossamer-events-'))
    const handler = join(dir, 'handler.sh')
    // Records every user event and answers the `whoami` query with the agent's name.
    writeFileSync(
      handler,
      [
        '#!/bin/sh',
        'if [ "$SERF_EVENT" = "user" ]; then',
        `  printf '%s %s %s\\n' "$SERF_USER_EVENT" "$SERF_USER_LTIME" "$(cat)" >> "${dir}/events-$SERF_SELF_NAME.log"`,
        'elif [ "$SERF_EVENT" = "query" ]; then',
        '  printf "i am %s" "$SERF_SELF_NAME"',
        'fi',
      ].join('\n'),
    )
    chmodSync(handler, 0o755)
    a = await SerfAgent.start({ name: 'agent-a', profile: 'local', tags: { role: 'web' }, eventHandlers: [handler] })
    b = await SerfAgent.start({ name: 'agent-b', profile: 'local', tags: { role: 'db' }, eventHandlers: [handler], join: [a.gossipAddr] })
    node = await createNode({ name: 'goss-1', bind: '127.0.0.1:0', profile: 'local', placement: 'inline', tags: { role: 'cache' }, logLevel: 'silent', join: [a.gossipAddr] })
    void (async () => {
      for await (const event of node.events({ signal: stopEvents.signal })) {
        seen.push(event)
        if (event.type === 'query' && event.name === 'whoami') await node.respond(event.key, te.encode(`i am ${node.name}`))
      }
    })()
    await waitUntil('3 alive members everywhere', async () => {
      const ours = await node.members({ status: 'alive' })
      const theirs = (await a.members()).filter((m) => m.status === 'alive')
      return ours.length === 3 && theirs.length === 3 ? true : undefined
    }, 20_000)
  }, 60_000)

  afterAll(async () => {
    stopEvents.abort()
    await node?.shutdown()
    await stopAgents([a, b], { signal: 'SIGKILL' })
    rmSync(dir, { recursive: true, force: true })
  })

  it('serf event reaches the Gossamer event stream once, with name, payload and LTime', async () => {
    await a.event('deploy', 'v1', { coalesce: false })
    const event = await waitUntil('the user event', () => seen.find((e) => e.type === 'user' && e.name === 'deploy'), 10_000)
    if (event.type !== 'user') throw new Error('unreachable')
    expect(td.decode(event.payload ?? new Uint8Array())).toBe('v1')
    expect(event.ltime).toBeGreaterThan(0n)
    // Retransmitted copies are deduped: one delivery per event.
    await new Promise((r) => setTimeout(r, 1_000))
    expect(seen.filter((e) => e.type === 'user' && e.name === 'deploy')).toHaveLength(1)
  })

  it("a Gossamer user event runs the agents' event handler scripts", async () => {
    await node.userEvent('restart', te.encode('now'), { coalesce: false })
    for (const agent of ['agent-a', 'agent-b']) {
      const file = join(dir, `events-${agent}.log`)
      const line = await waitUntil(`${agent}'s handler output`, () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('restart ')) : undefined), 10_000)
      expect(line).toMatch(/^restart \d+ now$/)
    }
  })

  it('serf query gets an ack and the response from the Gossamer node, filters honoured', async () => {
    // 5 s deadlines where a response is expected: with 2 s, a response by name came too late once
    // under a full parallel test run on two cores.
    const all = await a.query('whoami', undefined, { timeoutMs: 5_000 })
    expect(all.acks).toContain('goss-1')
    expect(all.responses['goss-1']).toBe('i am goss-1')
    const byName = await a.query('whoami', undefined, { timeoutMs: 5_000, nodes: ['goss-1'] })
    expect(Object.keys(byName.responses)).toEqual(['goss-1'])
    const byTag = await a.query('whoami', undefined, { timeoutMs: 5_000, tags: { role: 'ca' } }) // unanchored: matches "cache"
    expect(Object.keys(byTag.responses)).toEqual(['goss-1'])
    const none = await a.query('whoami', undefined, { timeoutMs: 2_000, tags: { role: '^web$' } })
    expect(none.responses['goss-1']).toBeUndefined()
    expect(none.acks).not.toContain('goss-1')
  })

  it('a Gossamer query gets acks and responses from agents with a query handler', async () => {
    const stream = await node.query('whoami', null, { requestAck: true, timeoutMs: 2_000 })
    const results: QueryResult[] = []
    for await (const r of stream) results.push(r)
    const acks = results.filter((r) => r.type === 'ack').map((r) => r.from).sort()
    const responses = Object.fromEntries(results.flatMap((r) => (r.type === 'response' ? [[r.from, td.decode(r.payload ?? new Uint8Array())]] : [])))
    expect(acks).toEqual(['agent-a', 'agent-b', 'goss-1'])
    expect(responses).toMatchObject({ 'agent-a': 'i am agent-a', 'agent-b': 'i am agent-b', 'goss-1': 'i am goss-1' })
  })

  it('serf reachability counts the Gossamer node', async () => {
    const { stdout } = await runSerf(['reachability', `-rpc-addr=${a.rpcAddr}`], 20_000)
    expect(stdout).toMatch(/Successfully contacted all live nodes/)
  })

  it('serf rtt between the Gossamer node and an agent prints an estimate', async () => {
    const out = await waitUntil(
      'an rtt estimate',
      async () => {
        try {
          const { stdout } = await runSerf(['rtt', `-rpc-addr=${a.rpcAddr}`, 'agent-a', 'goss-1'])
          return /Estimated agent-a <-> goss-1 rtt: [\d.]+ ms/.test(stdout) ? stdout : undefined
        } catch {
          return undefined
        }
      },
      15_000,
      500,
    )
    expect(out).toMatch(/rtt: [\d.]+ ms/)
    expect(await node.coordinate('agent-a')).toBeDefined()
  })
})
