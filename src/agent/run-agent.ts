/**
 * `gossamer agent`: Serf's agent command (serf-rpc.md 6) around a GossamerNode. The order is
 * Serf's: read and check the config (errors `==> <text>`, exit 1), `Starting Serf agent...`, set
 * up and create the node, `Starting Serf agent RPC...`, the RPC listener (and ours, the metrics
 * listener), the banner, the start join, `Log data will now stream in as it occurs:`, retry-join,
 * then wait for a signal, an RPC `leave`, a failed retry-join, or the node shutting itself down.
 * The node and RPC server factories are injected (the agent is tested against a fake node).
 */
import type { GossamerNode, LogLine, NodeOptions } from '../node/api.ts'
import { agentNode } from './agent-node.ts'
import { AGENT_HELP, runningBanner } from './banner.ts'
import { createAgentConfig, serfCreateError } from './config/agent-config.ts'
import { startAgentWorkers, type AgentWorkers } from './assign-workers.ts'
import type { AgentConfig } from './config/agent-config.ts'
import { readConfigPaths } from './config/config-file.ts'
import { parseAgentCommandLine } from './config/flags.ts'
import { checkKeyringFile, loadStartTags } from './config/persisted-files.ts'
import { toNodeOptions } from './config/to-node-options.ts'
import { AgentFlagError } from './errors.ts'
import { handlersStats } from './handlers/event-script.ts'
import { EventHandlers } from './handlers/event-handlers.ts'
import { AgentLog } from './logs/agent-log.ts'
import type { MetricsServer } from './metrics/metrics-server.ts'
import { startRetryJoin } from './retry-join.ts'
import type { Schedule } from './retry-join.ts'
import { reloadConfig } from './reload.ts'
import { waitForShutdown } from './signals.ts'
import type { SignalSource } from './signals.ts'
import { optimizingLine, tieringStats, type Tiering } from './tiering.ts'
import { idleGcStats, type IdleGc } from './idle-gc.ts'

export interface AgentIo {
  out(text: string): void
  err(text: string): void
}

/** What the agent gives the RPC server (the options of src/rpc/server.ts's startRpcServer it uses). */
export interface AgentRpcOptions {
  node: GossamerNode
  /** host:port to listen on. */
  addr: string
  /** rpc_auth; '' when none. */
  authKey: string
  /** `stats`' event_handlers map; the agent updates this same object in place on SIGHUP. */
  eventHandlers: Readonly<Record<string, string>>
  /** Serf's user_event_size_limit (bytes). */
  userEventSizeLimit: number
  /** The server's own log lines (`agent.ipc`), into the agent's log and monitor ring. */
  log(line: LogLine): void
  /** After an RPC `leave` was answered: the agent stops with exit 0. */
  onLeave(): void
  /** More keys for `stats`' `agent` section (the tiering's state: tiering.ts tieringStats). */
  agentStats?: () => Readonly<Record<string, string>>
  /** The agent's worker assignments by group (`-assign`), for `gossamer-assignments`. */
  assignments?: AgentWorkers['lookup']
}

export interface AgentRpcServer {
  /** The address it listens on (`-rpc-addr=127.0.0.1:0` picks a port); the banner shows it. */
  readonly address?: string
  close(): Promise<void>
}

export interface AgentDeps {
  createNode(options: NodeOptions): Promise<GossamerNode>
  startRpcServer(options: AgentRpcOptions): Promise<AgentRpcServer>
  /** Default: os.hostname(). */
  hostname?(): string
  /** Epoch ms. Default Date.now. */
  now?(): number
  /** Default: the process's signals. */
  signals?: SignalSource
  /** Default: setTimeout. */
  schedule?: Schedule
  /** V8's optimizing compiler policy (tiering.ts): told the config's mode and the placement once running; its state goes into `stats`. */
  tiering?: Tiering
  /** Full collections while the agent runs (idle-gc.ts); its counts go into `stats`. */
  idleGc?: IdleGc
  /** Told once the agent runs and its signal listeners are on (tests read the addresses here). */
  onRunning?(info: { node: GossamerNode; metricsAddr: string | undefined; handlers: EventHandlers; log: AgentLog; config: AgentConfig }): void
}

/** After an RPC leave stopped the node, how long the RPC server gets to answer and call onLeave (ms). */
const RPC_LEAVE_GRACE_MS = 2000

const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms)
  return () => clearTimeout(t)
}

