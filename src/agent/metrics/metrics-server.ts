/**
 * `-metrics-addr`: an HTTP listener serving `GET /metrics` in Prometheus text. Bounded: at most
 * MAX_SCRAPES scrapes in flight (more get 503, counted), MAX_CONNECTIONS sockets, and a request
 * timeout, so a scraper cannot pile up stats() asks on the node.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const MAX_SCRAPES = 4
const MAX_CONNECTIONS = 32
/** A request that has not completed in this long is ended (ms). */
const REQUEST_TIMEOUT_MS = 10_000

export interface MetricsServer {
  /** `host:port` actually bound. */
  readonly address: string
  /** Scrapes refused because MAX_SCRAPES were in flight. */
  readonly refused: number
  close(): Promise<void>
}

export function startMetricsServer(addr: string, render: () => Promise<string>, contentType: string): Promise<MetricsServer> {
  const i = addr.lastIndexOf(':')
  const rawHost = addr.slice(0, i).replace(/^\[|\]$/g, '')
  const host = rawHost === '' ? '127.0.0.1' : rawHost
  const port = Number(addr.slice(i + 1))
  let inFlight = 0
  let refused = 0
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n')
      return
    }
    if (inFlight >= MAX_SCRAPES) {
      refused++
      res.writeHead(503, { 'content-type': 'text/plain' }).end('too many scrapes in flight\n')
      return
    }
    inFlight++
    render().then(
      (text) => res.writeHead(200, { 'content-type': contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`),
    ).finally(() => inFlight--)
  })
  server.maxConnections = MAX_CONNECTIONS
  server.requestTimeout = REQUEST_TIMEOUT_MS
  server.keepAliveTimeout = 5_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const a = server.address() as AddressInfo
      resolve({
        address: a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`,
        get refused() {
          return refused
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
