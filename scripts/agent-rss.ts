/**
 * npx tsx scripts/agent-rss.ts [--k 5] [--settle-seconds 30] [--idle-seconds 60] [--placement inline|workers]
 *                               [--cli dist/src/cli/main.js] [--node-arg FLAG]... [--agent-arg FLAG]... [--env NAME=VALUE]...
 *                               [--print-lines REGEXP] [--sample-seconds S] [--probe DIR] [--json]
 *
 * The resident memory of K `gossamer agent` processes on loopback (lan profile), measured as
 * bench:agents measures it (VmRSS from /proc/<pid>/status, after the cluster converged, a settle and
 * an idle window), with the split bench:agents does not print: RssAnon (V8 heap, malloc, stacks)
 * and RssFile (pages of the node binary and shared libraries mapped in), the OS thread count, and
 * the idle CPU of each agent (utime + stime of every thread over the idle window, % of one core).
 * Agents join the first one through the real `serf join` client and convergence is read with
 * `serf members`, as in bench:agents.
 *
 * --cli chooses the entry file (the built CLI by default: `npm run build` first); --node-arg and
 * --env exist to try V8 flags and environment variables (e.g. MALLOC_ARENA_MAX) without editing
 * the agent. --sample-seconds S also reads every agent's /proc status every S seconds from the
 * cluster's convergence to the end (the median and max RSS at each time: does it grow while idle?).
 * --probe DIR preloads scripts/agent-rss-probe.mjs into each agent (a diagnostic, it is not how the
 * bench starts an agent), which writes V8's heap, space and code statistics every S seconds (5 s
 * without --sample-seconds) to DIR/<pid>.jsonl.
 * Prints a table, and with --json one JSON object as the last line:
 * {"k","placement","settleSeconds","idleSeconds","cli","nodeArgs","env","agents":[{name,rssMb,
 * rssAnonMb,rssFileMb,threads,idleCpuPct}],"median":{rssMb,rssAnonMb,rssFileMb,threads,idleCpuPct},
 * "max":{...},"convergeMs" (from the joins to every agent listing all alive),"timeline":[{t,medianRssMb,medianAnonMb,maxRssMb}]}
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runSerf } from '../test/support/serf.ts'
import { freeGossipPort, freeTcpPort } from '../test/support/ports.ts'

const HOST = '127.0.0.1'
/** Linux USER_HZ: /proc/<pid>/stat times are in these ticks. */
const CLOCK_TICKS_PER_S = 100
const POLL_MS = 200
const CONVERGE_CAP_MS = 60_000

interface Args {
  k: number
  settleSeconds: number
  idleSeconds: number
  placement: 'inline' | 'workers'
  cli: string
  nodeArgs: string[]
  /** Extra `gossamer agent` flags (a later one wins over the defaults, e.g. -log-level=info). */
  agentArgs: string[]
  /** Lines of the agents' output to print at the end (on stderr), e.g. 'Optimizing'. */
  printLines: RegExp | undefined
  env: Record<string, string>
  /** Seconds between timeline samples; 0: no timeline. */
  sampleSeconds: number
  /** Where the probe writes (undefined: no probe). */
  probeDir: string | undefined
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    k: 5,
    settleSeconds: 30,
    idleSeconds: 60,
    placement: 'inline',
    cli: fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url)),
    nodeArgs: [],
    agentArgs: [],
    printLines: undefined,
    env: {},
    sampleSeconds: 0,
    probeDir: undefined,
    json: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    if (flag === '--k') args.k = Number(value())
    else if (flag === '--settle-seconds') args.settleSeconds = Number(value())
    else if (flag === '--idle-seconds') args.idleSeconds = Number(value())
    else if (flag === '--placement') args.placement = value() as Args['placement']
    else if (flag === '--cli') args.cli = resolve(value())
    else if (flag === '--node-arg') args.nodeArgs.push(value())
    else if (flag === '--agent-arg') args.agentArgs.push(value())
    else if (flag === '--print-lines') args.printLines = new RegExp(value())
    else if (flag === '--sample-seconds') args.sampleSeconds = Number(value())
    else if (flag === '--probe') args.probeDir = resolve(value())
    else if (flag === '--env') {
      const [name, ...rest] = value().split('=')
      if (name === undefined || name === '' || rest.length === 0) throw new Error('--env takes NAME=VALUE')
      args.env[name] = rest.join('=')
    } else if (flag === '--json') args.json = true
    else throw new Error(`unknown flag ${flag}`)
  }
  if (!Number.isInteger(args.k) || args.k < 1) throw new Error('--k must be an integer >= 1')
  if (!(args.settleSeconds >= 0)) throw new Error('--settle-seconds must be >= 0')
  if (!(args.idleSeconds >= 1)) throw new Error('--idle-seconds must be >= 1')
  if (!(args.sampleSeconds >= 0)) throw new Error('--sample-seconds must be >= 0')
  if (args.placement !== 'inline' && args.placement !== 'workers') throw new Error('--placement must be inline or workers')
  return args
}

interface Agent {
  name: string
  gossip: string
  rpc: string
  child: ChildProcess
  output: string
}

async function members(agent: Agent): Promise<Map<string, string> | undefined> {
  try {
    const { stdout } = await runSerf(['members', '-format=json', `-rpc-addr=${agent.rpc}`], 5_000)
    const parsed = JSON.parse(stdout) as { members?: Array<{ name: string; status: string }> }
    return new Map((parsed.members ?? []).map((m) => [m.name, m.status]))
  } catch {
    return undefined
  }
}

