/**
 * The demo's script and its ending against FakeNet (test/demo/fake-net.ts): the live page and the
 * election found at run time or said to be absent, the leader crashed and replaced, a step that is
 * never seen ending the script with the nodes that missed it, Ctrl-C, and every node stopped and
 * the folder removed in each case. The real nodes run in demo-process.test.ts.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { stepDeadline } from '../../src/cli/demo.ts'
import { runDemo, type DemoDeps } from '../../src/demo/run-demo.ts'
import { parseDemoArgs, type DemoOptions } from '../../src/demo/options.ts'
import { castDemo } from '../../src/demo/cast.ts'
import { FakeNet } from './fake-net.ts'
import { ClusterError } from '../../src/errors/index.ts'

function harness(net: FakeNet, deadlineMs = 5_000) {
  const out: string[] = []
  const removed: string[] = []
  let interrupt: (() => void) | undefined
  let now = 0
  const deps: DemoDeps = {
    createNode: net.createNode,
    // Each reading advances 10 ms: the printed times are deterministic.
    now: () => (now += 10),
    sleep: async () => undefined,
    // Each step's deadline is cut to `deadlineMs` (a real timer, cleared as the script clears it).
    deadline: (ms) => {
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(), Math.min(ms, deadlineMs))
      return { signal: controller.signal, clear: () => clearTimeout(timer) }
    },
    makeTempDir: async () => '/tmp/fake-demo',
    removeDir: async (dir) => void removed.push(dir),
    out: (line) => {
      out.push(line)
    },
    onInterrupt: (h) => {
      interrupt = h
      return () => (interrupt = undefined)
    },
  }
  return { out, removed, deps, interrupt: () => interrupt?.(), get listening() { return interrupt !== undefined } }
}

const opts = (o: Partial<DemoOptions> = {}): DemoOptions => ({ nodes: 5, seed: 1, keep: false, fast: true, ...o })

describe('the demo script (FakeNet)', () => {
  it('a restart whose address is taken for a moment (ERR_SWIM_BIND) binds it again on a later try', async () => {
    const net = new FakeNet({ inspect: true, coordination: true })
    const h = harness(net)
    let refused = 0
    h.deps.createNode = async (options) => {
      if (options.bind !== '127.0.0.1:0' && refused < 2) {
        refused++
        throw new ClusterError('ERR_SWIM_BIND', `swim cannot open its transport on ${options.bind}: cannot listen (test)`)
      }
      return net.createNode(options)
    }
    expect(await runDemo(opts({ seed: 3 }), h.deps)).toBe(0)
    expect(refused).toBe(2)
    expect(h.out.some((l) => / restart +\S+ restarted on the same address/.test(l))).toBe(true)
  })

  it('with the live page and the election: prints the page, finds the leader, crashes it, and sees the next one take over', async () => {
    const net = new FakeNet({ inspect: true, coordination: true })
    const h = harness(net)
    // Seed 3 would crash node-5 and make node-2 leave: with an election the leader (node-2) crashes instead.
    expect(castDemo(5, 3)).toMatchObject({ crashed: 'node-5', leaver: 'node-2' })
    expect(await runDemo(opts({ seed: 3 }), h.deps)).toBe(0)
    const text = h.out.join('\n')
    expect(text).toMatch(/^ +live page: http:\/\/127\.0\.0\.1:\d+\/ /m)
    // node-1 does not stand, so the first candidate in name order wins in FakeNet.
    expect(text).toMatch(/\] leader +node-2 is the leader of group "demo" \(term 1\): all 5 nodes agree/)
    expect(text).toMatch(/\] crash +node-2 \(127\.0\.0\.1:\d+\) stopped without leaving/)
    expect(text).toMatch(/\] leader +node-3 took over \(term 2\), agreed by all 4 running nodes/)
    expect(text).toMatch(/\] restart +node-2 restarted on the same address, no join address given: it rejoins from its snapshot \(4 members remembered\)\n {19}all 5 nodes see each other alive/)
    // The leaver is never the crashed node.
    expect(text).toMatch(/\] leave +node-3 left gracefully: seen as left \(not failed\) by all 4 others/)
    expect(text).toMatch(/^stop: 4 nodes stopped in \d+ ms, every worker thread ended; snapshot folder removed$/m)
    // Only node-1 asked for the page; every node for the election.
    expect(net.started.filter((o) => o.inspect !== undefined).map((o) => o.name)).toEqual(['node-1'])
    expect(net.started.every((o) => o.coordination !== undefined)).toBe(true)
    expect(net.running.size).toBe(0)
    expect(h.removed).toEqual(['/tmp/fake-demo'])
    expect(h.listening).toBe(false)
  })

  it('without them: says so, skips the leader step, and crashes the node the seed picked', async () => {
    const net = new FakeNet({ inspect: false, coordination: false })
    const h = harness(net)
    expect(await runDemo(opts({ seed: 9 }), h.deps)).toBe(0)
    const text = h.out.join('\n')
    expect(text).toMatch(/^ +live page: not in this build/m)
    expect(text).toMatch(/\] leader +skipped: this build has no election yet/)
    const { crashed, sender } = castDemo(5, 9)
    expect(text).toContain(`] crash    ${crashed} (`)
    expect(text).toContain(`] event    ${sender} sent user event "deploy" (payload "v2"): all 5 nodes got it`)
    // The options the build refused were dropped by name, never retried on later nodes.
    expect(net.started.map((o) => [o.inspect, o.coordination])).toEqual(net.started.map(() => [undefined, undefined]))
    expect(net.running.size).toBe(0)
  })

  it('a step not seen by every node before its deadline ends the script with exit 1, naming who missed it, and stops everything', async () => {
    const net = new FakeNet({ inspect: false, coordination: false })
    const { crashed } = castDemo(3, 1)
    const blind = ['node-1', 'node-2', 'node-3'].find((n) => n !== crashed)!
    net.blind.add(blind)
    const h = harness(net, 50)
    expect(await runDemo(opts({ nodes: 3 }), h.deps)).toBe(1)
    const text = h.out.join('\n')
    expect(text).toContain(`NOT SEEN ${crashed} failed: not seen by ${blind} after 90.0 s`)
    expect(text).not.toMatch(/\] (restart|leave|done) /)
    expect(text).toMatch(/^stop: 2 nodes stopped/m)
    expect(net.running.size).toBe(0)
    expect(h.removed).toEqual(['/tmp/fake-demo'])
  })

  it("a step's deadline fires although garbage collection runs while the step waits (the verb's own deadline)", async () => {
    // AbortSignal.timeout combined with AbortSignal.any is held by nothing: collected, it never
    // fires, and the script waited forever for a step nobody would see.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const net = new FakeNet({ inspect: false, coordination: false })
    net.blind.add(['node-1', 'node-2', 'node-3'].find((n) => n !== castDemo(3, 1).crashed)!)
    const h = harness(net)
    h.deps.deadline = (ms) => stepDeadline(Math.min(ms, 100))
    const collecting = setInterval(gc, 10)
    try {
      expect(await runDemo(opts({ nodes: 3 }), h.deps)).toBe(1)
    } finally {
      clearInterval(collecting)
    }
    expect(h.out.join('\n')).toMatch(/NOT SEEN .* failed: not seen by node-\d after 90\.0 s/)
  }, 10_000)

  it('--keep waits for Ctrl-C after the script; the first makes every node leave (exit 0)', async () => {
    const net = new FakeNet({ inspect: false, coordination: false })
    const h = harness(net)
    const done = runDemo(opts({ nodes: 3, keep: true }), h.deps)
    await turnsUntil(() => h.out.some((l) => l.startsWith('keeping 2 nodes running')))
    expect(net.running.size).toBe(2)
    h.interrupt()
    expect(await done).toBe(0)
    expect(h.out.at(-1)).toMatch(/^stop: 2 nodes left and stopped in \d+ ms/)
    expect([...net.status.values()].filter((s) => s === 'left')).toHaveLength(3)
  })

  it('a second Ctrl-C stops the nodes at once, without waiting for a graceful leave that does not end', async () => {
    const net = new FakeNet({ inspect: false, coordination: false })
    const h = harness(net)
    const done = runDemo(opts({ nodes: 3, keep: true }), h.deps)
    await turnsUntil(() => h.out.some((l) => l.startsWith('keeping 2 nodes running')))
    net.stuckLeave = true
    h.interrupt()
    // The leaves hang: nothing stops until the second Ctrl-C.
    await turnsUntil(() => false, 200).catch(() => undefined)
    expect(net.running.size).toBe(2)
    h.interrupt()
    expect(await done).toBe(0)
    expect(h.out.at(-1)).toMatch(/^stop: 2 nodes stopped in \d+ ms/)
    expect(net.running.size).toBe(0)
    expect(h.removed).toEqual(['/tmp/fake-demo'])
  })

  it('a node that cannot start (not an unknown option) is an error: exit 1 with its code, nothing left running', async () => {
    const net = new FakeNet({ inspect: true, coordination: true })
    const real = net.createNode
    net.createNode = async (o) => {
      if (o.name === 'node-3') throw new (await import('../../src/errors/index.ts')).ClusterError('ERR_BIND', 'address in use')
      return real(o)
    }
    const h = harness(net)
    h.deps.createNode = net.createNode
    expect(await runDemo(opts({ nodes: 3 }), h.deps)).toBe(1)
    expect(h.out).toContain('error: address in use (ERR_BIND)')
    expect(net.running.size).toBe(0)
    expect(h.removed).toEqual(['/tmp/fake-demo'])
  })
})

describe('parseDemoArgs', () => {
  it('defaults to 5 nodes, seed 1, lan timing with pauses, ending by itself', () => {
    expect(parseDemoArgs([])).toEqual({ nodes: 5, seed: 1, keep: false, fast: false })
    expect(parseDemoArgs(['--nodes=9', '--seed', '42', '--keep', '--fast'])).toEqual({ nodes: 9, seed: 42, keep: true, fast: true })
    expect(parseDemoArgs(['--help'])).toBe('help')
  })

  it('refuses what it does not know with ERR_CLI_USAGE naming the flag', () => {
    for (const [args, says] of [
      [['--nodes', '2'], '--nodes must be an integer from 3 to 9 (got "2")'],
      [['--nodes', '10'], '--nodes must be an integer from 3 to 9 (got "10")'],
      [['--nodes', '4.5'], '--nodes must be an integer'],
      [['--seed', '-1'], '--seed must be an integer from 0 to 4294967295'],
      [['--seed'], '--seed needs a value'],
      [['--node', '3'], 'unknown option --node'],
      [['five'], 'unexpected argument "five"'],
    ] as const) {
      expect(() => parseDemoArgs(args), args.join(' ')).toThrow(expect.objectContaining({ code: 'ERR_CLI_USAGE', message: expect.stringContaining(says) }))
    }
  })
})

describe('castDemo', () => {
  it('is the same for the same seed; node-1 never crashes or leaves; the leaver is not the crashed node', () => {
    expect(castDemo(5, 3)).toEqual(castDemo(5, 3))
    const picks = new Set<string>()
    for (let seed = 0; seed < 200; seed++) {
      const c = castDemo(4, seed)
      expect(c.first).toBe('node-1')
      expect(c.crashed).not.toBe('node-1')
      expect(c.leaver).not.toBe('node-1')
      expect(c.leaver).not.toBe(c.crashed)
      picks.add(c.crashed)
    }
    // The seed does choose: every candidate crashes for some seed.
    expect([...picks].sort()).toEqual(['node-2', 'node-3', 'node-4'])
  })
})

/** Waits (event-loop turns, no clock) until `check` holds; fails after `turns` turns. */
async function turnsUntil(check: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return
    await new Promise((r) => setImmediate(r))
  }
  throw new Error('condition not met')
}
