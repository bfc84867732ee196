/**
 * The live page server (node:http, no framework): GET / is the page, GET /events the stream of
 * live-protocol.ts messages (Server-Sent Events), GET /state.json the same facts at once, anything
 * else 404 (405 for another method). Only Host headers naming the listening address or localhost
 * are served unless allowRemote (a loopback page must not be readable through DNS rebinding).
 *
 * The runtime's inspection is subscribed only while at least one stream client is connected, and
 * so are the timers (the flush of coalesced transitions, the reads of figures and members): with
 * nobody watching, the server holds a listening socket and nothing else. close() ends every
 * client, timer and socket.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ActorClock } from '../../types/time.ts'
import type { Unsubscribe } from '../../runtime/types.ts'
import type { RenderedChart } from '../render-html.ts'
import type { LiveConfig } from './live-config.ts'
import { InspectListenError } from './live-errors.ts'
import { LiveModel } from './live-model.ts'
import type { ActorFigures, LiveMsg, LiveServerStats, MemberRow } from './live-protocol.ts'
import type { LiveSource } from './live-source.ts'
import { renderLivePage } from './live-page.ts'
import { SseHub } from './sse-hub.ts'
import { pathIndex, type PathIndex } from './state-paths.ts'
import { catalogOrder, liveCharts } from './live-charts.ts'

const realClock: ActorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
}

export interface LiveServerDeps {
  /** Timers and time (default: real). Tests pass a SimulatedClock. */
  clock?: ActorClock
  /** The charts of the named actors the catalog knows (default: laid out with elkjs, once). */
  charts?: (actors: readonly string[]) => Promise<Map<string, RenderedChart>>
}

const SECURITY_HEADERS = {
  // Nothing leaves the machine: the page may only talk to its own origin.
  'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS, ...headers })
  res.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } }
}

