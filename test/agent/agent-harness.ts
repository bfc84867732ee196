/**
 * Runs `runAgent` in-process against a FakeNode, a fake RPC server, fake signals and a manual
 * scheduler, collecting stdout and stderr lines.
 */
import type { AgentDeps, AgentRpcOptions } from '../../src/agent/run-agent.ts'
import { runAgent } from '../../src/agent/run-agent.ts'
import type { AgentSignal, SignalSource } from '../../src/agent/signals.ts'
import type { EventHandlers } from '../../src/agent/handlers/event-handlers.ts'
import type { Tiering } from '../../src/agent/tiering.ts'
import type { IdleGc } from '../../src/agent/idle-gc.ts'
import { FakeNode } from './fake-node.ts'

export class FakeSignals implements SignalSource {
  readonly #listeners = new Map<AgentSignal, Set<() => void>>()
  on(signal: AgentSignal, fn: () => void): void {
    if (!this.#listeners.has(signal)) this.#listeners.set(signal, new Set())
    this.#listeners.get(signal)!.add(fn)
  }
  off(signal: AgentSignal, fn: () => void): void {
    this.#listeners.get(signal)?.delete(fn)
  }
  send(signal: AgentSignal): void {
    for (const fn of this.#listeners.get(signal) ?? []) fn()
  }
  get listening(): number {
    let n = 0
    for (const s of this.#listeners.values()) n += s.size
    return n
  }
}

/** Timers the test fires by hand. */
export class ManualSchedule {
  pending: { fn: () => void; ms: number }[] = []
  readonly schedule = (fn: () => void, ms: number): (() => void) => {
    const entry = { fn, ms }
    this.pending.push(entry)
    return () => {
      this.pending = this.pending.filter((e) => e !== entry)
    }
  }
  /** Runs every pending timer once. */
  fire(): void {
    const due = this.pending
    this.pending = []
    for (const e of due) e.fn()
  }
}

export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export interface Harness {
  out: string[]
  err: string[]
  signals: FakeSignals
  timers: ManualSchedule
  node(): FakeNode
  rpc(): AgentRpcOptions
  rpcClosed(): boolean
  handlers(): EventHandlers
  metricsAddr(): string | undefined
  running: Promise<void>
  exit: Promise<number>
}

export function startAgent(argv: string[], options: { configure?: (n: FakeNode) => void; rpcError?: Error; createError?: Error; tiering?: Tiering; idleGc?: IdleGc } = {}): Harness {
  const out: string[] = []
  const err: string[] = []
  const signals = new FakeSignals()
  const timers = new ManualSchedule()
  let node: FakeNode | undefined
  let rpc: AgentRpcOptions | undefined
  let rpcClosed = false
  let handlers: EventHandlers | undefined
  let metricsAddr: string | undefined
  let markRunning: () => void = () => {}
  const running = new Promise<void>((r) => (markRunning = r))
  const deps: AgentDeps = {
    createNode: async (o) => {
      if (options.createError !== undefined) throw options.createError
      node = new FakeNode(o)
      options.configure?.(node)
      return node
    },
    startRpcServer: async (o) => {
      if (options.rpcError !== undefined) throw options.rpcError
      rpc = o
      return {
        // The port a real server picked for port 0.
        address: o.addr.endsWith(':0') ? o.addr.replace(/:0$/, ':17373') : o.addr,
        close: async () => {
          rpcClosed = true
        },
      }
    },
    hostname: () => 'host-1',
    now: () => Date.UTC(2026, 11, 6, 2, 5, 37),
    signals,
    schedule: timers.schedule,
    ...(options.tiering === undefined ? {} : { tiering: options.tiering }),
    ...(options.idleGc === undefined ? {} : { idleGc: options.idleGc }),
    onRunning: (info) => {
      handlers = info.handlers
      metricsAddr = info.metricsAddr
      markRunning()
    },
  }
  const exit = runAgent(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, deps)
  return {
    out,
    err,
    signals,
    timers,
    node: () => node!,
    rpc: () => rpc!,
    rpcClosed: () => rpcClosed,
    handlers: () => handlers!,
    metricsAddr: () => metricsAddr,
    running,
    exit,
  }
}
