/**
 * One RPC connection's session: reads request objects in order, applies the session rules
 * (gate.ts), runs each command against the GossamerNode, and owns the connection's streams
 * (event streams by Seq, at most one monitor, running queries) and its query-ID table for
 * `respond`. It knows nothing of sockets: the server hands it decoded frames (`push`) and gives it
 * a `send` that resolves once the bytes are written (so a slow client slows its own streams, and
 * the node's bounded streams count what they drop), and a `close`.
 *
 * Commands run one at a time, as in Serf's agent: the next header is read after the handler
 * finished (a query's records and stream records are written by background pumps in between).
 * `end()` aborts every pump; their node-side iterators end through the AbortSignal.
 */
import type { GossamerNode, LogLine, NodeEvent } from '../node/api.ts'
import type { RpcCounters } from './counters.ts'
import { SERF_ERRORS } from './errors.ts'
import { eventMatches, parseEventFilter } from './filters.ts'
import { gateRequest } from './gate.ts'
import { COMMANDS, IPC_VERSION, decodeBody, decodeRequestHeader } from './protocol.ts'
import { isGossamerCommand, runGossamer, type GossamerCommandContext } from './gossamer-commands.ts'
import type { BodyCommand, CommandName, RequestBody, Seq } from './protocol.ts'
import { eventRecord, formatLogLine, parseLogLevel, queryRecord } from './records.ts'
import type { RuntimeFacts } from './records.ts'
import { encodeObjects } from './values.ts'
import type { OutValue } from './values.ts'
import { isStateless, runStateless } from './commands.ts'
import type { StatelessCommand } from './commands.ts'
import { respondErrorText, settle } from './outcome.ts'
import { QueryIdTable } from './query-ids.ts'

/** Query IDs kept for `respond` per connection; past this the oldest is forgotten (counted). */
export const MAX_PENDING_QUERY_IDS = 4096
/** Serf's default user_event_size_limit: name + payload bytes. */
export const DEFAULT_USER_EVENT_SIZE_LIMIT = 512

export interface SessionIo {
  /** Writes bytes; resolves once written (or at once when the connection is gone). */
  send(bytes: Uint8Array): Promise<void>
  /** Ends the connection. */
  close(): void
  /** `ip:port` of the client, for logs. */
  readonly remote: string
  /** Called each time the command loop took a queued object (the server resumes a paused socket). */
  consumed(): void
}

export interface SessionContext {
  node: GossamerNode
  /** Configured rpc_auth key; '' means no auth. */
  authKey: string
  counters: RpcCounters
  userEventSizeLimit: number
  eventHandlers: Readonly<Record<string, string>>
  runtime(): RuntimeFacts
  /** More keys for `stats`' `agent` section; absent: none. */
  agentStats?(): Readonly<Record<string, string>>
  now(): number
  log(level: LogLine['level'], message: string): void
  /** Called once the reply to a successful `leave` is written: the agent shuts down. */
  onLeave(): void
  /** The agent's worker assignments by group (Gossamer's `gossamer-assignments`); absent: none. */
  assignments?: GossamerCommandContext['assignments']
}

const USER_EVENT_PREFIX = '_serf_'

export class RpcSession {
  private readonly queue: Uint8Array[] = []
  private wake: (() => void) | null = null
  private ended = false
  private handshaken = false
  private authenticated = false
  private readonly streams = new Map<string, AbortController>()
  private monitor: { seq: string; abort: AbortController } | null = null
  private readonly queries = new Set<AbortController>()
  private readonly pumps = new Set<Promise<void>>()
  private readonly queryIds = new QueryIdTable(MAX_PENDING_QUERY_IDS)

  constructor(
    private readonly ctx: SessionContext,
    private readonly io: SessionIo,
  ) {}

  /** Whether the client completed the handshake (the server drops connections that never do). */
  get isHandshaken(): boolean {
    return this.handshaken
  }

  /** Request objects not yet read by the command loop (the server pauses the socket past a bound). */
  get backlog(): number {
    return this.queue.length
  }

