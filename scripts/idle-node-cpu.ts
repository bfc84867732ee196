/**
 * npx tsx scripts/idle-node-cpu.ts [--seconds S] [--warmup W] [--placement workers|inline] [--profile lan|local|wan] [--join ADDR]... [--dist] [--inspect] [--json]
 *
 * The CPU one idle node costs: `createNode` alone on loopback (default: placement 'workers', lan
 * profile), W seconds to settle after the start (default 5), then S seconds (default 25) of idle.
 * CPU is utime+stime of the whole process from /proc/self/stat (every thread: the actors' workers,
 * V8's and libuv's), in clock ticks of 1/SC_CLK_TCK s (100 on Linux), as a percentage of one core
 * over the idle wall time. The busiest OS threads (from /proc/self/task/<tid>/stat, named by their
 * comm) show where it goes. CPU time, not wall time: a loaded machine stretches nothing here.
 *
 * --join ADDR (repeatable) joins running agents first (e.g. 4 `gossamer agent`s or `serf agent`s on
 * loopback), so the idle figure is a member's among peers (probes, acks and gossip ticks with
 * targets) rather than a lone node's.
 *
 * --dist loads the built package (npm run build first): the actors' threads then run the compiled
 * JS, with no TypeScript loader in them, as an installed node does.
 *
 * --inspect also counts the events each actor's machine processed while idle (runtime inspection:
 * timer firings and messages, per actor and event type, per second). Inspection itself costs CPU,
 * so the CPU figure of an --inspect run is not the idle cost; run without it for that.
 *
 * Prints a table, and with --json one JSON object as the last line:
 * {"placement","profile","peers","mode","seconds","cpuTicks","cpuPercent","threads":[{"name","tid","waits","ticks"}],"eventsPerSecond"}
 * (eventsPerSecond: with --inspect, "actor event" -> events per second; else {}).
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { ActorSystem } from '../src/runtime/actor-system.ts'

/** Linux's USER_HZ: /proc times are in 1/100 s on every architecture Node runs on. */
const TICKS_PER_SECOND = 100

interface Args {
  seconds: number
  warmup: number
  placement: 'workers' | 'inline'
  profile: 'lan' | 'local' | 'wan'
  json: boolean
  inspect: boolean
  dist: boolean
  join: string[]
}

function valueOf(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag)
  return i < 0 ? undefined : argv[i + 1]
}

