/**
 * One RPC connection's stream registry: the event streams it opened (by Seq), its monitor (at
 * most one), its running queries, and the query-ID table that `respond` reads. Each stream is a
 * background pump from a node-side iterator to the connection, so its records are written between
 * commands. Separate from session.ts because the command loop and the rules of a request
 * (handshake, auth, dispatch) do not depend on what a stream holds, and `end()` here is the single
 * place that aborts everything the connection still owns.
 *
 * `send` resolves once the bytes are written, so a slow client slows only its own pumps and the
 * node's bounded streams count what they drop (added to `recordsDroppedByNode` as a pump ends).
 */
import type { GossamerNode, LogLine, NodeEvent } from '../node/api.ts'
import type { RpcCounters } from './counters.ts'
import { SERF_ERRORS } from './errors.ts'
import { eventMatches, parseEventFilter } from './filters.ts'
import type { RequestBody, Seq } from './protocol.ts'
import { eventRecord, formatLogLine, parseLogLevel, queryRecord } from './records.ts'
import { encodeObjects } from './values.ts'
import type { OutValue } from './values.ts'
import { respondErrorText, settle } from './outcome.ts'
import { QueryIdTable } from './query-ids.ts'

/** Query IDs kept for `respond` per connection; past this the oldest is forgotten (counted). */
export const MAX_PENDING_QUERY_IDS = 4096

const USER_EVENT_PREFIX = '_serf_'

/** What the streams use of the session's context (session.ts's SessionContext extends it). */
export interface StreamsContext {
  node: GossamerNode
  counters: RpcCounters
  now(): number
  log(level: LogLine['level'], message: string): void
}

/** How the streams write to their connection. */
export interface StreamsOutput {
  /** A reply to the request `seq` (the session counts error replies). */
  reply(seq: Seq, error: string, body?: OutValue): Promise<void>
  /** Writes bytes; resolves once written (or at once when the connection is gone). */
  send(bytes: Uint8Array): Promise<void>
  /** `ip:port` of the client, for logs. */
  readonly remote: string
}

export class SessionStreams {
  private ended = false
  private readonly streams = new Map<string, AbortController>()
  private monitor: { seq: string; abort: AbortController } | null = null
  private readonly queries = new Set<AbortController>()
  private readonly pumps = new Set<Promise<void>>()
  private readonly queryIds = new QueryIdTable(MAX_PENDING_QUERY_IDS)

  constructor(
    private readonly ctx: StreamsContext,
    private readonly out: StreamsOutput,
  ) {}

  /** Aborts every stream, the monitor and every query, and forgets the query IDs. */
  end(): void {
    this.ended = true
    for (const c of this.streams.values()) c.abort()
    this.streams.clear()
    this.monitor?.abort.abort()
    this.monitor = null
    for (const c of this.queries) c.abort()
    this.queries.clear()
    this.queryIds.clear()
  }

  /** Resolves when every background pump has finished (after `end`). */
  async settled(): Promise<void> {
    while (this.pumps.size > 0) await Promise.allSettled([...this.pumps])
  }

  /** `stop`: ends the monitor or the event stream opened by the request `key` (either, if both). */
  stop(key: string): void {
    if (this.monitor !== null && this.monitor.seq === key) {
      this.monitor.abort.abort()
      this.monitor = null
    }
    this.streams.get(key)?.abort()
    this.streams.delete(key)
  }

  private async record(seq: Seq, body: OutValue): Promise<void> {
    if (this.ended) return
    this.ctx.counters.recordsSent++
    await this.out.send(encodeObjects({ Error: '', Seq: seq }, body))
  }

  private track(pump: Promise<void>): void {
    const p = pump.catch((err: unknown) => this.ctx.log('error', `agent.ipc: stream to ${this.out.remote} failed: ${(err as Error).message}`))
    this.pumps.add(p)
    void p.finally(() => this.pumps.delete(p))
  }

  async openStream(seq: Seq, filter: string): Promise<void> {
    const items = parseEventFilter(filter)
    if (items === undefined) return this.out.reply(seq, SERF_ERRORS.invalidFilter)
    const key = String(seq)
    if (this.streams.has(key)) return this.out.reply(seq, SERF_ERRORS.streamExists)
    const abort = new AbortController()
    // Opened before the acknowledgement but read only after it is written: no record precedes it.
    let events
    try {
      events = this.ctx.node.events({ filter: filter === '' ? '*' : filter, signal: abort.signal })
    } catch (err) {
      return this.out.reply(seq, (err as { code?: unknown }).code === 'ERR_INVALID_EVENT_FILTER' ? SERF_ERRORS.invalidFilter : (err as Error).message)
    }
    if (this.ended) return void abort.abort()
    this.streams.set(key, abort)
    this.ctx.counters.streamsOpened++
    await this.out.reply(seq, '')
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

  async respond(seq: Seq, b: RequestBody<'respond'>): Promise<void> {
    const id = b.ID <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b.ID) : -1
    const p = this.queryIds.lookup(id, this.ctx.now())
    if (p === undefined) return this.out.reply(seq, SERF_ERRORS.noPendingQuery)
    if (p.responded) return this.out.reply(seq, 'failed to respond to key query: response already sent')
    const r = await settle(this.ctx.node.respond(p.key, b.Payload))
    if (r.ok) {
      p.responded = true
      return this.out.reply(seq, '')
    }
    return this.out.reply(seq, respondErrorText(r))
  }

  async openMonitor(seq: Seq, level: string): Promise<void> {
    const parsed = parseLogLevel(level)
    if (parsed === undefined) return this.out.reply(seq, `Unknown log level: ${level.toUpperCase()}`)
    if (this.monitor !== null) return this.out.reply(seq, SERF_ERRORS.monitorExists)
    const abort = new AbortController()
    let lines
    try {
      lines = this.ctx.node.logs({ level: parsed, signal: abort.signal })
    } catch (err) {
      return this.out.reply(seq, (err as Error).message)
    }
    if (this.ended) return void abort.abort()
    this.monitor = { seq: String(seq), abort }
    this.ctx.counters.monitorsOpened++
    await this.out.reply(seq, '')
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

  async startQuery(seq: Seq, b: RequestBody<'query'>): Promise<void> {
    if (b.Name.startsWith(USER_EVENT_PREFIX) && !(b.Name === '_serf_ping' && b.Payload === null)) {
      return this.out.reply(seq, SERF_ERRORS.queryPrefix)
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
    if (!started.ok) return this.out.reply(seq, started.error)
    const stream = started.value
    if (this.ended) {
      // The connection went away while the query was being sent: nobody reads its results.
      stream.abort()
      return
    }
    this.queries.add(abort)
    this.ctx.counters.queriesStarted++
    await this.out.reply(seq, '')
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
