/**
 * The agent's event handler scripts (serf-rpc.md 7): events from node.events() whose filters match
 * a script wait in a bounded queue (full: the event is dropped and counted) and run one after
 * another, each script of an event in configuration order, as Serf's agent does. Unlike Serf, a
 * run has a deadline (a query's own deadline, or `handler_timeout`) and is killed when it passes,
 * so a hung script delays later events by at most that long and never blocks the node: the node's
 * event stream is read independently of the scripts. A query's script answers with its output when
 * it exits 0 with some output (node.respond).
 */
import type { GossamerNode, NodeEvent } from '../../node/api.ts'
import { formatGoDuration } from '../../cli/go-duration.ts'
import type { AgentLog } from '../logs/agent-log.ts'
import { scriptMatches } from './event-script.ts'
import type { EventScript } from './event-script.ts'
import { handlerEnv, handlerStdin } from './handler-input.ts'
import type { SelfInfo } from './handler-input.ts'
import { runScript } from './run-script.ts'
import type { ScriptResult, ScriptRun } from './run-script.ts'

export interface HandlerCounters {
  /** Events that matched at least one script. */
  eventsQueued: number
  /** Matching events dropped because the queue was full. */
  eventsDropped: number
  /** Script runs started. */
  runs: number
  /** Runs that exited non-zero or could not start. */
  runsFailed: number
  /** Runs killed at their deadline. */
  runsKilled: number
  /** Runs that took longer than 1 s. */
  runsSlow: number
  /** Query responses sent from a script's output. */
  responsesSent: number
  /** Query responses refused by the node (too large, past the deadline, already answered). */
  responsesFailed: number
}

export interface EventHandlersOptions {
  node: Pick<GossamerNode, 'respond'>
  log: AgentLog
  self: () => SelfInfo
  scripts: readonly EventScript[]
  /** Deadline of a member or user event run (ms). */
  timeoutMs: number
  /** Events waiting to run. */
  queueLimit: number
  /** Epoch ms (a query's deadline is epoch ms). */
  now: () => number
  /** The runner (tests may count runs); default runScript. */
  run?: (run: ScriptRun) => Promise<ScriptResult>
}

export class EventHandlers {
  readonly counters: HandlerCounters = {
    eventsQueued: 0,
    eventsDropped: 0,
    runs: 0,
    runsFailed: 0,
    runsKilled: 0,
    runsSlow: 0,
    responsesSent: 0,
    responsesFailed: 0,
  }
  #scripts: readonly EventScript[]
  readonly #queue: NodeEvent[] = []
  readonly #options: EventHandlersOptions
  readonly #stop = new AbortController()
  #draining: Promise<void> | undefined
  #idleWaiters: (() => void)[] = []

  constructor(options: EventHandlersOptions) {
    this.#options = options
    this.#scripts = options.scripts
  }

  get scripts(): readonly EventScript[] {
    return this.#scripts
  }

  /** SIGHUP: the new scripts apply from the next event run. */
  setScripts(scripts: readonly EventScript[]): void {
    this.#scripts = scripts
  }

  get queued(): number {
    return this.#queue.length
  }

  /** Queues one event if a script wants it; false when dropped (queue full or stopped). */
  offer(event: NodeEvent): boolean {
    if (!this.#scripts.some((s) => scriptMatches(s, event))) return true
    if (this.#stop.signal.aborted) return false
    if (this.#queue.length >= this.#options.queueLimit) {
      this.counters.eventsDropped++
      const n = this.counters.eventsDropped
      // The first drop and then one line per 100, so a flood does not flood the log as well.
      if (n === 1 || n % 100 === 0) {
        this.#options.log.warn('agent', `Event handler queue full (${this.#options.queueLimit}): dropped '${event.type}' event (${n} dropped so far)`)
      }
      return false
    }
    this.counters.eventsQueued++
    this.#queue.push(event)
    this.#draining ??= this.#drain()
    return true
  }

  /** Reads a node event stream until it ends, offering each event. */
  async consume(events: AsyncIterable<NodeEvent>): Promise<void> {
    for await (const e of events) this.offer(e)
  }

  /** Resolves once the queue is empty and no script runs. */
  idle(): Promise<void> {
    if (this.#draining === undefined) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Kills the running script, drops what waits; resolves when the run loop ended. */
  async stop(): Promise<void> {
    this.#stop.abort()
    this.#queue.length = 0
    await this.#draining
  }

  async #drain(): Promise<void> {
    try {
      for (let e = this.#queue.shift(); e !== undefined; e = this.#queue.shift()) {
        for (const s of this.#scripts) {
          if (this.#stop.signal.aborted) return
          if (scriptMatches(s, e)) await this.#invoke(s, e)
        }
      }
    } finally {
      this.#draining = undefined
      const waiters = this.#idleWaiters
      this.#idleWaiters = []
      for (const w of waiters) w()
    }
  }

  async #invoke(s: EventScript, e: NodeEvent): Promise<void> {
    const { log, now } = this.#options
    const timeoutMs = e.type === 'query' ? Math.max(1, Math.min(this.#options.timeoutMs, e.deadline - now())) : this.#options.timeoutMs
    this.counters.runs++
    const result = await (this.#options.run ?? runScript)({
      script: s.script,
      env: handlerEnv(this.#options.self(), e),
      stdin: handlerStdin(e),
      timeoutMs,
      signal: this.#stop.signal,
      onSlow: () => {
        this.counters.runsSlow++
        log.warn('agent', `Script '${s.script}' slow, execution exceeding 1s`)
      },
    })
    if (result.output.length > 0) log.debug('agent', `Event '${e.type}' script output: ${result.output.toString('utf8')}`)
    if (result.killed) {
      this.counters.runsKilled++
      log.err('agent', `Error invoking script '${s.script}': killed at its deadline of ${formatGoDuration(timeoutMs)}`)
      return
    }
    if (result.spawnError !== undefined || result.exitCode !== 0) {
      this.counters.runsFailed++
      log.err('agent', `Error invoking script '${s.script}': ${result.spawnError ?? `exit status ${result.exitCode}`}`)
      return
    }
    if (e.type !== 'query' || result.output.length === 0) return
    try {
      await this.#options.node.respond(e.key, new Uint8Array(result.output))
      this.counters.responsesSent++
    } catch (err) {
      this.counters.responsesFailed++
      log.warn('agent', `Failed to respond to query 'query: ${e.name}': ${(err as Error).message}`)
    }
  }
}
