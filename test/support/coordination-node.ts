/**
 * Gossamer nodes as separate processes (coordination-node-process.ts), so a test or bench can kill
 * one with SIGKILL as a crash does: each is a real `createNode` with the `nats` coordination backend
 * in one group. The parent reads the child's JSON lines (each stamped with the child's Date.now():
 * one machine, one clock) and waits on conditions over them, checked on every new line (no
 * polling, no fixed sleeps). A restart keeps the name and the gossip port, so the cluster sees the
 * same member come back (it refutes its own death with a higher incarnation, as memberlist does).
 * Every process started here is SIGKILLed when the parent exits.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { AssignmentTiming } from '../../src/node/api.ts'
import { freeGossipPort } from './ports.ts'

/** What one node process is started with (argv[2] of coordination-node-process.ts, as JSON). */
export interface NodeProcessSpec {
  name: string
  /** Gossip port on 127.0.0.1 (kept across restarts). */
  port: number
  join: string[]
  /** NATS servers ("nats://127.0.0.1:4222"), the election bucket and its max age (the lease), ms. */
  servers: string[]
  bucket: string
  leaseMs: number
  group: string
  partitions: number
  /** Whether the node stands for the group at start (node.election(group).campaign()). */
  campaign: boolean
  assignment?: AssignmentTiming
}

/** One line of a node process (see coordination-node-process.ts for the types). */
export interface NodeLine {
  type: 'ready' | 'assignment' | 'election' | 'campaigned' | 'resigning' | 'members' | 'error' | 'stopped'
  wall: number
  term?: number
  version?: number
  leader?: string | null
  isSelf?: boolean
  reason?: string
  partitions?: number[]
  workers?: number
  members?: Array<{ name: string; status: string }>
  code?: string
  op?: string
  message?: string
  address?: string
}

const CHILD = new URL('./coordination-node-process.ts', import.meta.url).pathname
/** How long a node process may take to start (tsx compiles the node on a loaded 2-core machine). */
const START_TIMEOUT_MS = 60_000
/** Output kept of a child's stderr for a failure's message. */
const STDERR_KEEP = 8_192

const live = new Set<ChildProcess>()
let hooked = false
/** Conditions waiting over the processes' lines: each is checked on every new line and exit. */
const checks = new Set<() => void>()
const notify = () => {
  for (const check of [...checks]) check()
}

/**
 * Resolves once `cond` holds (checked now and on every new line or exit of any node process);
 * rejects after `timeoutMs` with `what`.
 */
export function untilLines(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!cond()) return
      clearTimeout(timer)
      checks.delete(check)
      resolve()
    }
    const timer = setTimeout(() => {
      checks.delete(check)
      reject(new Error(`${what}: not within ${timeoutMs} ms`))
    }, timeoutMs)
    checks.add(check)
    check()
  })
}

export class NodeProcess {
  /** Every line of every incarnation of this node. */
  readonly lines: NodeLine[] = []
  /** Index in `lines` of the current incarnation's first line. */
  #since = 0
  #stderr = ''
  #child: ChildProcess

  private constructor(readonly spec: NodeProcessSpec) {
    if (!hooked) {
      hooked = true
      process.on('exit', () => {
        for (const c of live) c.kill('SIGKILL')
      })
    }
    this.#child = this.#spawn()
  }

  /** Starts a node process (a free gossip port unless `port` is given) and resolves once it is ready. */
  static async start(spec: Omit<NodeProcessSpec, 'port'> & { port?: number }): Promise<NodeProcess> {
    const p = new NodeProcess({ ...spec, port: spec.port ?? (await freeGossipPort()) })
    await p.ready()
    return p
  }

  get name(): string {
    return this.spec.name
  }

  get address(): string {
    return `127.0.0.1:${this.spec.port}`
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null
  }