/** Runs the agent until it stops; resolves with the exit code (0 after a graceful leave). */
export async function runAgent(argv: readonly string[], io: AgentIo, deps: AgentDeps): Promise<number> {
  const say = (line: string): void => io.out(`==> ${line}`)
  const now = deps.now ?? Date.now
  let config: AgentConfig
  try {
    const cmd = parseAgentCommandLine(argv)
    if (cmd.help) {
      io.err(AGENT_HELP)
      return 0
    }
    const files = await readConfigPaths(cmd.configPaths)
    const { hostname } = await import('node:os')
    const result = createAgentConfig(files, cmd.config, (deps.hostname ?? hostname)())
    config = result.config
    for (const w of result.warnings) say(w)
  } catch (err) {
    if (err instanceof AgentFlagError) {
      io.err(err.message)
      io.out(`==> ${AGENT_HELP}`)
    } else say((err as Error).message)
    return 1
  }

  const log = new AgentLog({ level: config.logLevel, write: (t) => io.out(t), now })
  // Before the node starts: with -tiering=off the node's start-up already runs with TurboFan.
  deps.tiering?.configured(config.tiering, (why) => log.info('agent', optimizingLine(why)))
  say('Starting Serf agent...')
  let tags: Record<string, string>
  try {
    tags = await loadStartTags(config)
    await checkKeyringFile(config)
  } catch (err) {
    say((err as Error).message)
    return 1
  }
  const createError = serfCreateError(config)
  if (createError !== undefined) {
    say(`Failed to start the Serf agent: Error creating Serf: ${createError}`)
    return 1
  }
  let inner: GossamerNode
  try {
    inner = await deps.createNode(toNodeOptions(config, tags))
  } catch (err) {
    say(`Failed to start the Serf agent: Error creating Serf: ${(err as Error).message}`)
    return 1
  }
  log.info('agent', 'Serf agent starting')

  // From here on every exit path goes through `stop`, which ends everything that was started.
  const stopping = new AbortController()
  let rpc: AgentRpcServer | undefined
  let metrics: MetricsServer | undefined
  let retry: { stop(): void } | undefined
  let left = false
  let cancelLeaveGrace: () => void = () => {}
  let finish: (code: number) => void = () => {}
  const finished = new Promise<number>((resolve) => (finish = resolve))
  const node = agentNode(inner, tags, {
    tagsFile: config.tagsFile,
    log,
    // The node stops after a leave; the RPC server's onLeave (or the end of the node's event
    // stream) then ends the agent with exit 0.
    onLeave: () => (left = true),
  })
  /** `stats`' event_handlers, one object updated in place so the RPC server always reads the current one. */
  const handlerMap: Record<string, string> = handlersStats(config.eventScripts)
  const handlers = new EventHandlers({
    node,
    log,
    self: () => ({ name: node.name, tags: node.tags }),
    scripts: config.eventScripts,
    timeoutMs: config.handlerTimeoutMs,
    queueLimit: config.handlerQueue,
    now,
  })
  // The node's own lines into the agent's log (console and monitor ring).
  const nodeLogs = (async () => {
    for await (const line of inner.logs({ level: 'trace', signal: stopping.signal })) log.accept(line)
  })().catch((err: unknown) => log.err('agent', `Node log stream failed: ${(err as Error).message}`))
  // Events to the scripts, until the node's stream ends (the node stopped, or we stop).
  const events = handlers
    .consume(inner.events({ signal: stopping.signal, buffer: config.handlerQueue }))
    .catch((err: unknown) => log.err('agent', `Event stream failed: ${(err as Error).message}`))
  // The groups this agent works in (-assign), until we stop.
  const workers = startAgentWorkers(inner, config.assign, stopping.signal, log)
  // The node stopping while we are not stopping it: by itself (a lost name conflict: exit 0, as
  // Serf; an actor failed beyond its restarts: exit 1), or after an RPC leave, when the RPC
  // server's onLeave ends the agent once its reply went out (closing the server sooner would cut
  // that reply off); a server that never calls onLeave gets RPC_LEAVE_GRACE_MS.
  void inner.stopped.then((s) => {
    if (stopping.signal.aborted) return
    if (left || s.reason === 'left') {
      left = true
      cancelLeaveGrace = (deps.schedule ?? realSchedule)(() => finish(0), RPC_LEAVE_GRACE_MS)
      return
    }
    if (s.error !== undefined) log.err('agent', `Node stopped (${s.reason}): ${s.error.message} (${s.error.code})`)
    finish(s.reason === 'failed' ? 1 : 0)
  })

  const stop = async (code: number): Promise<number> => {
    stopping.abort()
    deps.idleGc?.stop()
    retry?.stop()
    cancelLeaveGrace()
    if (!left && code !== 0) log.warn('serf', 'Shutdown without a Leave')
    await handlers.stop()
    await rpc?.close().catch((err: unknown) => log.err('agent', `RPC close failed: ${(err as Error).message}`))
    await metrics?.close()
    await inner.shutdown().catch((err: unknown) => log.err('agent', `Shutdown failed: ${(err as Error).message}`))
    await Promise.all([nodeLogs, events, workers.done])
    log.close()
    return code
  }

  say('Starting Serf agent RPC...')
  try {
    rpc = await deps.startRpcServer({
      node,
      addr: config.rpcAddr,
      authKey: config.rpcAuth,
      eventHandlers: handlerMap,
      userEventSizeLimit: config.userEventSizeLimit,
      log: (line) => log.accept(line),
      onLeave: () => finish(0),
      assignments: workers.lookup,
      agentStats: () => ({
        ...(deps.tiering === undefined ? {} : tieringStats(deps.tiering.state())),
        ...(deps.idleGc === undefined ? {} : idleGcStats(deps.idleGc.stats())),
      }),
    })
  } catch (err) {
    say(`Error starting RPC listener: ${(err as Error).message}`)
    return stop(1)
  }
  if (config.metricsAddr !== undefined) {
    // Loaded only when asked for: prom-client and http cost memory an agent without metrics should not pay.
    const { NodeMetrics } = await import('./metrics/node-metrics.ts')
    const { startMetricsServer } = await import('./metrics/metrics-server.ts')
    const m = new NodeMetrics()
    try {
      metrics = await startMetricsServer(config.metricsAddr, () => m.scrape(inner, handlers), m.registry.contentType)
    } catch (err) {
      say(`Error starting metrics listener: ${(err as Error).message}`)
      return stop(1)
    }
  }
  for (const line of runningBanner(config, { bindAddr: inner.address, rpcAddr: rpc.address ?? config.rpcAddr, metricsAddr: metrics?.address, uiUrl: inner.inspectUrl })) {
    io.out(line)
  }
  if (config.startJoin.length > 0) {
    say(`Joining cluster...(replay: ${config.replayOnJoin})`)
    try {
      const n = await inner.join(config.startJoin, { replay: config.replayOnJoin })
      io.out(`    Join completed. Synced with ${n} initial agents`)
    } catch (err) {
      say((err as Error).message)
      return stop(1)
    }
  }
  io.out('')
  say('Log data will now stream in as it occurs:')
  io.out('')
  log.openGate()
  if (config.retryJoin.length > 0) {
    retry = startRetryJoin({
      node: inner,
      addresses: config.retryJoin,
      replay: config.replayOnJoin,
      maxAttempts: config.retryMaxAttempts,
      intervalMs: config.retryIntervalMs,
      log,
      schedule: deps.schedule ?? realSchedule,
      onExhausted: () => finish(1),
    })
  }

  const code = await waitForShutdown({
    signals: deps.signals ?? processSignals(),
    finished,
    config: () => config,
    say,
    leave: async () => {
      await inner.leave()
      left = true
    },
    reload: async () => {
      config = await reloadConfig(argv, config, { node, handlers, log, say, hostname: deps.hostname })
      for (const k of Object.keys(handlerMap)) delete handlerMap[k]
      Object.assign(handlerMap, handlersStats(config.eventScripts))
    },
    schedule: deps.schedule ?? realSchedule,
    listening: () => {
      deps.tiering?.running(config.placement)
      if (config.idleGc === 'on') deps.idleGc?.start()
      deps.onRunning?.({ node, metricsAddr: metrics?.address, handlers, log, config })
    },
  }).catch((err: unknown) => {
    // Never leave the node running behind an unexpected failure of the wait (e.g. a reload bug).
    say(`Error: ${(err as Error).message}`)
    return 1
  })
  return stop(code)
}

function processSignals(): SignalSource {
  return {
    on: (signal, fn) => void process.on(signal, fn),
    off: (signal, fn) => void process.off(signal, fn),
  }
}