async function startAgent(args: Args, name: string): Promise<Agent> {
  const gossip = `${HOST}:${await freeGossipPort()}`
  const rpc = `${HOST}:${await freeTcpPort()}`
  const flags = [`-node=${name}`, `-bind=${gossip}`, `-rpc-addr=${rpc}`, '-profile=lan', '-log-level=warn', `-placement=${args.placement}`, ...args.agentArgs]
  const probe = args.probeDir === undefined ? [] : ['--import', fileURLToPath(new URL('./agent-rss-probe.mjs', import.meta.url))]
  const probeEnv = args.probeDir === undefined ? {} : { AGENT_RSS_PROBE_DIR: args.probeDir, AGENT_RSS_PROBE_MS: String((args.sampleSeconds || 5) * 1000) }
  const child = spawn(process.execPath, [...args.nodeArgs, ...probe, args.cli, 'agent', ...flags], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...args.env, ...probeEnv } })
  const agent: Agent = { name, gossip, rpc, child, output: '' }
  const keep = (chunk: Buffer) => {
    agent.output = (agent.output + chunk.toString()).slice(-8_192)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const deadline = Date.now() + 20_000
  while ((await members(agent)) === undefined) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}: ${agent.output.trim()}`)
    if (Date.now() > deadline) throw new Error(`${name} did not answer RPC within 20 s: ${agent.output.trim()}`)
    await sleep(100)
  }
  return agent
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function procStatus(pid: number): { rssMb: number; rssAnonMb: number; rssFileMb: number; threads: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN)
  return { rssMb: field('VmRSS') / 1024, rssAnonMb: field('RssAnon') / 1024, rssFileMb: field('RssFile') / 1024, threads: field('Threads') }
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
/** Two decimals: MB to 10 kB, CPU to 0.01% of a core. */
const round = (x: number) => Math.round(x * 100) / 100

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const agents: Agent[] = []
  try {
    for (let i = 0; i < args.k; i++) agents.push(await startAgent(args, `rss-${i}`))
    const joinStart = Date.now()
    let convergeMs = Number.NaN
    await Promise.all(agents.slice(1).map((a) => runSerf(['join', `-rpc-addr=${a.rpc}`, agents[0]!.gossip], 15_000)))
    const names = agents.map((a) => a.name)
    const start = Date.now()
    for (;;) {
      const views = await Promise.all(agents.map(members))
      if (views.every((v) => v !== undefined && names.every((n) => v.get(n) === 'alive'))) {
        convergeMs = Date.now() - joinStart
        break
      }
      if (Date.now() - start > CONVERGE_CAP_MS) throw new Error(`no convergence within ${CONVERGE_CAP_MS} ms`)
      await sleep(POLL_MS)
    }
    const timeline: Array<{ t: number; medianRssMb: number; medianAnonMb: number; maxRssMb: number }> = []
    let sampler: ReturnType<typeof setInterval> | undefined
    if (args.sampleSeconds > 0) {
      const sample = () => {
        const rows = agents.map((a) => procStatus(a.child.pid!))
        timeline.push({ t: round((Date.now() - start) / 1000), medianRssMb: round(median(rows.map((r) => r.rssMb))), medianAnonMb: round(median(rows.map((r) => r.rssAnonMb))), maxRssMb: round(Math.max(...rows.map((r) => r.rssMb))) })
      }
      sample()
      sampler = setInterval(sample, args.sampleSeconds * 1000)
    }
    await sleep(args.settleSeconds * 1000)
    const cpu0 = agents.map((a) => cpuSeconds(a.child.pid!))
    await sleep(args.idleSeconds * 1000)
    clearInterval(sampler)
    const rows = agents.map((a, i) => ({ name: a.name, ...procStatus(a.child.pid!), idleCpuPct: ((cpuSeconds(a.child.pid!) - cpu0[i]!) / args.idleSeconds) * 100 }))
    if (args.printLines !== undefined) for (const a of agents) for (const line of a.output.split('\n')) if (args.printLines.test(line)) process.stderr.write(`${a.name}: ${line.trim()}\n`)
    const keys = ['rssMb', 'rssAnonMb', 'rssFileMb', 'threads', 'idleCpuPct'] as const
    const summary = (f: (xs: number[]) => number) => Object.fromEntries(keys.map((k) => [k, round(f(rows.map((r) => r[k])))]))
    const out = rows.map((r) => ({ ...r, rssMb: round(r.rssMb), rssAnonMb: round(r.rssAnonMb), rssFileMb: round(r.rssFileMb), idleCpuPct: round(r.idleCpuPct) }))
    const med = summary(median)
    const max = summary((xs) => Math.max(...xs))
    if (timeline.length > 0) console.table(timeline)
    console.table([...out, { name: 'median', ...med }, { name: 'max', ...max }])
    console.log(`join convergence (every agent lists all alive, ${POLL_MS} ms polls): ${convergeMs} ms`)
    if (args.json) console.log(JSON.stringify({ k: args.k, placement: args.placement, settleSeconds: args.settleSeconds, idleSeconds: args.idleSeconds, cli: args.cli, nodeArgs: args.nodeArgs, env: args.env, agents: out, median: med, max, timeline, convergeMs }))
  } finally {
    await Promise.all(
      agents.map(
        (a) =>
          new Promise<void>((r) => {
            if (a.child.exitCode !== null || a.child.signalCode !== null) return r()
            a.child.once('exit', () => r())
            a.child.kill('SIGKILL')
          }),
      ),
    )
  }
}

await main()