  #spawn(): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(this.spec)], { stdio: ['pipe', 'pipe', 'pipe'] })
    live.add(child)
    child.once('exit', () => {
      live.delete(child)
      notify()
    })
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEEP)
    })
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as NodeLine)
      } catch {
        this.#stderr = (this.#stderr + `stdout: ${l}\n`).slice(-STDERR_KEEP)
        return
      }
      notify()
    })
    return child
  }

  /** Resolves once the process printed `ready` after line `from`; rejects if it exits first. */
  private async ready(from = 0): Promise<void> {
    await untilLines(() => !this.running || this.lines.slice(from).some((l) => l.type === 'ready' || (l.type === 'error' && l.op === 'start')), START_TIMEOUT_MS, `${this.name} ready`)
    const failed = this.lines.slice(from).find((l) => l.type === 'error' && l.op === 'start')
    if (!this.running || failed !== undefined) throw new Error(`${this.name} did not start: ${failed?.message ?? ''} ${this.#stderr.trim()}`)
  }

  /** One command on the child's stdin (`campaign`, `resign`, `members`, `leave`). */
  send(command: 'campaign' | 'resign' | 'members' | 'leave'): void {
    this.#child.stdin!.write(`${command}\n`)
  }

  /** SIGKILL (a crash: nothing more leaves the process); resolves once it has exited. */
  async kill(): Promise<void> {
    if (!this.running) return
    const exited = new Promise((r) => this.#child.once('exit', r))
    this.#child.kill('SIGKILL')
    await exited
  }

  /** Starts the process again (same name, port and spec); resolves once it is ready. */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is still running`)
    const from = this.lines.length
    this.#since = from
    this.#child = this.#spawn()
    await this.ready(from)
  }

  /** Ends stdin (the child shuts its node down and exits); SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return
    const exited = new Promise((r) => this.#child.once('exit', r))
    this.#child.stdin!.end()
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  /** The child's last stderr (for a failure's message). */
  stderr(): string {
    return this.#stderr
  }

  /** Lines of one type from the current incarnation (from line `from` of `lines` when given). */
  of(type: NodeLine['type'], from = this.#since): NodeLine[] {
    return this.lines.slice(from).filter((l) => l.type === type)
  }

  /** The newest election change this process reported. */
  lastElection(): NodeLine | undefined {
    return this.of('election').at(-1)
  }

  /** The newest assignment this process received through node.assignments(). */
  lastAssignment(): NodeLine | undefined {
    return this.of('assignment').at(-1)
  }
}

/**
 * The leader all running `nodes` agree on, once every one of them holds an assignment of that
 * leader's term that counts `workers` workers and gives it partitions (each is a member and a
 * worker of the group); undefined until then.
 */
export function settledLeader(nodes: readonly NodeProcess[], workers: number): { leader: NodeProcess; term: number } | undefined {
  const running = nodes.filter((n) => n.running)
  const leaders = running.filter((n) => n.lastElection()?.isSelf === true)
  if (leaders.length !== 1) return undefined
  const leader = leaders[0]!
  const term = leader.lastElection()!.term!
  for (const n of running) {
    const e = n.lastElection()
    if (e?.leader !== leader.name || e.term !== term) return undefined
    const a = n.lastAssignment()
    if (a === undefined || a.term !== term || a.workers !== workers || (a.partitions?.length ?? 0) === 0) return undefined
  }
  return { leader, term }
}

/**
 * The first assignment of a term above `term` that a node other than `except` received at or after
 * `since` (wall ms), with who saw it; undefined until one is seen.
 */
export function firstNewerAssignment(nodes: readonly NodeProcess[], term: number, since: number, except: NodeProcess): { node: NodeProcess; line: NodeLine } | undefined {
  let first: { node: NodeProcess; line: NodeLine } | undefined
  for (const n of nodes) {
    if (n === except) continue
    for (const l of n.of('assignment', 0)) {
      if (l.term! > term && l.wall >= since && (first === undefined || l.wall < first.line.wall)) first = { node: n, line: l }
    }
  }
  return first
}
