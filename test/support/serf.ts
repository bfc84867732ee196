/**
 * Real `serf agent` processes for interop tests and capture scripts (Debian package `serf` 0.9.4).
 *
 * `SerfAgent.start()` launches one agent bound to 127.0.0.1 on a free gossip port (UDP+TCP, same
 * number) with its RPC listener on another free port, and resolves once `serf members` answers on that
 * RPC address. Every agent started here is stopped by `stop()` (signal, bounded wait, SIGKILL fallback)
 * and, as a last resort, SIGKILLed when the Node process exits, so no test leaves an agent behind.
 * The CLI verbs (`members`, `join`, `event`, `query`, `leave`) run `serf <verb> -rpc-addr=...` with a
 * bounded timeout and raise coded errors that carry the command's stderr.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { accessSync, statSync, constants as fsConstants } from 'node:fs'
import { delimiter, join as joinPath } from 'node:path'
import { ClusterError } from '../../src/errors/index.ts'
import { freeGossipPort, freeTcpPort } from './ports.ts'

const HOST = '127.0.0.1'
/** Bytes of agent output kept for diagnostics (the tail is what explains a failed start). */
const LOG_KEEP_BYTES = 64 * 1024
/** A `serf` CLI call that takes longer than this is stuck; queries add their own timeout on top. */
const CLI_TIMEOUT_MS = 10_000
const POLL_INTERVAL_MS = 100

export interface SerfAgentOptions {
  /** Node name (`-node`). Must be unique in the cluster. */
  name: string
  /** Base64 key (`-encrypt`); 16, 24 or 32 bytes decoded (`serf keygen` makes 32). */
  encryptKey?: string
  /** Snapshot file (`-snapshot`). */
  snapshotPath?: string
  /** Tags (`-tag k=v`, one per entry). */
  tags?: Record<string, string>
  /** Address advertised to the cluster (`-advertise host:port`), e.g. a relay in front of the agent. */
  advertise?: string
  /** Addresses to join at start (`-join`, repeatable; the agent exits if every join fails). */
  join?: string[]
  /** Timing profile; `local` makes probes and push/pull faster. Default: the agent's (lan). */
  profile?: 'lan' | 'wan' | 'local'
  /** `-disable-compression`: TCP streams and UDP packets are then never LZW-wrapped. */
  disableCompression?: boolean
  /** `-event-handler` values, e.g. `query:whoami=/path/q.sh`. */
  eventHandlers?: string[]
  /** `-log-level`; `debug` shows every packet the agent handles. Default `info`. */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'err'
  /** Fixed gossip port. Without it a free port is chosen, and re-chosen if the bind races. */
  bindPort?: number
  /** Extra raw arguments appended to `serf agent`. */
  extraArgs?: string[]
  /** How long to wait for the RPC listener to answer. Default 10 000 ms. */
  readyTimeoutMs?: number
}

export interface SerfMember {
  name: string
  /** `ip:port` as the agent knows it (the advertised address). */
  addr: string
  port: number
  tags: Record<string, string>
  status: 'alive' | 'leaving' | 'left' | 'failed' | string
  /** Delegate (Serf) protocol versions. */
  protocol: { min: number; max: number; version: number }
}

export interface SerfQueryResult {
  acks: string[]
  responses: Record<string, string>
}