  /** A complete msgpack object from the connection. */
  push(frame: Uint8Array): void {
    if (this.ended) return
    this.queue.push(frame)
    this.wakeUp()
  }

  /** The connection is gone (or is being closed): stop reading, abort every stream. */
  end(): void {
    if (this.ended) return
    this.ended = true
    for (const c of this.streams.values()) c.abort()
    this.streams.clear()
    this.monitor?.abort.abort()
    this.monitor = null
    for (const c of this.queries) c.abort()
    this.queries.clear()
    this.queryIds.clear()
    this.wakeUp()
  }

  /** Resolves when every background pump of this session has finished (after `end`). */
  async settled(): Promise<void> {
    while (this.pumps.size > 0) await Promise.allSettled([...this.pumps])
  }

  /** The command loop; resolves when the connection ends. Never rejects. */
  async run(): Promise<void> {
    try {
      for (;;) {
        const frame = await this.next()
        if (frame === undefined) return
        if (!(await this.handle(frame))) {
          this.io.close()
          this.end()
          return
        }
      }
    } catch (err) {
      // A bug in a handler must not crash the process: log it and close this connection only.
      this.ctx.log('error', `agent.ipc: connection ${this.io.remote} failed: ${(err as Error).message}`)
      this.io.close()
      this.end()
    }
  }

  private wakeUp(): void {
    const w = this.wake
    this.wake = null
    w?.()
  }

