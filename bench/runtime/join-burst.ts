/**
 * join-burst: the CPU one join burst costs each actor thread of a node with every actor in its own
 * thread (issue 13), in one process, without agents, RPC or the CLI around it. bench/agents/join-cpu.ts
 * measures the same burst on real agents and polls them over Serf's RPC; this one takes a second
 * and shows the actors alone, cold and warm.
 *
 * Per round: a target node starts, K-1 joiners start and all join it at once (burst 1, every thread
 * cold); once every node lists K alive members, the joiners leave and stop, K-1 fresh joiners start
 * and join the same target (burst 2: the target's threads warm, the joiners' cold again). Each burst
 * is timed from the joins sent to the last node listing K alive (polled every POLL_MS through
 * `members()`), and each thread's CPU over that window read from /proc/self/task/<tid>/schedstat
 * (ns on a CPU). An actor's thread is the one new after its node's createNode that bears the actor's
 * name (`g:<actor id>`, src/runtime/thread-name.ts): every node's threads have the same names, and
 * a helper thread may start at any time (libuv's pool starts lazily), so neither the name alone
 * nor the creation order finds it. `other` is every other thread of the process (main: the bench's
 * polls included; V8's and libuv's helpers).
 *
 * `--lean` runs with V8's optimizing compilers off (as an agent does until it is busy, see
 * src/agent/tiering.ts): the figures then match an agent's join. Linux only (schedstat).
 *
 * Usage: npx tsx bench/runtime/join-burst.ts [--k 5] [--rounds 3] [--lean] [--json]
 */
import { readdirSync, readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { createNode } from '../../src/node/create-node.ts'
import type { GossamerNode } from '../../src/node/api.ts'
import { flagValue } from '../support/args.ts'
import { threadNames } from '../agents/cpu-time.ts'
import { actorThreadName } from '../../src/runtime/thread-name.ts'

const POLL_MS = 20
/** A burst that has not converged by then fails the run (ms). */
const BURST_CAP_MS = 30_000
/** Started nodes settle (their first ticks, lazy loads) before a burst is measured (ms). */
const SETTLE_MS = 1_000
const ACTORS = ['gossip-queue', 'member-manager', 'serf-events', 'swim'] as const
type Actor = (typeof ACTORS)[number]

interface Args {
  k: number
  rounds: number
  lean: boolean
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string): string | undefined => flagValue(argv, flag)
  const k = Number(value('--k') ?? 5)
  const rounds = Number(value('--rounds') ?? 3)
  if (!Number.isInteger(k) || k < 2) throw new Error('--k must be an integer >= 2')
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be an integer >= 1')
  return { k, rounds, lean: argv.includes('--lean'), json: argv.includes('--json') }
}

/** ns on a CPU per thread of this process. */
function cpuNs(): Map<string, number> {
  const out = new Map<string, number>()
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]))
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out
}

/** A started node and its actor threads (tid by actor). */
interface Started {
  node: GossamerNode
  threads: Map<Actor, string>
}

async function start(name: string): Promise<Started> {
  const before = new Set(readdirSync('/proc/self/task'))
  const node = await createNode({ name, bind: '127.0.0.1:0', profile: 'lan', placement: 'workers', logLevel: 'silent' })
  const names = threadNames(process.pid)
  const fresh = readdirSync('/proc/self/task').filter((t) => !before.has(t))
  const threads = new Map<Actor, string>()
  for (const actor of ACTORS) {
    const mine = fresh.filter((t) => names.get(t) === actorThreadName(actor))
    if (mine.length !== 1) {
      await node.shutdown()
      throw new Error(`${name}: ${mine.length} new threads named ${actorThreadName(actor)} after createNode, expected one`)
    }
    threads.set(actor, mine[0]!)
  }
  return { node, threads }
}

/** One burst's figures: its window (ms), and CPU ms per actor thread for the target and the joiners' mean. */
interface Burst {
  convergedMs: number
  target: Record<Actor, number>
  joiner: Record<Actor, number>
  /** Every other thread of the process together (main, helpers). */
  otherMs: number
}

