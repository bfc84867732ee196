/**
 * `gossamer agent` end to end in-process: config to banner, signals and exit codes (serf-rpc.md
 * 6.8), joins, SIGHUP reload, the tags file, RPC leave, logs and metrics, with a fake node.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ClusterError } from '../../src/errors/index.ts'
import { FULL_FLAGS, LEAN_FLAGS, startLeanTiering } from '../../src/agent/tiering.ts'
import { createIdleGc } from '../../src/agent/idle-gc.ts'
import { startAgent, until } from './agent-harness.ts'

const dir = mkdtempSync(join(tmpdir(), 'run-agent-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let seq = 0
const path = (name: string): string => join(dir, `${++seq}-${name}`)
function jsonFile(name: string, json: unknown): string {
  const p = path(name)
  writeFileSync(p, JSON.stringify(json))
  return p
}

const BASE = ['-node=n1', '-bind=127.0.0.1:0']
/** A log line as printed on stdout: 4 spaces, the time, the level, the subsystem. */
const LOG_LINE = /^ {4}\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(TRACE|DEBUG|INFO|WARN|ERR)\] [a-z.]+: /

describe('agent - runAgent', () => {
  it('prints Serf\'s banner, then leaves gracefully on SIGINT and exits 0', async () => {
    const h = startAgent([...BASE, '-tag=role=web', '-rpc-addr=127.0.0.1:7999', '-rpc-auth=secret', '-profile=local'])
    await h.running
    expect(h.out.slice(0, 14)).toEqual([
      '==> Starting Serf agent...',
      '==> Starting Serf agent RPC...',
      '==> Serf agent running!',
      "                      Node name: 'n1'",
      "                      Bind addr: '127.0.0.1:7946'",
      "                       RPC addr: '127.0.0.1:7999'",
      '                      Encrypted: false',
      '                       Snapshot: false',
      '                        Profile: local',
      '    Message Compression Enabled: true',
      '                      Placement: workers',
      '',
      '==> Log data will now stream in as it occurs:',
      '',
    ])
    // Held back until the banner ended, then printed in Serf's format.
    expect(h.out[14]).toMatch(LOG_LINE)
    expect(h.out[14]).toMatch(/\[INFO\] agent: Serf agent starting$/)
    expect(h.rpc()).toMatchObject({ addr: '127.0.0.1:7999', authKey: 'secret' })
    expect(h.node().options).toMatchObject({ name: 'n1', bind: '127.0.0.1:0', profile: 'local', tags: { role: 'web' } })

    h.signals.send('SIGINT')
    expect(await h.exit).toBe(0)
    expect(h.out).toEqual(expect.arrayContaining(['==> Caught signal: interrupt', '==> Gracefully shutting down agent...']))
    expect(h.node().calls).toEqual(['leave', 'shutdown'])
    expect(h.rpcClosed()).toBe(true)
    expect(h.signals.listening).toBe(0)
    expect(h.node().eventReaders).toBe(0)
  })

  it.each([
    ['SIGTERM by default: no leave, exit 1', [], 'SIGTERM', 'terminated', 1, ['shutdown']],
    ['SIGTERM with leave_on_terminate: leave, exit 0', [{ leave_on_terminate: true }], 'SIGTERM', 'terminated', 0, ['leave', 'shutdown']],
    ['SIGINT with skip_leave_on_interrupt: no leave, exit 1', [{ skip_leave_on_interrupt: true }], 'SIGINT', 'interrupt', 1, ['shutdown']],
  ] as const)('%s', async (_name, files, signal, text, code, calls) => {
    const h = startAgent([...BASE, ...files.map((f) => `-config-file=${jsonFile('c.json', f)}`)])
    await h.running
    h.signals.send(signal)
    expect(await h.exit).toBe(code)
    expect(h.out).toContain(`==> Caught signal: ${text}`)
    expect(h.node().calls).toEqual(calls)
    if (code === 1) expect(h.out.some((l) => /\[WARN\] serf: Shutdown without a Leave$/.test(l))).toBe(true)
  })

  it('shows the RPC address the server bound for port 0', async () => {
    const h = startAgent([...BASE, '-rpc-addr=127.0.0.1:0'])
    await h.running
    expect(h.out).toContain("                       RPC addr: '127.0.0.1:17373'")
    h.signals.send('SIGTERM')
    await h.exit
  })

  // 'hang': a leave that never ends; 'until-shutdown': one that the shutdown after the second
  // signal cuts short, rejecting as the real node's does. Serf's second interrupt exits 1 and
  // prints no error either way.
  it.each(['hang', 'until-shutdown'] as const)('exits 1 when a second signal comes during the graceful leave, with no error line (leave: %s)', async (leave) => {
    const h = startAgent(BASE, { configure: (n) => (n.leaveResult = leave) })
    await h.running
    h.signals.send('SIGINT')
    await until(() => h.node().calls.includes('leave'), 'the leave')
    h.signals.send('SIGINT')
    expect(await h.exit).toBe(1)
    expect(h.node().calls).toContain('shutdown')
    expect(h.out.filter((l) => l.includes('Error'))).toEqual([])
  })

  it('prints a leave error and exits 1 when the 3 s wait ends', async () => {
    const h = startAgent(BASE, { configure: (n) => (n.leaveResult = new ClusterError('ERR_LEAVE', 'no one to tell')) })
    await h.running
    h.signals.send('SIGINT')
    await until(() => h.out.includes('==> Error: no one to tell'), 'the leave error')
    expect(h.timers.pending.map((t) => t.ms)).toEqual([3000])
    h.timers.fire()
    expect(await h.exit).toBe(1)
  })

  it('exits 0 after an RPC leave, once the server answered it', async () => {
    const h = startAgent(BASE)
    await h.running
    await h.rpc().node.leave()
    // The server calls onLeave after the reply went out and its connections closed.
    h.rpc().onLeave()
    expect(await h.exit).toBe(0)
    expect(h.node().calls).toEqual(['leave', 'shutdown'])
    expect(h.out.some((l) => l.includes('Shutdown without a Leave'))).toBe(false)
  })

  it('keeps the RPC server open after a leave stopped the node, until the server answered (onLeave)', async () => {
    const h = startAgent(BASE, { configure: (n) => (n.stopsAfterLeave = true) })
    await h.running
    await h.rpc().node.leave()
    await until(() => h.timers.pending.some((t) => t.ms === 2000), 'the grace timer')
    // Closing now would cut off the reply to `leave` (serf leave: "Error leaving: client closed").
    expect(h.rpcClosed()).toBe(false)
    h.rpc().onLeave()
    expect(await h.exit).toBe(0)
    expect(h.rpcClosed()).toBe(true)
    expect(h.timers.pending).toEqual([])
  })

  it('ends after the grace time when the RPC server never calls onLeave', async () => {
    const h = startAgent(BASE, { configure: (n) => (n.stopsAfterLeave = true) })
    await h.running
    await h.rpc().node.leave()
    await until(() => h.timers.pending.some((t) => t.ms === 2000), 'the grace timer')
    h.timers.fire()
    expect(await h.exit).toBe(0)
  })

  it('puts the RPC server\'s log lines into the agent\'s log', async () => {
    const h = startAgent(BASE)
    await h.running
    h.rpc().log({ level: 'error', time: Date.UTC(2026, 11, 6, 2, 6, 7), subsystem: 'agent.ipc', message: 'Failed to evaluate request: Handshake required' })
    expect(h.out.at(-1)).toMatch(/^ {4}\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[ERR\] agent\.ipc: Failed to evaluate request: Handshake required$/)
    h.signals.send('SIGTERM')
    await h.exit
  })

  it('exits 0 when the node stops by itself (a lost name conflict), as Serf', async () => {
    const h = startAgent(BASE)
    await h.running
    await h.node().stop('name-conflict', { code: 'ERR_NAME_CONFLICT', message: 'lost the name conflict vote' })
    expect(await h.exit).toBe(0)
    expect(h.out.some((l) => /\[ERR\] agent: Node stopped \(name-conflict\): lost the name conflict vote \(ERR_NAME_CONFLICT\)$/.test(l))).toBe(true)
  })

  it('exits 1 when an actor of the node failed beyond its restarts', async () => {
    const h = startAgent(BASE)
    await h.running
    await h.node().stop('failed', { code: 'ERR_ACTOR_FAILED', message: 'swim failed' })
    expect(await h.exit).toBe(1)
  })

  it('joins after the RPC listener, printing Serf\'s lines', async () => {
    const h = startAgent([...BASE, '-join=10.0.0.1', '-join=10.0.0.2', '-replay'], { configure: (n) => (n.joinResult = 2) })
    await h.running
    expect(h.out).toEqual(expect.arrayContaining(['==> Joining cluster...(replay: true)', '    Join completed. Synced with 2 initial agents']))
    expect(h.node().calls).toEqual(['join 10.0.0.1,10.0.0.2 replay=true'])
    h.signals.send('SIGTERM')
    await h.exit
  })

  it('exits 1 when the start join reaches no one', async () => {
    const error = new ClusterError('ERR_JOIN_FAILED', 'Error joining the cluster: 1 error occurred:\n\t* dial tcp 10.0.0.1:7946: connection refused')
    const h = startAgent([...BASE, '-join=10.0.0.1'], { configure: (n) => (n.joinResult = error) })
    expect(await h.exit).toBe(1)
    expect(h.out).toContain(`==> ${error.message}`)
    expect(h.node().calls).toContain('shutdown')
    expect(h.rpcClosed()).toBe(true)
  })

  it('retries joins with Serf\'s log lines and exits 1 after retry-max + 1 attempts', async () => {
    const h = startAgent([...BASE, '-retry-join=10.0.0.9', '-retry-max=2', '-retry-interval=5s'], {
      configure: (n) => (n.joinResult = new ClusterError('ERR_JOIN_FAILED', 'no route')),
    })
    await h.running
    for (let attempt = 2; attempt <= 3; attempt++) {
      await until(() => h.timers.pending.length === 1, `retry ${attempt} scheduled`)
      expect(h.timers.pending[0]!.ms).toBe(5000)
      h.timers.fire()
    }
    expect(await h.exit).toBe(1)
    const joins = h.node().calls.filter((c) => c.startsWith('join'))
    expect(joins).toHaveLength(3)
    expect(h.out.filter((l) => /\[WARN\] agent: Join failed: no route, retrying in 5s$/.test(l))).toHaveLength(2)
    expect(h.out.some((l) => /\[ERR\] agent: maximum retry join attempts made, exiting$/.test(l))).toBe(true)
  })

  it('stops retrying once a retry-join succeeds', async () => {
    const h = startAgent([...BASE, '-retry-join=10.0.0.9'], { configure: (n) => (n.joinResult = new ClusterError('ERR_JOIN_FAILED', 'no route')) })
    await h.running
    await until(() => h.timers.pending.length === 1, 'a retry')
    h.node().joinResult = 3
    h.timers.fire()
    await until(() => h.out.some((l) => /\[INFO\] agent: Join completed. Synced with 3 initial agents$/.test(l)), 'the join')
    expect(h.timers.pending).toEqual([])
    h.signals.send('SIGINT')
    expect(await h.exit).toBe(0)
  })

  it.each([
    [['-profile=foo'], '==> Unknown profile: foo'],
    [['-tag=foo'], "==> Error: Invalid tag: 'foo'"],
    [['-log-level=loud'], '==> Invalid log level: LOUD. Valid log levels are: [TRACE DEBUG INFO WARN ERR]'],
  ])('refuses %j before starting anything', async (argv, line) => {
    const h = startAgent([...BASE, ...argv])
    expect(await h.exit).toBe(1)
    expect(h.out).toEqual([line])
  })

  it('prints Go\'s unknown-flag text on stderr and the help with ==> on stdout', async () => {
    const h = startAgent(['-bogus'])
    expect(await h.exit).toBe(1)
    expect(h.err).toEqual(['flag provided but not defined: -bogus'])
    expect(h.out[0]).toMatch(/^==> Usage: gossamer agent/)
  })

  it.each([
    ['a tags file with tags', () => ['-tag=a=b', `-tags-file=${path('t.json')}`], '==> Failed to setup the Serf agent: Tags config not allowed while using tag files'],
    ['a missing keyring file', () => [`-keyring-file=${join(dir, 'none.json')}`], `==> Failed to setup the Serf agent: stat ${join(dir, 'none.json')}: no such file or directory`],
    ['an empty keyring', () => [`-keyring-file=${jsonFile('k.json', [])}`], '==> Failed to setup the Serf agent: Keyring file contains no keys'],
    ['a key with a keyring', () => ['-encrypt=' + Buffer.alloc(16).toString('base64'), `-keyring-file=${jsonFile('k.json', ['x'])}`], '==> Failed to setup the Serf agent: Encryption key not allowed while using a keyring'],
    ['protocol 9', () => ['-protocol=9'], "==> Failed to start the Serf agent: Error creating Serf: Protocol version '9' too high. Must be in range: [2, 5]"],
  ])('refuses %s after "Starting Serf agent..."', async (_name, argv, line) => {
    const h = startAgent([...BASE, ...argv()])
    expect(await h.exit).toBe(1)
    expect(h.out).toEqual(['==> Starting Serf agent...', line])
  })

  it('reports a node that cannot start, and an RPC listener that cannot bind (node shut down)', async () => {
    const a = startAgent(BASE, { createError: new ClusterError('ERR_BIND', 'listen udp 127.0.0.1:7946: address already in use') })
    expect(await a.exit).toBe(1)
    expect(a.out).toContain('==> Failed to start the Serf agent: Error creating Serf: listen udp 127.0.0.1:7946: address already in use')
    const b = startAgent(BASE, { rpcError: new Error('listen tcp 127.0.0.1:7373: bind: address already in use') })
    expect(await b.exit).toBe(1)
    expect(b.out).toContain('==> Error starting RPC listener: listen tcp 127.0.0.1:7373: bind: address already in use')
    expect(b.node().calls).toEqual(['shutdown'])
  })

  it('reads the tags file at start and rewrites it (0600, 2-space JSON) on an RPC tags change', async () => {
    const tagsFile = jsonFile('tags.json', { a: '1', b: '2' })
    const h = startAgent([...BASE, `-tags-file=${tagsFile}`])
    await h.running
    expect(h.node().options.tags).toEqual({ a: '1', b: '2' })
    await h.rpc().node.setTags({ c: '3' }, ['a'])
    expect(readFileSync(tagsFile, 'utf8')).toBe('{\n  "b": "2",\n  "c": "3"\n}')
    expect(statSync(tagsFile).mode & 0o777).toBe(0o600)
    expect(h.node().tags).toEqual({ b: '2', c: '3' })
    h.signals.send('SIGTERM')
    await h.exit
  })

  it('reloads the tags file, the handlers and the log level on SIGHUP and keeps running', async () => {
    const tagsFile = jsonFile('tags.json', { a: '1' })
    const conf = jsonFile('c.json', { event_handlers: ['user:one=true'], log_level: 'info' })
    const h = startAgent([...BASE, `-tags-file=${tagsFile}`, `-config-file=${conf}`])
    await h.running
    expect(h.handlers().scripts.map((s) => s.name)).toEqual(['one'])
    writeFileSync(tagsFile, JSON.stringify({ b: '2' }))
    writeFileSync(conf, JSON.stringify({ event_handlers: ['user:two=true'], log_level: 'debug' }))
    h.signals.send('SIGHUP')
    await until(() => h.node().calls.some((c) => c.startsWith('setTags')), 'the tags update')
    expect(h.out).toEqual(expect.arrayContaining(['==> Caught signal: hangup', '==> Reloading configuration...']))
    expect(h.node().calls).toContain('setTags {"b":"2"} -a')
    expect(h.handlers().scripts.map((s) => s.name)).toEqual(['two'])
    expect(h.rpc().eventHandlers).toEqual({ 'user:two': 'true' })
    h.node().log({ level: 'debug', subsystem: 'serf', message: 'shown at the reloaded level' })
    await until(() => h.out.some((l) => /\[DEBUG\] serf: shown at the reloaded level$/.test(l)), 'a debug line')
    // An invalid level is reported and the old level kept; the rest of the reload still applies.
    writeFileSync(conf, JSON.stringify({ event_handlers: ['user:three=true'], log_level: 'loud' }))
    h.signals.send('SIGHUP')
    await until(() => h.handlers().scripts[0]?.name === 'three', 'the third reload')
    expect(h.out).toContain('==> Invalid log level: LOUD. Valid log levels are: [TRACE DEBUG INFO WARN ERR]')
    h.node().log({ level: 'debug', subsystem: 'serf', message: 'still at debug' })
    await until(() => h.out.some((l) => l.endsWith('[DEBUG] serf: still at debug')), 'debug kept')
    // A bad config on the next reload keeps the old one.
    writeFileSync(conf, JSON.stringify({ bogus: 1 }))
    h.signals.send('SIGHUP')
    await until(() => h.out.some((l) => l.startsWith('==> Failed to reload configs: ')), 'the reload failure')
    expect(h.handlers().scripts.map((s) => s.name)).toEqual(['three'])
    h.signals.send('SIGINT')
    expect(await h.exit).toBe(0)
  })

  it('runs handler scripts on the node\'s events', async () => {
    const out = path('deploy.out')
    const h = startAgent([...BASE, `-event-handler=user:deploy=cat > '${out}'`])
    await h.running
    h.node().emit({ type: 'user', ltime: 1n, name: 'deploy', payload: new TextEncoder().encode('v1'), coalesce: false })
    await until(() => h.handlers().counters.runs === 1, 'the handler run')
    await h.handlers().idle()
    expect(readFileSync(out, 'utf8')).toBe('v1\n')
    expect(h.rpc().eventHandlers).toEqual({ 'user:deploy': `cat > '${out}'` })
    h.signals.send('SIGTERM')
    await h.exit
  })

  it('prints the node\'s log lines at -log-level and gives monitor every line, the ring first', async () => {
    const h = startAgent([...BASE, '-log-level=warn'])
    await h.running
    h.node().log({ level: 'info', subsystem: 'memberlist', message: 'hidden at warn' })
    h.node().log({ level: 'warn', subsystem: 'memberlist', message: 'Was able to connect to n2 but other probes failed' })
    await until(() => h.out.some((l) => l.includes('other probes failed')), 'the node line')
    expect(h.out.some((l) => l.includes('hidden at warn'))).toBe(false)
    expect(h.out.find((l) => l.includes('other probes failed'))).toMatch(/^ {4}\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[WARN\] memberlist: Was able/)
    const monitor = h.rpc().node.logs({ level: 'info' })[Symbol.asyncIterator]()
    const seen: string[] = []
    for (let i = 0; i < 3; i++) seen.push((await monitor.next()).value!.message)
    expect(seen).toEqual(['Serf agent starting', 'hidden at warn', 'Was able to connect to n2 but other probes failed'])
    await monitor.return!()
    h.signals.send('SIGTERM')
    await h.exit
  })

  it('serves metrics at -metrics-addr and names it in the banner', async () => {
    const h = startAgent([...BASE, '-metrics-addr=127.0.0.1:0'], {
      configure: (n) => {
        n.stats_ = { name: 'n1', serf: { members: 1, failed: 0, left: 0, healthScore: 0, memberTime: 1n, eventTime: 0n, queryTime: 0n, intentQueue: 0, eventQueue: 0, queryQueue: 0, encrypted: false, coordinateResets: 0 }, tags: {}, actors: {} }
      },
    })
    await h.running
    const addr = h.metricsAddr()!
    expect(h.out).toContain(`                   Metrics addr: '${addr}'`)
    const text = await (await fetch(`http://${addr}/metrics`)).text()
    expect(text).toContain('gossamer_health_score 0')
    expect(text).toContain('gossamer_agent_handler_total{what="runs"} 0')
    h.signals.send('SIGTERM')
    await h.exit
    await expect(fetch(`http://${addr}/metrics`)).rejects.toThrow()
  })

  it('-tiering=off: TurboFan is on before the node starts, logged, and `stats` says so', async () => {
    const flags: string[] = []
    let flagsAtCreate: string[] = []
    const tiering = startLeanTiering({ setFlags: (f) => flags.push(f), every: () => () => {}, now: () => Date.UTC(2026, 11, 6, 2, 5, 37) })
    const h = startAgent([...BASE, '-tiering=off', '-placement=inline', '-log-level=info'], { tiering, configure: () => (flagsAtCreate = [...flags]) })
    await h.running
    expect(flagsAtCreate).toEqual([LEAN_FLAGS, FULL_FLAGS])
    expect(h.out.some((l) => l.endsWith('[INFO] agent: Optimizing compiler on (-tiering=off)'))).toBe(true)
    expect(h.rpc().agentStats?.()).toEqual({ tiering: 'off', turbofan: 'on', turbofan_since: '2026-12-06T02:05:37.000Z', turbofan_reason: 'tiering=off' })
    h.signals.send('SIGTERM')
    await h.exit
  })

  it('-tiering=auto (the default): an inline agent runs with TurboFan off and samples its CPU; `stats` shows it off until busy', async () => {
    const flags: string[] = []
    let tick: (() => void) | undefined
    let busy = 0
    const tiering = startLeanTiering({ setFlags: (f) => flags.push(f), utilization: () => () => busy, every: (fn) => ((tick = fn), () => (tick = undefined)), now: () => Date.UTC(2026, 11, 6, 2, 5, 39) })
    const h = startAgent([...BASE, '-placement=inline', '-log-level=info'], { tiering })
    await h.running
    expect(flags).toEqual([LEAN_FLAGS])
    expect(h.rpc().agentStats?.()).toEqual({ tiering: 'auto', turbofan: 'off', turbofan_since: '', turbofan_reason: '' })
    busy = 0.3
    tick!()
    // One busy sample is a burst (a join): still off; the second in a row turns it on.
    expect(h.rpc().agentStats?.()).toEqual({ tiering: 'auto', turbofan: 'off', turbofan_since: '', turbofan_reason: '' })
    tick!()
    expect(h.rpc().agentStats?.()).toEqual({ tiering: 'auto', turbofan: 'on', turbofan_since: '2026-12-06T02:05:39.000Z', turbofan_reason: 'busy 30.0%' })
    expect(h.out.some((l) => l.endsWith('[INFO] agent: Optimizing compiler on: 30.0% of a core in use'))).toBe(true)
    h.signals.send('SIGTERM')
    await h.exit
  })

  it('collects garbage while it runs (an idle agent\'s old space grew without bound before), counts it in `stats`, and stops at shutdown', async () => {
    let tick: (() => void) | undefined
    let collections = 0
    const idleGc = createIdleGc({ gc: () => collections++, heapUsed: () => 9e6, cpuMicros: () => 0, every: (fn) => ((tick = fn), () => (tick = undefined)) })
    const h = startAgent([...BASE, '-placement=inline'], { idleGc })
    expect(tick).toBeUndefined()
    await h.running
    tick!()
    tick!()
    expect(collections).toBe(2)
    expect(h.rpc().agentStats?.()).toEqual({ idle_gc: 'on', idle_gc_runs: '2', idle_gc_skipped: '0', idle_gc_cpu_ms: '0.0' })
    h.signals.send('SIGTERM')
    await h.exit
    expect(tick).toBeUndefined()
    expect(h.rpc().agentStats?.()['idle_gc']).toBe('off')
  })

  it('runs no idle collection with -idle-gc=off, and says so in `stats`', async () => {
    let armed = false
    const idleGc = createIdleGc({ gc: () => {}, heapUsed: () => 9e6, cpuMicros: () => 0, every: () => ((armed = true), () => {}) })
    const h = startAgent([...BASE, '-placement=inline', '-idle-gc=off'], { idleGc })
    await h.running
    expect(armed).toBe(false)
    expect(h.rpc().agentStats?.()).toMatchObject({ idle_gc: 'off', idle_gc_runs: '0' })
    h.signals.send('SIGTERM')
    await h.exit
  })
})
