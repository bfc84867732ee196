/**
 * The handler runner with real `sh -c` scripts (short, real time, generous margins) and with a
 * fake runner where only the queue is under test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EventHandlers } from '../../../src/agent/handlers/event-handlers.ts'
import { parseEventScript } from '../../../src/agent/handlers/event-script.ts'
import type { ScriptResult, ScriptRun } from '../../../src/agent/handlers/run-script.ts'
import { AgentLog } from '../../../src/agent/logs/agent-log.ts'
import { ClusterError } from '../../../src/errors/index.ts'
import type { NodeEvent } from '../../../src/node/api.ts'
import { FakeNode, member } from '../fake-node.ts'

const dir = mkdtempSync(join(tmpdir(), 'agent-handlers-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function setup(specs: string[], options: { timeoutMs?: number; queueLimit?: number; run?: (r: ScriptRun) => Promise<ScriptResult> } = {}) {
  const node = new FakeNode({ name: 'n1', tags: { role: 'web', 'dc.zone': 'east' } })
  const lines: string[] = []
  const log = new AgentLog({ level: 'TRACE', write: (t) => lines.push(t), now: () => Date.UTC(2026, 11, 6) })
  log.openGate()
  const handlers = new EventHandlers({
    node,
    log,
    self: () => ({ name: node.name, tags: node.tags }),
    scripts: specs.flatMap(parseEventScript),
    timeoutMs: options.timeoutMs ?? 10_000,
    queueLimit: options.queueLimit ?? 16,
    now: Date.now,
    ...(options.run === undefined ? {} : { run: options.run }),
  })
  return { node, lines, handlers }
}

const user = (name: string, payload: string | null = null): NodeEvent => ({
  type: 'user',
  ltime: 42n,
  name,
  payload: payload === null ? null : new TextEncoder().encode(payload),
  coalesce: false,
})
const query = (name: string, key: string, deadlineInMs = 10_000): NodeEvent => ({
  type: 'query',
  ltime: 9n,
  id: 1,
  name,
  payload: null,
  sourceNode: 'n2',
  deadline: Date.now() + deadlineInMs,
  key,
})

describe('agent - handlers - event-handlers', () => {
  it('runs a real script with the SERF_* environment and the member lines on stdin', async () => {
    const out = join(dir, 'join.out')
    const script = `{ env | grep ^SERF_ | sort; echo ---; cat; } > '${out}'`
    const { handlers } = setup([`member-join,user:deploy=${script}`])
    handlers.offer({ type: 'member-join', members: [member('n2', [10, 0, 0, 2], { role: 'db', v: '1' })] })
    await handlers.idle()
    expect(readFileSync(out, 'utf8')).toBe(
      ['SERF_EVENT=member-join', 'SERF_SELF_NAME=n1', 'SERF_SELF_ROLE=web', 'SERF_TAG_DC_ZONE=east', 'SERF_TAG_ROLE=web', '---', 'n2\t10.0.0.2\tdb\trole=db,v=1', ''].join('\n'),
    )
    handlers.offer(user('deploy', 'v2'))
    handlers.offer(user('other', 'ignored')) // no script matches: never queued
    await handlers.idle()
    expect(readFileSync(out, 'utf8')).toContain('SERF_USER_EVENT=deploy\nSERF_USER_LTIME=42\n---\nv2\n')
    expect(handlers.counters).toMatchObject({ eventsQueued: 2, runs: 2, runsFailed: 0, runsKilled: 0 })
  })

  it('answers a query with the script\'s stdout and stderr, only on exit 0 with output', async () => {
    const { node, handlers, lines } = setup(['query:load=echo out; echo err >&2', 'query:fail=echo no; exit 3', 'query:quiet=true'])
    handlers.offer(query('load', 'k1'))
    handlers.offer(query('fail', 'k2'))
    handlers.offer(query('quiet', 'k3'))
    await handlers.idle()
    expect(node.responses.map((r) => [r.key, new TextDecoder().decode(r.payload!)])).toEqual([['k1', 'out\nerr\n']])
    expect(handlers.counters).toMatchObject({ runs: 3, runsFailed: 1, responsesSent: 1 })
    expect(lines.some((l) => l.endsWith("[ERR] agent: Error invoking script 'echo no; exit 3': exit status 3"))).toBe(true)
    expect(lines.some((l) => l.endsWith("[DEBUG] agent: Event 'query' script output: out\nerr\n"))).toBe(true)
  })

  it('logs a response the node refuses, as Serf', async () => {
    const { node, handlers, lines } = setup(['query:big=echo big'])
    node.respondError = new ClusterError('ERR_QUERY_RESPONSE_TOO_LARGE', 'response exceeds limit of 1024 bytes')
    handlers.offer(query('big', 'k'))
    await handlers.idle()
    expect(handlers.counters.responsesFailed).toBe(1)
    expect(lines.some((l) => l.endsWith("[WARN] agent: Failed to respond to query 'query: big': response exceeds limit of 1024 bytes"))).toBe(true)
  })

  it('kills a hanging handler at its deadline, and later events still run', async () => {
    const out = join(dir, 'after-hang.out')
    const { handlers, lines } = setup(['user:hang=sleep 30', `user:next=echo ran > '${out}'`], { timeoutMs: 300 })
    const started = Date.now()
    handlers.offer(user('hang'))
    handlers.offer(user('next'))
    await handlers.idle()
    // Far below the 30 s sleep even on a loaded machine.
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(readFileSync(out, 'utf8')).toBe('ran\n')
    expect(handlers.counters).toMatchObject({ runs: 2, runsKilled: 1, runsFailed: 0 })
    expect(lines.some((l) => l.endsWith("[ERR] agent: Error invoking script 'sleep 30': killed at its deadline of 300ms"))).toBe(true)
  })

  it('kills what a script left running with its pipes open', async () => {
    // The shell exits at once; its background child holds stdout, so the run is not over until killed.
    const { handlers } = setup(['user:bg=sleep 30 & echo started'], { timeoutMs: 300 })
    const started = Date.now()
    handlers.offer(user('bg'))
    await handlers.idle()
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(handlers.counters.runsKilled).toBe(1)
  })

  it('gives a query handler no more than the query\'s own deadline', async () => {
    const { node, handlers } = setup(['query:slow=sleep 30; echo late'], { timeoutMs: 60_000 })
    handlers.offer(query('slow', 'k', 300))
    await handlers.idle()
    expect(handlers.counters.runsKilled).toBe(1)
    expect(node.responses).toEqual([])
  })

  it('warns about a run slower than 1 s', async () => {
    const { handlers, lines } = setup(['user:slow=sleep 1.2'])
    handlers.offer(user('slow'))
    await handlers.idle()
    expect(handlers.counters.runsSlow).toBe(1)
    expect(lines.some((l) => l.endsWith("[WARN] agent: Script 'sleep 1.2' slow, execution exceeding 1s"))).toBe(true)
  })

  it('drops and counts events past the queue bound instead of waiting', async () => {
    let release: () => void = () => {}
    const runs: string[] = []
    const run = (r: ScriptRun): Promise<ScriptResult> => {
      runs.push(r.env['SERF_USER_EVENT']!)
      return new Promise((resolve) => (release = () => resolve({ exitCode: 0, killed: false, spawnError: undefined, output: Buffer.alloc(0) })))
    }
    const { handlers, lines } = setup(['user=x'], { queueLimit: 2, run })
    // The first starts running at once; two wait; two are dropped.
    expect(['e1', 'e2', 'e3', 'e4', 'e5'].map((n) => handlers.offer(user(n)))).toEqual([true, true, true, false, false])
    expect(handlers.counters).toMatchObject({ eventsQueued: 3, eventsDropped: 2 })
    expect(lines.filter((l) => l.includes('Event handler queue full (2)'))).toHaveLength(1)
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r))
      release()
    }
    await handlers.idle()
    expect(runs).toEqual(['e1', 'e2', 'e3'])
  })

  it('stops: kills the running script and drops what waits', async () => {
    const { handlers } = setup(['user=sleep 30'])
    handlers.offer(user('a'))
    handlers.offer(user('b'))
    const started = Date.now()
    await handlers.stop()
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(handlers.counters).toMatchObject({ runs: 1, runsKilled: 1 })
    expect(handlers.offer(user('c'))).toBe(false)
  })
})