async function burst(target: Started, joiners: Started[]): Promise<Burst> {
  await new Promise((r) => setTimeout(r, SETTLE_MS))
  const all = [target, ...joiners]
  const before = cpuNs()
  const t0 = performance.now()
  await Promise.all(joiners.map((j) => j.node.join([target.node.address])))
  for (;;) {
    const views = await Promise.all(all.map((s) => s.node.members({ status: 'alive' })))
    if (views.every((v) => v.length === all.length)) break
    if (performance.now() - t0 > BURST_CAP_MS) throw new Error(`burst did not converge in ${BURST_CAP_MS} ms`)
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
  const convergedMs = performance.now() - t0
  const after = cpuNs()
  const ms = (tid: string): number => ((after.get(tid) ?? 0) - (before.get(tid) ?? 0)) / 1e6
  const actorTids = new Set(all.flatMap((s) => [...s.threads.values()]))
  let otherMs = 0
  for (const tid of after.keys()) if (!actorTids.has(tid)) otherMs += ms(tid)
  const per = (s: Started): Record<Actor, number> => Object.fromEntries(ACTORS.map((a) => [a, ms(s.threads.get(a)!)])) as Record<Actor, number>
  const joinerSums = joiners.map(per)
  const joiner = Object.fromEntries(ACTORS.map((a) => [a, joinerSums.reduce((sum, j) => sum + j[a], 0) / joiners.length])) as Record<Actor, number>
  return { convergedMs, target: per(target), joiner, otherMs }
}

async function round(k: number): Promise<{ cold: Burst; warm: Burst }> {
  const target = await start('target')
  const started: Started[] = [target]
  try {
    const first: Started[] = []
    for (let i = 1; i < k; i++) first.push(await start(`a${i}`)), started.push(first.at(-1)!)
    const cold = await burst(target, first)
    await Promise.all(first.map((s) => s.node.leave().then(() => s.node.shutdown())))
    started.splice(1)
    const second: Started[] = []
    for (let i = 1; i < k; i++) second.push(await start(`b${i}`)), started.push(second.at(-1)!)
    const warm = await burst(target, second)
    return { cold, warm }
  } finally {
    await Promise.all(started.map((s) => s.node.shutdown()))
  }
}

const r1 = (x: number): number => Math.round(x * 10) / 10

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.lean) setFlagsFromString('--no-turbofan --no-sparkplug')
  const rounds: Array<{ cold: Burst; warm: Burst }> = []
  for (let i = 0; i < args.rounds; i++) rounds.push(await round(args.k))
  const rows = rounds.flatMap((r, i) =>
    (['cold', 'warm'] as const).map((which) => {
      const b = r[which]
      const row: Record<string, string | number> = { round: i + 1, burst: which, 'converged ms': r1(b.convergedMs) }
      for (const a of ACTORS) row[`target ${a}`] = r1(b.target[a])
      for (const a of ACTORS) row[`joiner ${a}`] = r1(b.joiner[a])
      row['other ms'] = r1(b.otherMs)
      return row
    }),
  )
  console.log(`join-burst: K = ${args.k}, placement workers, compilers ${args.lean ? 'off (--lean, as an idle agent)' : 'on'}; CPU ms per thread over the burst (joiner: mean of ${args.k - 1})`)
  console.table(rows)
  if (args.json) {
    const round1 = (b: Burst) => ({ convergedMs: r1(b.convergedMs), targetMs: mapValues(b.target), joinerMs: mapValues(b.joiner), otherMs: r1(b.otherMs) })
    console.log(JSON.stringify({ bench: 'runtime-join-burst', k: args.k, lean: args.lean, pollMs: POLL_MS, rounds: rounds.map((r) => ({ cold: round1(r.cold), warm: round1(r.warm) })) }))
  }
}

function mapValues(o: Record<Actor, number>): Record<Actor, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, r1(v)])) as Record<Actor, number>
}

await main()