function parseArgs(argv: string[]): Args {
  const seconds = Number(valueOf(argv, '--seconds') ?? 25)
  const warmup = Number(valueOf(argv, '--warmup') ?? 5)
  const placement = valueOf(argv, '--placement') ?? 'workers'
  const profile = valueOf(argv, '--profile') ?? 'lan'
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`--seconds must be an integer >= 1 (got ${seconds})`)
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup must be an integer >= 0 (got ${warmup})`)
  if (placement !== 'workers' && placement !== 'inline') throw new Error(`--placement must be workers or inline (got ${placement})`)
  if (profile !== 'lan' && profile !== 'local' && profile !== 'wan') throw new Error(`--profile must be lan, local or wan (got ${profile})`)
  const join = argv.flatMap((a, i) => (a === '--join' && argv[i + 1] !== undefined ? [argv[i + 1]!] : []))
  return { seconds, warmup, placement, profile, json: argv.includes('--json'), inspect: argv.includes('--inspect'), dist: argv.includes('--dist'), join }
}

/** utime+stime (ticks) from a /proc stat line: fields 14 and 15, counted after the ")" of comm. */
function ticksOf(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(rest[11]) + Number(rest[12])
}

function processTicks(): number {
  return ticksOf(readFileSync('/proc/self/stat', 'utf8'))
}

/**
 * What a thread waits in when idle (x86-64 and arm64 syscall numbers): an event loop (the system
 * thread or an actor's worker) waits in epoll, V8's and libuv's pool threads on a futex.
 */
const WAITS: Readonly<Record<string, string>> = { '232': 'epoll', '281': 'epoll', '22': 'epoll', '202': 'futex', '98': 'futex' }

function waitOf(tid: string): string {
  try {
    const nr = readFileSync(`/proc/self/task/${tid}/syscall`, 'utf8').split(' ')[0] ?? ''
    return WAITS[nr] ?? (nr === 'running' ? 'running' : `syscall ${nr}`)
  } catch {
    return '?'
  }
}

/** Every OS thread of this process: tid -> { name, ticks, waits }. */
function threadTicks(): Map<string, { name: string; ticks: number; waits: string }> {
  const out = new Map<string, { name: string; ticks: number; waits: string }>()
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()
      out.set(tid, { name, ticks: ticksOf(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')), waits: waitOf(tid) })
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return out
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  // The same modules either way; --dist takes them from the build, whose worker entries are .js.
  const { createNode } = (args.dist ? await import(new URL('../dist/src/node/create-node.js', import.meta.url).href) : await import('../src/node/create-node.ts')) as typeof import('../src/node/create-node.ts')
  const { serfEventsSurface } = (args.dist ? await import(new URL('../dist/src/node/serf-events-surface.js', import.meta.url).href) : await import('../src/node/serf-events-surface.ts')) as typeof import('../src/node/serf-events-surface.ts')
  let system: ActorSystem | undefined
  // The serf hook hands over the node's ActorSystem (for inspection); the surface is the real one.
  const node = await createNode(
    { name: 'idle-1', bind: '127.0.0.1:0', profile: args.profile, placement: args.placement, logLevel: 'silent', ...(args.join.length > 0 ? { join: args.join } : {}) },
    { serf: (n) => ((system = n.system), serfEventsSurface(n.actors, n.system.clock)) },
  )
  await sleep(args.warmup * 1000)
  const counts = new Map<string, number>()
  const stopInspect = args.inspect ? system?.inspect((e) => counts.set(`${e.actor} ${e.event}`, (counts.get(`${e.actor} ${e.event}`) ?? 0) + 1)) : undefined
  const threadsBefore = threadTicks()
  const t0 = processTicks()
  const w0 = performance.now()
  await sleep(args.seconds * 1000)
  const t1 = processTicks()
  const wallS = (performance.now() - w0) / 1000
  const threadsAfter = threadTicks()
  stopInspect?.()
  await node.shutdown()

  const threads = [...threadsAfter]
    .map(([tid, t]) => ({ name: t.name, tid: Number(tid), waits: t.waits, ticks: t.ticks - (threadsBefore.get(tid)?.ticks ?? 0) }))
    .filter((t) => t.ticks > 0)
    .sort((a, b) => b.ticks - a.ticks)
  const cpuTicks = t1 - t0
  const out = {
    placement: args.placement,
    profile: args.profile,
    peers: args.join.length,
    mode: args.dist ? 'dist' : 'source',
    seconds: Math.round(wallS * 10) / 10,
    cpuTicks,
    cpuPercent: Math.round((cpuTicks / TICKS_PER_SECOND / wallS) * 1000) / 10,
    threads,
    eventsPerSecond: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, Math.round((n / wallS) * 100) / 100])),
  }
  console.table({
    placement: out.placement,
    profile: out.profile,
    mode: out.mode,
    'idle seconds': out.seconds,
    'CPU ticks (1/100 s)': out.cpuTicks,
    'CPU (% of one core)': out.cpuPercent,
  })
  console.table(threads.map((t) => ({ thread: t.name, tid: t.tid, 'waits in': t.waits, ticks: t.ticks, '% of a core': Math.round((t.ticks / TICKS_PER_SECOND / wallS) * 1000) / 10 })))
  if (args.inspect) console.table(Object.entries(out.eventsPerSecond).map(([k, perS]) => ({ 'actor event': k, 'per second': perS })))
  if (args.json) console.log(JSON.stringify(out))
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