  private async next(): Promise<Uint8Array | undefined> {
    while (this.queue.length === 0) {
      if (this.ended) return undefined
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
    if (this.ended) return undefined
    const frame = this.queue.shift()
    this.io.consumed()
    return frame
  }

  private refuse(what: string, err: unknown): false {
    this.ctx.counters.decodeFailures++
    this.ctx.log('error', `agent.ipc: Failed to evaluate request: ${what}: ${err instanceof Error ? err.message : String(err)}`)
    return false
  }

  /** Handles one request; false means close the connection. */
  private async handle(frame: Uint8Array): Promise<boolean> {
    let header
    try {
      header = decodeRequestHeader(frame)
    } catch (err) {
      return this.refuse('decode failed', err)
    }
    this.ctx.counters.requests++
    const gate = gateRequest({ handshaken: this.handshaken, authenticated: this.authenticated, authRequired: this.ctx.authKey !== '' }, header.command)
    if (gate.type === 'reject') {
      this.ctx.counters[gate.counter]++
      if (gate.skipBody && (await this.next()) === undefined) return false
      this.ctx.log('error', `agent.ipc: Failed to evaluate request: ${gate.counter === 'unknownCommands' ? `command '${header.command}' not recognized` : gate.error}`)
      await this.reply(header.seq, gate.error)
      return !gate.close
    }
    const command = header.command as CommandName
    if (!COMMANDS[command]) return this.runNoBody(command as 'members' | 'leave' | 'list-keys' | 'stats', header.seq)
    const bodyFrame = await this.next()
    if (bodyFrame === undefined) return false
    let body
    try {
      body = decodeBody(command as BodyCommand, bodyFrame)
    } catch (err) {
      return this.refuse('decode failed', err)
    }
    return this.runWithBody(command as BodyCommand, header.seq, body)
  }

  private async reply(seq: Seq, error: string, body?: OutValue): Promise<void> {
    if (error !== '') this.ctx.counters.errorReplies++
    const head = { Error: error, Seq: seq }
    await this.io.send(body === undefined ? encodeObjects(head) : encodeObjects(head, body))
  }

  private async record(seq: Seq, body: OutValue): Promise<void> {
    if (this.ended) return
    this.ctx.counters.recordsSent++
    await this.io.send(encodeObjects({ Error: '', Seq: seq }, body))
  }

  private async runNoBody(command: 'members' | 'leave' | 'list-keys' | 'stats', seq: Seq): Promise<boolean> {
    if (command !== 'leave') return this.runStatelessCommand(command, seq, undefined)
    const r = await settle(this.ctx.node.leave())
    await this.reply(seq, r.ok ? '' : r.error)
    this.ctx.onLeave()
    return true
  }

  private async runStatelessCommand(command: StatelessCommand, seq: Seq, body: unknown): Promise<boolean> {
    const out = await runStateless(command, body as never, this.ctx)
    if (out.type === 'close') {
      this.ctx.counters.badPatterns++
      this.ctx.log('error', `agent.ipc: Failed to evaluate request: ${out.reason}`)
      return false
    }
    await this.reply(seq, out.error, out.body)
    return true
  }

  private async runWithBody<C extends BodyCommand>(command: C, seq: Seq, raw: RequestBody<C>): Promise<boolean> {
    if (isStateless(command)) return this.runStatelessCommand(command, seq, raw)
    if (isGossamerCommand(command)) {
      const out = await runGossamer(command, raw as RequestBody<'gossamer-leader'>, this.ctx)
      await this.reply(seq, out.error, out.body)
      return true
    }
    switch (command) {
      case 'handshake': {
        const b = raw as RequestBody<'handshake'>
        if (Number(b.Version) !== IPC_VERSION) await this.reply(seq, SERF_ERRORS.unsupportedVersion)
        else if (this.handshaken) await this.reply(seq, SERF_ERRORS.duplicateHandshake)
        else {
          this.handshaken = true
          await this.reply(seq, '')
        }
        return true
      }
      case 'auth': {
        const b = raw as RequestBody<'auth'>
        if (b.AuthKey !== this.ctx.authKey) {
          this.ctx.counters.authFailures++
          await this.reply(seq, SERF_ERRORS.invalidAuthToken)
        } else {
          this.authenticated = true
          await this.reply(seq, '')
        }
        return true
      }
      case 'stream':
        await this.openStream(seq, (raw as RequestBody<'stream'>).Type)
        return true
      case 'monitor':
        await this.openMonitor(seq, (raw as RequestBody<'monitor'>).LogLevel)
        return true
      case 'stop': {
        const key = String((raw as RequestBody<'stop'>).Stop)
        if (this.monitor !== null && this.monitor.seq === key) {
          this.monitor.abort.abort()
          this.monitor = null
        }
        this.streams.get(key)?.abort()
        this.streams.delete(key)
        await this.reply(seq, '')
        return true
      }
      case 'query': {
        const b = raw as RequestBody<'query'>
        // Go decodes RelayFactor into a uint8: a larger value fails the decode (connection closed).
        if (typeof b.RelayFactor !== 'number' || b.RelayFactor < 0 || b.RelayFactor > 255) return this.refuse('decode failed', `RelayFactor ${b.RelayFactor} does not fit uint8`)
        await this.startQuery(seq, b)
        return true
      }
      case 'respond':
        await this.respond(seq, raw as RequestBody<'respond'>)
        return true
    }
    return true
  }

  private track(pump: Promise<void>): void {
    const p = pump.catch((err: unknown) => this.ctx.log('error', `agent.ipc: stream to ${this.io.remote} failed: ${(err as Error).message}`))
    this.pumps.add(p)
    void p.finally(() => this.pumps.delete(p))
  }

  private async openStream(seq: Seq, filter: string): Promise<void> {
    const items = parseEventFilter(filter)
    if (items === undefined) return this.reply(seq, SERF_ERRORS.invalidFilter)
    const key = String(seq)
    if (this.streams.has(key)) return this.reply(seq, SERF_ERRORS.streamExists)
    const abort = new AbortController()
    // Opened before the acknowledgement but read only after it is written: no record precedes it.
    let events
    try {
      events = this.ctx.node.events({ filter: filter === '' ? '*' : filter, signal: abort.signal })
    } catch (err) {
      return this.reply(seq, (err as { code?: unknown }).code === 'ERR_INVALID_EVENT_FILTER' ? SERF_ERRORS.invalidFilter : (err as Error).message)
    }
    if (this.ended) return void abort.abort()
    this.streams.set(key, abort)
    this.ctx.counters.streamsOpened++
    await this.reply(seq, '')
    if (abort.signal.aborted) return
    this.track(
      (async () => {
        try {
          for await (const event of events) {
            if (abort.signal.aborted || this.ended) break
            if (!eventMatches(items, event)) continue
            await this.record(seq, eventRecord(event, event.type === 'query' ? this.registerQuery(event) : 0))
          }
        } finally {
          this.ctx.counters.recordsDroppedByNode += events.dropped
        }
      })(),
    )
  }

  /** Gives a received query this connection's next ID and keeps it for `respond` until its deadline. */
  private registerQuery(event: Extract<NodeEvent, { type: 'query' }>): number {
    const { id, evicted } = this.queryIds.register(event.key, event.deadline, this.ctx.now())
    if (evicted) this.ctx.counters.queryIdsEvicted++
    return id
  }

  private async respond(seq: Seq, b: RequestBody<'respond'>): Promise<void> {
    const id = b.ID <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b.ID) : -1
    const p = this.queryIds.lookup(id, this.ctx.now())
    if (p === undefined) return this.reply(seq, SERF_ERRORS.noPendingQuery)
    if (p.responded) return this.reply(seq, 'failed to respond to key query: response already sent')
    const r = await settle(this.ctx.node.respond(p.key, b.Payload))
    if (r.ok) {
      p.responded = true
      return this.reply(seq, '')
    }
    return this.reply(seq, respondErrorText(r))
  }

