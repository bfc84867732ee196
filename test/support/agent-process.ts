/**
 * One agent process for bench:agents and the mixed-cluster test: a real `serf agent` or a `gossamer agent` (built CLI,
 * dist/src/cli/main.js), started with the same Serf flags, bound to loopback on free ports, and
 * observed through Serf's RPC with the real `serf members -format=json` client, so both kinds are
 * measured by the same ruler. (bench:agents reads both kinds through one persistent RPC connection
 * per agent instead, bench/agents/rpc-poll.ts: a CLI spawn per poll is too slow to time a join.)
 *
 * CPU and memory come from /proc (Linux): utime+stime in clock ticks (all threads, so a gossamer
 * agent's worker threads count) and VmRSS.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ensureSerf, runSerf } from './serf.ts'
import { freeGossipPort, freeTcpPort } from './ports.ts'
import { TimedLines, type TimedLine } from './timed-lines.ts'

export type AgentKind = 'serf' | 'gossamer-workers' | 'gossamer-inline'

const HOST = '127.0.0.1'
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url))
/** Linux USER_HZ: /proc/<pid>/stat times are in these ticks. */
const CLOCK_TICKS_PER_S = 100
/** A `serf members` call that takes longer than this counts as "no answer" for that poll. */
const MEMBERS_TIMEOUT_MS = 5_000

export interface AgentMember {
  name: string
  status: string
}

export class AgentProcess {
  private output = ''
  /** The output's lines with their arrival times (the last 2,000 of each stream: a chunk of one may end mid-line). */
  private readonly timedOut = new TimedLines()
  private readonly timedErr = new TimedLines()

  private constructor(
    readonly kind: AgentKind,
    readonly name: string,
    readonly gossipAddr: string,
    readonly rpcAddr: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (lines: TimedLines) => (chunk: Buffer) => {
      const text = chunk.toString()
      this.output = (this.output + text).slice(-16_384)
      // Stamped on arrival: a pipe read is a few ms behind the agent's write at most, well inside
      // what a slow crash trial's explanation needs (the agents' own times are whole seconds).
      lines.push(text, performance.now())
    }
    child.stdout?.on('data', keep(this.timedOut))
    child.stderr?.on('data', keep(this.timedErr))
  }

  /** Starts the agent and resolves once its RPC answers `members`. */
  static async start(kind: AgentKind, name: string, profile: 'lan' | 'wan' | 'local', extraArgs: readonly string[] = []): Promise<AgentProcess> {
    const gossipPort = await freeGossipPort()
    const rpcPort = await freeTcpPort()
    const flags = [`-node=${name}`, `-bind=${HOST}:${gossipPort}`, `-rpc-addr=${HOST}:${rpcPort}`, `-profile=${profile}`, '-log-level=warn', ...extraArgs]
    const child =
      kind === 'serf'
        ? spawn(ensureSerf(), ['agent', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(process.execPath, [CLI, 'agent', ...flags, `-placement=${kind === 'gossamer-workers' ? 'workers' : 'inline'}`], { stdio: ['ignore', 'pipe', 'pipe'] })
    const agent = new AgentProcess(kind, name, `${HOST}:${gossipPort}`, `${HOST}:${rpcPort}`, child)
    const deadline = Date.now() + 20_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${kind} ${name} exited ${child.exitCode}: ${agent.output.trim()}`)
      if ((await agent.members()) !== undefined) return agent
      if (Date.now() > deadline) {
        agent.kill('SIGKILL')
        throw new Error(`${kind} ${name} did not answer RPC within 20 s: ${agent.output.trim()}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no pid`)
    return this.child.pid
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** The member list as this agent's RPC reports it; undefined when it does not answer. */
  async members(): Promise<AgentMember[] | undefined> {
    try {
      const { stdout } = await runSerf(['members', '-format=json', `-rpc-addr=${this.rpcAddr}`], MEMBERS_TIMEOUT_MS)
      const parsed = JSON.parse(stdout) as { members?: Array<{ name: string; status: string }> }
      return (parsed.members ?? []).map((m) => ({ name: m.name, status: m.status }))
    } catch {
      return undefined
    }
  }

  async join(addr: string): Promise<void> {
    await runSerf(['join', `-rpc-addr=${this.rpcAddr}`, addr], 15_000)
  }

  /** utime + stime of the whole process (every thread), seconds. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S
  }

  /** Resident set size, MB (VmRSS). */
  rssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8')
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
    return kb === undefined ? Number.NaN : Number(kb) / 1024
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal)
  }

  /** Resolves when the process has exited (SIGKILL after `graceMs`). */
  async stop(signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
    if (!this.running) return
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()))
    this.child.kill(signal)
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  log(): string {
    return this.output
  }

  /** The lines that arrived at or after `since` (performance.now(), ms) and contain `text`. */
  linesSince(since: number, text: string): TimedLine[] {
    return [...this.timedOut.since(since, text), ...this.timedErr.since(since, text)].sort((a, b) => a.at - b.at)
  }
}
