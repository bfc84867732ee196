/**
 * Serf's agent RPC server on TCP (serf-rpc.md): the one file of src/rpc that touches sockets.
 * Each accepted connection gets a FrameSplitter (msgpack objects, bounded by `maxFrameBytes`) and
 * an RpcSession (the command logic); this file only moves bytes, applies the connection limit,
 * pauses a socket whose client pipelines faster than its commands run, and closes everything at
 * `close()` (every session's streams are aborted and awaited, so no iterator outlives the server).
 */
import type { GossamerCommandContext } from './gossamer-commands.ts'
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { availableParallelism, cpus } from 'node:os'
import type { GossamerNode, LogLine } from '../node/api.ts'
import { newCounters } from './counters.ts'
import type { RpcCounters } from './counters.ts'
import { RpcError } from './errors.ts'
import { DEFAULT_SERVER_MAX_FRAME_BYTES, FrameSplitter } from './frames.ts'
import type { RuntimeFacts } from './records.ts'
import { DEFAULT_USER_EVENT_SIZE_LIMIT, RpcSession } from './session.ts'
import { parseHostPort } from './address.ts'

/** Default bound on simultaneous RPC connections (Serf has none; we refuse past this, counted). */
export const DEFAULT_MAX_CONNECTIONS = 128
/** Default time a new connection has to complete the handshake (ms). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000
/** Request objects queued on one connection before its socket is paused. */
const MAX_QUEUED_FRAMES = 64
/** After close(), how long a connection may take to flush before it is destroyed (ms). */
const FLUSH_ON_CLOSE_MS = 1000
/**
 * After the reply to a `leave`, how long the server waits for that client to close its side before
 * it closes every connection and the agent exits (ms). Serf's client waits for a reply and for its
 * connection's end in one Go select: when both are ready, either may win, so a server that closes
 * right after the reply made `serf leave` print "Error leaving: client closed" now and then (seen
 * once in a full test run). The client closes as soon as it has read the reply.
 */
const LEAVE_GRACE_MS = 500

export interface RpcServerOptions {
  node: GossamerNode
  /** `host:port` to listen on; port 0 picks a free one. Serf's default is 127.0.0.1:7373. */
  addr: string
  /** Serf's rpc_auth: when set, every command but handshake/auth needs a matching `auth` first. */
  authKey?: string
  maxConnections?: number
  /** Largest request object (header or body) accepted, in bytes; bigger closes the connection. */
  maxFrameBytes?: number
  /**
   * A connection that has not completed the handshake after this many ms is closed (counted in
   * `handshakeTimeouts`). Serf has no such limit; without it, idle sockets could hold every slot
   * of `maxConnections`. Default 10 000 (Serf's own client handshakes at once).
   */
  handshakeTimeoutMs?: number
  /** The agent's own log lines (subsystem `agent.ipc`). */
  log?: (line: LogLine) => void
  /** Serf's user_event_size_limit (name + payload bytes). Default 512. */
  userEventSizeLimit?: number
  /** The agent's event handlers for `stats` (`"<event>:<name>"` -> script). Default none. */
  eventHandlers?: Readonly<Record<string, string>>
  /** More keys for `stats`' `agent` section, read at each `stats` (the agent's tiering). Default none. */
  agentStats?: () => Readonly<Record<string, string>>
  /** Called after a successful RPC `leave` was answered and every connection closed: the agent exits. */
  onLeave?: () => void
  /** The agent's worker assignments by group, for Gossamer's `gossamer-assignments` command. */
  assignments?: GossamerCommandContext['assignments']
}

export interface RpcServer {
  /** The bound `host:port` (with the real port when 0 was asked). */
  readonly address: string
  /** Counters of connections, refusals and records (a copy). */
  stats(): RpcCounters
  /** Stops listening, closes every connection, ends every stream; idempotent. */
  close(): Promise<void>
}