export class LiveServer {
  /** Starts listening; rejects with InspectListenError (ERR_INSPECT_LISTEN) when it cannot. */
  static async start(source: LiveSource, config: LiveConfig, deps: LiveServerDeps = {}): Promise<LiveServer> {
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      const onError = (err: unknown): void => reject(new InspectListenError(`${config.host}:${config.port}`, err))
      server.once('error', onError)
      server.listen({ host: config.host, port: config.port, exclusive: true }, () => {
        server.off('error', onError)
        resolve()
      })
    })
    return new LiveServer(server, source, config, deps)
  }

  readonly url: string
  readonly port: number
  readonly #server: Server
  readonly #source: LiveSource
  readonly #config: LiveConfig
  readonly #clock: ActorClock
  readonly #chartsOf: (actors: readonly string[]) => Promise<Map<string, RenderedChart>>
  readonly #indexes = new Map<string, PathIndex>()
  readonly #model: LiveModel
  readonly #hub: SseHub
  #page: Promise<string> | undefined
  #unsubscribe: Unsubscribe | undefined
  #flushTimer: unknown
  #pollTimer: unknown
  #polling = false
  #pollErrors = 0
  #lastSentAt = 0
  #figures: ActorFigures[] = []
  #members: MemberRow[] | null = null
  #membersJson = ''
  #closed: Promise<void> | undefined
  readonly #hosts: Set<string>

  private constructor(server: Server, source: LiveSource, config: LiveConfig, deps: LiveServerDeps) {
    this.#server = server
    this.#source = source
    this.#config = config
    this.#clock = deps.clock ?? realClock
    this.#chartsOf = deps.charts ?? liveCharts
    const { port } = server.address() as AddressInfo
    this.port = port
    const hostText = config.host.includes(':') ? `[${config.host}]` : config.host
    this.url = `http://${hostText}:${port}/`
    this.#hosts = new Set([`${hostText}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`])
    this.#model = new LiveModel(config.limits, this.#indexes)
    this.#hub = new SseHub(config.limits, (active) => (active ? this.#watch() : this.#unwatch()))
    server.on('request', (req, res) => this.#route(req, res))
    // A malformed request gets its socket closed, not an exception.
    server.on('clientError', (_err, socket) => socket.destroy())
  }

  /** The server's own accounting; each figure the page's footer shows. */
  stats(): LiveServerStats {
    const m = this.#model.stats
    const h = this.#hub.counters
    return {
      clients: this.#hub.size,
      accepted: h.accepted,
      refused: h.refused,
      dropped: h.dropped,
      observed: m.observed,
      coalesced: m.coalesced,
      untracked: m.untracked,
      pollErrors: this.#pollErrors,
      inspecting: this.#unsubscribe !== undefined,
      bytesSent: h.bytesSent,
    }
  }

  /** How much the model holds now (each bounded by a limit). */
  sizes(): { actors: number; kept: number; pending: number; clients: number } {
    return { ...this.#model.sizes(), clients: this.#hub.size }
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closed !== undefined) {
      res.destroy()
      return
    }
    if (!this.#config.allowRemote && !this.#hosts.has(req.headers.host ?? '')) {
      sendJson(res, 403, errorBody('ERR_INSPECT_HOST', `this page answers only to ${[...this.#hosts].join(', ')}`))
      return
    }
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, errorBody('ERR_INSPECT_METHOD', `${req.method} is not allowed; the live page only reads`), { allow: 'GET, HEAD' })
      return
    }
    switch (path) {
      case '/':
        void this.#servePage(res)
        return
      case '/events':
        if (req.method === 'HEAD') {
          // A HEAD is not a stream client: headers only, no seat taken.
          res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' })
          res.end()
          return
        }
        if (this.#hub.admit(req, res)) this.#hub.sendTo(res, this.#snapshot())
        return
      case '/state.json':
        sendJson(res, 200, { ...this.#snapshot(), type: undefined })
        return
      case '/favicon.ico':
        res.writeHead(204, SECURITY_HEADERS)
        res.end()
        return
      default:
        sendJson(res, 404, errorBody('ERR_INSPECT_NOT_FOUND', `no such page: ${path}; the live page is at /`))
    }
  }

  async #servePage(res: ServerResponse): Promise<void> {
    try {
      const html = await this.#pageHtml()
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS })
      res.end(html)
    } catch (err) {
      // The page could not be drawn (a chart that did not lay out): say so, coded, and try again next time.
      this.#page = undefined
      const e = err as { code?: string; message?: string }
      if (!res.headersSent) sendJson(res, 500, errorBody(e.code ?? 'ERR_INTERNAL', e.message ?? String(err)))
    }
  }

  /** The page, drawn once: the charts of the actors that run when it is first asked for. */
  #pageHtml(): Promise<string> {
    this.#page ??= (async () => {
      const actors = catalogOrder(await this.#source.actors())
      const charts = await this.#chartsOf(actors)
      for (const [id, chart] of charts) this.#indexes.set(id, pathIndex(chart.graph))
      // States already sent went without their chart ids: send them again.
      this.#model.touchAll()
      return renderLivePage({ node: this.#source.node, address: this.#source.address, actors, charts })
    })()
    return this.#page
  }

  #snapshot(): LiveMsg & { type: 'snapshot' } {
    return {
      type: 'snapshot',
      node: this.#source.node,
      address: this.#source.address,
      actors: this.#model.actors(),
      transitions: this.#model.transitions(),
      figures: this.#figures,
      members: this.#members,
      server: this.stats(),
    }
  }

  /** The first client came: inspect, read the states and start the timers. */
  #watch(): void {
    const model = this.#model
    this.#unsubscribe = this.#source.inspect((e) => model.observe(e))
    this.#lastSentAt = this.#clock.now()
    void this.#source.states().then(
      (states) => {
        for (const [id, value] of states) model.seed(id, value)
      },
      () => void this.#pollErrors++,
    )
    this.#flushTimer = this.#clock.setTimeout(this.#flushTick, this.#config.limits.flushIntervalMs)
    this.#pollTimer = this.#clock.setTimeout(this.#pollTick, 0)
  }

  /** The last client left: inspection off, no timer. */
  #unwatch(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    this.#model.unseen()
    this.#clock.clearTimeout(this.#flushTimer)
    this.#clock.clearTimeout(this.#pollTimer)
    this.#flushTimer = undefined
    this.#pollTimer = undefined
  }

  readonly #flushTick = (): void => {
    this.#flushTimer = undefined
    if (this.#hub.size === 0) return
    const update = this.#model.flush()
    const now = this.#clock.now()
    if (update !== undefined) {
      this.#hub.broadcast(update)
      this.#lastSentAt = now
    } else if (now - this.#lastSentAt >= this.#config.limits.heartbeatMs) {
      this.#hub.heartbeat()
      this.#lastSentAt = now
    }
    if (this.#hub.size > 0) this.#flushTimer = this.#clock.setTimeout(this.#flushTick, this.#config.limits.flushIntervalMs)
  }

  readonly #pollTick = (): void => {
    this.#pollTimer = undefined
    if (this.#hub.size === 0) return
    void this.#poll()
    this.#pollTimer = this.#clock.setTimeout(this.#pollTick, this.#config.limits.statsIntervalMs)
  }

  /** Reads the figures and the members (one read at a time) and sends them. */
  async #poll(): Promise<void> {
    if (this.#polling) return
    this.#polling = true
    try {
      const [figures, members] = await Promise.all([this.#source.figures(), this.#source.members?.()])
      if (this.#hub.size === 0) return
      this.#figures = figures
      this.#hub.broadcast({ type: 'figures', figures, server: this.stats() } satisfies LiveMsg)
      if (members !== undefined) {
        const json = JSON.stringify(members)
        if (json !== this.#membersJson) {
          this.#membersJson = json
          this.#members = members
          this.#hub.broadcast({ type: 'members', members } satisfies LiveMsg)
        }
      }
    } catch {
      // The node stopping or an ask timing out: counted; the next tick reads again.
      this.#pollErrors++
    } finally {
      this.#polling = false
    }
  }

  /** Ends every client, timer and the listening socket. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#hub.closeAll()
      this.#unwatch()
      this.#server.close(() => resolve())
      this.#server.closeAllConnections()
    })
    return this.#closed
  }
}