  private async openMonitor(seq: Seq, level: string): Promise<void> {
    const parsed = parseLogLevel(level)
    if (parsed === undefined) return this.reply(seq, `Unknown log level: ${level.toUpperCase()}`)
    if (this.monitor !== null) return this.reply(seq, SERF_ERRORS.monitorExists)
    const abort = new AbortController()
    let lines
    try {
      lines = this.ctx.node.logs({ level: parsed, signal: abort.signal })
    } catch (err) {
      return this.reply(seq, (err as Error).message)
    }
    if (this.ended) return void abort.abort()
    this.monitor = { seq: String(seq), abort }
    this.ctx.counters.monitorsOpened++
    await this.reply(seq, '')
    if (abort.signal.aborted) return
    this.track(
      (async () => {
        try {
          for await (const line of lines) {
            if (abort.signal.aborted || this.ended) break
            await this.record(seq, { Log: formatLogLine(line) })
          }
        } finally {
          this.ctx.counters.recordsDroppedByNode += lines.dropped
        }
      })(),
    )
  }

  private async startQuery(seq: Seq, b: RequestBody<'query'>): Promise<void> {
    if (b.Name.startsWith(USER_EVENT_PREFIX) && !(b.Name === '_serf_ping' && b.Payload === null)) {
      return this.reply(seq, SERF_ERRORS.queryPrefix)
    }
    const relay = Number(b.RelayFactor)
    const timeoutNs = typeof b.Timeout === 'bigint' ? b.Timeout : BigInt(b.Timeout)
    const abort = new AbortController()
    const started = await settle(
      this.ctx.node.query(b.Name, b.Payload, {
        filterNodes: b.FilterNodes,
        filterTags: b.FilterTags,
        requestAck: b.RequestAck,
        relayFactor: relay,
        ...(timeoutNs > 0n ? { timeoutMs: Number(timeoutNs / 1_000_000n) || 1 } : {}),
        signal: abort.signal,
      }),
    )
    if (!started.ok) return this.reply(seq, started.error)
    const stream = started.value
    if (this.ended) {
      // The connection went away while the query was being sent: nobody reads its results.
      stream.abort()
      return
    }
    this.queries.add(abort)
    this.ctx.counters.queriesStarted++
    await this.reply(seq, '')
    this.track(
      (async () => {
        try {
          for await (const result of stream) {
            if (this.ended) break
            if (result.from === '') continue
            await this.record(seq, queryRecord(result))
          }
          await this.record(seq, queryRecord({ type: 'done' }))
        } finally {
          this.queries.delete(abort)
          this.ctx.counters.recordsDroppedByNode += stream.dropped
          stream.abort()
        }
      })(),
    )
  }
}