export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const { host, port } = parseHostPort(options.addr, 'addr')
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_SERVER_MAX_FRAME_BYTES
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
  if (!Number.isInteger(handshakeTimeoutMs) || handshakeTimeoutMs < 1) throw new RpcError('ERR_RPC_BAD_ARGUMENT', `handshakeTimeoutMs must be a positive integer (got ${handshakeTimeoutMs})`)
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new RpcError('ERR_RPC_BAD_ARGUMENT', `maxConnections must be a positive integer (got ${maxConnections})`)
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 64) throw new RpcError('ERR_RPC_BAD_ARGUMENT', `maxFrameBytes must be an integer of at least 64 (got ${maxFrameBytes})`)
  const counters = newCounters()
  const sockets = new Map<Socket, { session: RpcSession; forceClose(): void }>()
  const log = (level: LogLine['level'], message: string): void => {
    const colon = message.indexOf(': ')
    options.log?.({ level, time: Date.now(), subsystem: colon > 0 ? message.slice(0, colon) : 'agent.ipc', message: colon > 0 ? message.slice(colon + 2) : message })
  }
  let closing: Promise<void> | undefined
  const runtime = (): RuntimeFacts => ({
    os: process.platform,
    arch: process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch,
    version: `node${process.versions.node}`,
    maxProcs: availableParallelism(),
    threads: 1,
    cpuCount: cpus().length,
  })

  const server: Server = createServer({ noDelay: true })
  server.on('connection', (socket) => {
    if (closing !== undefined || sockets.size >= maxConnections) {
      counters.connectionsRefused++
      log('warn', `agent.ipc: refusing client ${socket.remoteAddress}:${socket.remotePort}: ${sockets.size} of ${maxConnections} connections open`)
      socket.destroy()
      return
    }
    accept(socket)
  })

  function accept(socket: Socket): void {
    counters.connectionsAccepted++
    counters.connectionsOpen++
    const remote = `${socket.remoteAddress}:${socket.remotePort}`
    log('info', `agent.ipc: Accepted client: ${remote}`)
    const splitter = new FrameSplitter(maxFrameBytes)
    let gone = false
    const session = new RpcSession(
      {
        node: options.node,
        authKey: options.authKey ?? '',
        counters,
        userEventSizeLimit: options.userEventSizeLimit ?? DEFAULT_USER_EVENT_SIZE_LIMIT,
        eventHandlers: options.eventHandlers ?? {},
        runtime,
        now: Date.now,
        log,
        onLeave: () => void clientGone(socket, LEAVE_GRACE_MS).then(shutdown).then(() => options.onLeave?.()),
        ...(options.assignments === undefined ? {} : { assignments: options.assignments }),
        ...(options.agentStats === undefined ? {} : { agentStats: options.agentStats }),
      },
      {
        remote,
        consumed: () => {
          if (socket.isPaused() && !gone && session.backlog < MAX_QUEUED_FRAMES / 2) socket.resume()
        },
        close: () => socket.end(),
        send: (bytes) =>
          new Promise<void>((resolve) => {
            if (gone || socket.destroyed) return resolve()
            // A full socket buffer makes the writer wait: the node's bounded stream drops and counts.
            if (socket.write(bytes)) resolve()
            else {
              const done = (): void => {
                socket.off('drain', done)
                socket.off('close', done)
                resolve()
              }
              socket.on('drain', done)
              socket.on('close', done)
            }
          }),
      },
    )
    sockets.set(socket, { session, forceClose: () => {
      // A client that does not read keeps a half-closed socket: destroy it after a short flush.
      killTimer = setTimeout(() => socket.destroy(), FLUSH_ON_CLOSE_MS)
    } })
    let killTimer: NodeJS.Timeout | undefined
    const handshakeTimer = setTimeout(() => {
      if (session.isHandshaken) return
      counters.handshakeTimeouts++
      log('warn', `agent.ipc: closing client ${remote}: no handshake within ${handshakeTimeoutMs} ms`)
      socket.destroy()
    }, handshakeTimeoutMs)
    const loop = session.run().finally(() => socket.end())
    void loop
    socket.on('data', (chunk: Buffer) => {
      splitter.push(chunk)
      try {
        for (let frame = splitter.next(); frame !== undefined; frame = splitter.next()) session.push(frame)
      } catch (err) {
        const code = err instanceof RpcError ? err.code : 'ERR_RPC_DECODE'
        if (code === 'ERR_RPC_FRAME_TOO_LARGE') counters.framesTooLarge++
        else counters.decodeFailures++
        log('error', `agent.ipc: Failed to evaluate request: ${(err as Error).message}`)
        socket.destroy()
        return
      }
      if (session.backlog >= MAX_QUEUED_FRAMES) socket.pause()
    })
    socket.on('error', () => {
      // ECONNRESET and the like: the close handler below ends the session.
    })
    socket.on('close', () => {
      gone = true
      clearTimeout(killTimer)
      clearTimeout(handshakeTimer)
      session.end()
      if (sockets.delete(socket)) counters.connectionsOpen--
    })
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new RpcError('ERR_RPC_LISTEN', `Error starting RPC listener: listen tcp ${options.addr}: ${err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message}`, { cause: err }))
    }
    server.once('error', onError)
    server.listen({ host, port }, () => {
      server.off('error', onError)
      resolve()
    })
  })
  server.on('error', (err) => log('error', `agent.ipc: listener error: ${err.message}`))
  const bound = server.address()
  const address = typeof bound === 'object' && bound !== null ? (bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`) : options.addr

  /** Resolves when `socket`'s peer closed its side (or the socket is gone), or after `ms`. */
  function clientGone(socket: Socket, ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (socket.destroyed || socket.readableEnded) return resolve()
      const done = (): void => {
        clearTimeout(timer)
        socket.off('end', done)
        socket.off('close', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      socket.once('end', done)
      socket.once('close', done)
    })
  }

  function shutdown(): Promise<void> {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      const sessions = [...sockets.entries()]
      for (const [socket, entry] of sessions) {
        entry.session.end()
        socket.end()
        entry.forceClose()
      }
      await Promise.all(sessions.map(([, s]) => s.session.settled()))
      await closed
    })()
    return closing
  }

  return {
    address,
    stats: () => ({ ...counters }),
    close: shutdown,
  }
}
