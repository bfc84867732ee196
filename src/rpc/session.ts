/**
 * One RPC connection's session: its command loop. It reads request objects in order, applies the
 * session rules (gate.ts), decodes each body and dispatches the command: stateless ones to
 * commands.ts, Gossamer's to gossamer-commands.ts, handshake/auth here, and those that open or
 * end a stream (stream, monitor, stop, query, respond) to the connection's stream registry
 * (session-streams.ts). It knows nothing of sockets: the server hands it decoded frames (`push`)
 * and gives it a `send` that resolves once the bytes are written, and a `close`.
 *
 * Commands run one at a time, as in Serf's agent: the next header is read after the handler
 * finished (a query's records and stream records are written by background pumps in between).
 * `end()` stops the loop and aborts every pump; their node-side iterators end through the AbortSignal.
 */
import { SERF_ERRORS } from './errors.ts'
import { gateRequest } from './gate.ts'
import { COMMANDS, IPC_VERSION, decodeBody, decodeRequestHeader } from './protocol.ts'
import { isGossamerCommand, runGossamer, type GossamerCommandContext } from './gossamer-commands.ts'
import type { BodyCommand, CommandName, RequestBody, Seq } from './protocol.ts'
import type { RuntimeFacts } from './records.ts'
import { encodeObjects } from './values.ts'
import type { OutValue } from './values.ts'
import { isStateless, runStateless } from './commands.ts'
import type { StatelessCommand } from './commands.ts'
import { settle } from './outcome.ts'
import { SessionStreams, type StreamsContext } from './session-streams.ts'

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

export interface SessionContext extends StreamsContext {
  /** Configured rpc_auth key; '' means no auth. */
  authKey: string
  userEventSizeLimit: number
  eventHandlers: Readonly<Record<string, string>>
  runtime(): RuntimeFacts
  /** More keys for `stats`' `agent` section; absent: none. */
  agentStats?(): Readonly<Record<string, string>>
  /** Called once the reply to a successful `leave` is written: the agent shuts down. */
  onLeave(): void
  /** The agent's worker assignments by group (Gossamer's `gossamer-assignments`); absent: none. */
  assignments?: GossamerCommandContext['assignments']
}

export class RpcSession {
  private readonly queue: Uint8Array[] = []
  private wake: (() => void) | null = null
  private ended = false
  private handshaken = false
  private authenticated = false
  private readonly streams: SessionStreams

  constructor(
    private readonly ctx: SessionContext,
    private readonly io: SessionIo,
  ) {
    this.streams = new SessionStreams(ctx, {
      reply: (seq, error, body) => this.reply(seq, error, body),
      send: (bytes) => io.send(bytes),
      remote: io.remote,
    })
  }

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
    this.streams.end()
    this.wakeUp()
  }

  /** Resolves when every background pump of this session has finished (after `end`). */
  async settled(): Promise<void> {
    await this.streams.settled()
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
        await this.streams.openStream(seq, (raw as RequestBody<'stream'>).Type)
        return true
      case 'monitor':
        await this.streams.openMonitor(seq, (raw as RequestBody<'monitor'>).LogLevel)
        return true
      case 'stop': {
        this.streams.stop(String((raw as RequestBody<'stop'>).Stop))
        await this.reply(seq, '')
        return true
      }
      case 'query': {
        const b = raw as RequestBody<'query'>
        // Go decodes RelayFactor into a uint8: a larger value fails the decode (connection closed).
        if (typeof b.RelayFactor !== 'number' || b.RelayFactor < 0 || b.RelayFactor > 255) return this.refuse('decode failed', `RelayFactor ${b.RelayFactor} does not fit uint8`)
        await this.streams.startQuery(seq, b)
        return true
      }
      case 'respond':
        await this.streams.respond(seq, raw as RequestBody<'respond'>)
        return true
    }
    return true
  }
}
