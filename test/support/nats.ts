/**
 * A real `nats-server -js` (Debian's 2.9.x, installed by scripts/install-deps.sh) on 127.0.0.1 for
 * the election's nats backend tests: a free port, a temp JetStream store dir, a ready check (the
 * client port accepts and the server logs "Server is ready"), and restart on the same port and store
 * (the KV bucket and its keys survive, as they would in production). Every server started here is
 * stopped by `stop()`, and SIGKILLed when the Node process exits, so no test leaves one behind.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { ClusterError } from '../../src/errors/index.ts'
import { freeTcpPort } from './ports.ts'

const live = new Set<ChildProcess>()
let exitHookInstalled = false
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

export interface NatsServerOptions {
  /** How long to wait for readiness, in ms (a loaded 2-core machine: generous). */
  readyTimeoutMs?: number
}

export class NatsServer {
  private child: ChildProcess | undefined
  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly readyTimeoutMs: number,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    installExitHook()
    const storeDir = mkdtempSync(join(tmpdir(), 'gossamer-nats-'))
    const server = new NatsServer(await freeTcpPort(), storeDir, options.readyTimeoutMs ?? 10_000)
    await server.restart()
    return server
  }

  /** Starts the process (again) on the same port and store dir; resolves once it is ready. */
  async restart(): Promise<void> {
    if (this.running) throw new ClusterError('ERR_TEST_NATS_RUNNING', `nats-server on ${this.port} is already running`)
    const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir, '--http_port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] })
    this.child = child
    live.add(child)
    child.once('exit', () => live.delete(child))
    let log = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new ClusterError('ERR_TEST_NATS_START', `nats-server on ${this.port} not ready in ${this.readyTimeoutMs} ms: ${log.slice(-2000)}`))
      }, this.readyTimeoutMs)
      child.stderr!.setEncoding('utf8')
      child.stderr!.on('data', (chunk: string) => {
        if (log.length < 64 * 1024) log += chunk
        if (log.includes('Server is ready')) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(new ClusterError('ERR_TEST_NATS_START', `nats-server could not be started: ${err.message}`, { cause: err }))
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new ClusterError('ERR_TEST_NATS_START', `nats-server exited (${code ?? signal}) before it was ready: ${log.slice(-2000)}`))
      })
    })
    // Drain stderr from here on so the pipe never fills.
    child.stderr!.removeAllListeners('data')
    child.stderr!.resume()
  }

  /** Stops the process (SIGKILL: the abrupt loss a client sees in a crash), keeping the store dir. */
  async kill(): Promise<void> {
    const child = this.child
    if (child === undefined || !this.running) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
  }

  /**
   * Creates a KV bucket whose max age is `ttlMs` (the election's lease bucket), or opens it when it
   * exists with the same settings: what an operator does before starting nodes with `nats`.
   */
  async createBucket(bucket: string, ttlMs: number): Promise<void> {
    const nc = await connect({ servers: [this.url], timeout: 2_000 })
    try {
      await new Kvm(nc).create(bucket, { ttl: ttlMs, history: 1 })
    } finally {
      await nc.close()
    }
  }

  /** Stops the process and removes the store dir. */
  async stop(): Promise<void> {
    await this.kill()
    rmSync(this.storeDir, { recursive: true, force: true })
  }
}