export interface StopOptions {
  /** First signal. SIGTERM (default): no leave, peers see `failed`. SIGINT: graceful leave. */
  signal?: NodeJS.Signals
  /** How long to wait after the first signal before SIGKILL. Default 5 000 ms (SIGINT leave can take ~6 s). */
  graceMs?: number
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Synchronous last resort: a crashed test run must not leave agents holding ports.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

/**
 * Returns the path of the `serf` binary ($SERF_BIN, else the first on PATH), or throws
 * `ERR_TEST_SERF_MISSING`. Interop tests call this first and fail loudly: they never skip silently
 * when serf is absent.
 */
export function ensureSerf(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['SERF_BIN']
  if (explicit !== undefined && explicit !== '') {
    if (isExecutable(explicit)) return explicit
    throw new ClusterError('ERR_TEST_SERF_MISSING', `$SERF_BIN is ${explicit}, which is not an executable file`)
  }
  const dirs = env['PATH'] === undefined ? ['/usr/local/bin', '/usr/bin', '/bin'] : env['PATH'].split(delimiter)
  for (const dir of dirs) {
    if (dir === '') continue
    const candidate = joinPath(dir, 'serf')
    if (isExecutable(candidate)) return candidate
  }
  throw new ClusterError(
    'ERR_TEST_SERF_MISSING',
    'the `serf` binary was not found on PATH; run `bash scripts/install-deps.sh` (installs Debian package serf) or set $SERF_BIN',
  )
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** Polls `check` until it returns a value other than undefined, or throws `ERR_TEST_TIMEOUT`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = POLL_INTERVAL_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `; last error: ${lastError.message}` : ''
      throw new ClusterError('ERR_TEST_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what}${reason}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

interface CliResult {
  stdout: string
  stderr: string
}

/** Runs `serf <args>`; rejects with `ERR_TEST_SERF_COMMAND` (exit code, stderr) on failure. */
export function runSerf(args: string[], timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> {
  const bin = ensureSerf()
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) {
        const detail = `${String(stderr).trim() || String(stdout).trim() || err.message}`
        reject(new ClusterError('ERR_TEST_SERF_COMMAND', `serf ${args.join(' ')} failed: ${detail}`, { cause: err, details: { args } }))
        return
      }
      resolve({ stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

/** One running `serf agent` process. */
export class SerfAgent {
  readonly name: string
  readonly bindPort: number
  readonly rpcPort: number
  readonly options: Readonly<SerfAgentOptions>
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private readonly child: ChildProcess
  private output = ''
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined

  private constructor(options: SerfAgentOptions, bindPort: number, rpcPort: number, child: ChildProcess) {
    this.name = options.name
    this.options = options
    this.bindPort = bindPort
    this.rpcPort = rpcPort
    this.child = child
    const keep = (chunk: Buffer): void => {
      this.output += chunk.toString('utf8')
      if (this.output.length > LOG_KEEP_BYTES) this.output = this.output.slice(-LOG_KEEP_BYTES)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child)
        this.exitInfo = { code, signal }
        resolve(this.exitInfo)
      })
      child.once('error', (err) => {
        live.delete(child)
        keep(Buffer.from(`spawn error: ${err.message}\n`))
        this.exitInfo = { code: null, signal: null }
        resolve(this.exitInfo)
      })
    })
  }

  /** Starts an agent and waits until its RPC listener answers. Retries with new ports if a bind races. */
  static async start(options: SerfAgentOptions): Promise<SerfAgent> {
    const bin = ensureSerf()
    installExitHook()
    const attempts = options.bindPort === undefined ? 3 : 1
    let lastError: unknown
    for (let attempt = 0; attempt < attempts; attempt++) {
      const bindPort = options.bindPort ?? (await freeGossipPort())
      const rpcPort = await freeTcpPort()
      const child = spawn(bin, ['agent', ...agentArgs(options, bindPort, rpcPort)], { stdio: ['ignore', 'pipe', 'pipe'] })
      live.add(child)
      const agent = new SerfAgent(options, bindPort, rpcPort, child)
      try {
        await agent.waitReady(options.readyTimeoutMs ?? 10_000)
        return agent
      } catch (err) {
        lastError = err
        await agent.stop({ signal: 'SIGKILL' })
        if (!/address already in use/i.test(agent.log())) break
      }
    }
    throw lastError
  }

  /** `127.0.0.1:<bindPort>`: where the agent really listens. */
  get bindAddr(): string {
    return `${HOST}:${this.bindPort}`
  }

  /** The address peers see: `-advertise` if given, else the bind address. */
  get gossipAddr(): string {
    return this.options.advertise ?? this.bindAddr
  }

  get rpcAddr(): string {
    return `${HOST}:${this.rpcPort}`
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get running(): boolean {
    return this.exitInfo === undefined
  }

  /** The last 64 KiB of the agent's stdout and stderr. */
  log(): string {
    return this.output
  }

  async members(): Promise<SerfMember[]> {
    const { stdout } = await this.cli(['members', '-format=json'])
    let parsed: unknown
    try {
      parsed = JSON.parse(stdout)
    } catch (err) {
      throw new ClusterError('ERR_TEST_SERF_OUTPUT', `serf members printed invalid JSON: ${stdout.slice(0, 200)}`, { cause: err })
    }
    const members = (parsed as { members?: unknown }).members
    if (!Array.isArray(members)) throw new ClusterError('ERR_TEST_SERF_OUTPUT', `serf members JSON has no members array: ${stdout.slice(0, 200)}`)
    return members.map((m: Record<string, unknown>) => ({
      name: String(m['name']),
      addr: String(m['addr']),
      port: Number(m['port']),
      tags: (m['tags'] ?? {}) as Record<string, string>,
      status: String(m['status']),
      protocol: (m['protocol'] ?? { min: 0, max: 0, version: 0 }) as SerfMember['protocol'],
    }))
  }

  /** Polls `members()` until `name` is listed and `accept(member)` holds; returns that member. */
  waitForMember(name: string, accept: (member: SerfMember) => boolean, timeoutMs: number): Promise<SerfMember> {
    return waitUntil(
      `member ${name} as seen by ${this.name}`,
      async () => (await this.members()).find((m) => m.name === name && accept(m)),
      timeoutMs,
    )
  }

  /** `serf info -format=json` (string values, e.g. `serf.event_time`, `serf.health_score`). */
  async info(): Promise<{ agent: { name: string }; serf: Record<string, string>; tags: Record<string, string> }> {
    const { stdout } = await this.cli(['info', '-format=json'])
    try {
      return JSON.parse(stdout) as { agent: { name: string }; serf: Record<string, string>; tags: Record<string, string> }
    } catch (err) {
      throw new ClusterError('ERR_TEST_SERF_OUTPUT', `serf info printed invalid JSON: ${stdout.slice(0, 200)}`, { cause: err })
    }
  }

  async join(addresses: string[], options: { replay?: boolean } = {}): Promise<void> {
    await this.cli(['join', ...(options.replay ? ['-replay'] : []), ...addresses])
  }

  /** `serf event`; the name and payload go on the command line, so keep the payload text. */
  async event(name: string, payload?: string, options: { coalesce?: boolean } = {}): Promise<void> {
    const args = ['event', `-coalesce=${options.coalesce ?? true}`, name]
    if (payload !== undefined) args.push(payload)
    await this.cli(args)
  }

  /** `serf query -format=json`. Resolves after the query timeout with the acks and responses seen. */
  async query(
    name: string,
    payload?: string,
    options: { timeoutMs?: number; nodes?: string[]; tags?: Record<string, string>; noAck?: boolean; relayFactor?: number } = {},
  ): Promise<SerfQueryResult> {
    const timeoutMs = options.timeoutMs ?? 3_000
    const args = ['query', '-format=json', `-timeout=${timeoutMs}ms`]
    for (const node of options.nodes ?? []) args.push(`-node=${node}`)
    for (const [k, v] of Object.entries(options.tags ?? {})) args.push('-tag', `${k}=${v}`)
    if (options.noAck) args.push('-no-ack')
    if (options.relayFactor !== undefined) args.push(`-relay-factor=${options.relayFactor}`)
    args.push(name)
    if (payload !== undefined) args.push(payload)
    const { stdout } = await this.cli(args, timeoutMs + CLI_TIMEOUT_MS)
    try {
      const parsed = JSON.parse(stdout) as { Acks?: string[] | null; Responses?: Record<string, string> | null }
      return { acks: parsed.Acks ?? [], responses: parsed.Responses ?? {} }
    } catch (err) {
      throw new ClusterError('ERR_TEST_SERF_OUTPUT', `serf query printed invalid JSON: ${stdout.slice(0, 200)}`, { cause: err })
    }
  }

  /** `serf leave`: a graceful leave through RPC; the agent then exits by itself. */
  async leave(): Promise<void> {
    await this.cli(['leave'], 20_000)
  }

  /**
   * Stops the agent: sends `signal` (default SIGTERM), waits up to `graceMs`, then SIGKILLs and waits
   * for the exit. Never rejects; safe to call twice or after the process died.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.exitInfo !== undefined) return
    const signal = options.signal ?? 'SIGTERM'
    this.child.kill(signal)
    if (signal === 'SIGKILL') {
      await this.exited
      return
    }
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.graceMs ?? 5_000)
    })
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), timedOut])
    clearTimeout(timer)
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL')
      await this.exited
    }
  }

  private cli(args: string[], timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> {
    const [verb, ...rest] = args
    return runSerf([verb ?? '', `-rpc-addr=${this.rpcAddr}`, ...rest], timeoutMs)
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.exitInfo !== undefined) {
        throw new ClusterError('ERR_TEST_SERF_START', `serf agent ${this.name} exited before it was ready (${describeExit(this.exitInfo)}):\n${this.output.slice(-2000)}`)
      }
      try {
        await runSerf(['members', `-rpc-addr=${this.rpcAddr}`], 2_000)
        return
      } catch {
        // not listening yet
      }
      if (Date.now() >= deadline) {
        throw new ClusterError('ERR_TEST_SERF_START', `serf agent ${this.name} not ready after ${timeoutMs} ms:\n${this.output.slice(-2000)}`)
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS))
    }
  }
}

function describeExit(info: { code: number | null; signal: NodeJS.Signals | null }): string {
  return info.signal !== null ? `signal ${info.signal}` : `code ${String(info.code)}`
}

function agentArgs(options: SerfAgentOptions, bindPort: number, rpcPort: number): string[] {
  const args = [`-node=${options.name}`, `-bind=${HOST}:${bindPort}`, `-rpc-addr=${HOST}:${rpcPort}`, `-log-level=${options.logLevel ?? 'info'}`]
  if (options.advertise !== undefined) args.push(`-advertise=${options.advertise}`)
  if (options.encryptKey !== undefined) args.push(`-encrypt=${options.encryptKey}`)
  if (options.snapshotPath !== undefined) args.push(`-snapshot=${options.snapshotPath}`)
  if (options.profile !== undefined) args.push(`-profile=${options.profile}`)
  if (options.disableCompression) args.push('-disable-compression')
  for (const [k, v] of Object.entries(options.tags ?? {})) args.push('-tag', `${k}=${v}`)
  for (const addr of options.join ?? []) args.push(`-join=${addr}`)
  for (const handler of options.eventHandlers ?? []) args.push(`-event-handler=${handler}`)
  args.push(...(options.extraArgs ?? []))
  return args
}

/** Stops every agent in the list in parallel (for `afterAll`/`finally`). */
export async function stopAgents(agents: Iterable<SerfAgent | undefined>, options?: StopOptions): Promise<void> {
  await Promise.all([...agents].map((agent) => agent?.stop(options)))
}
