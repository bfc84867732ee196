/**
 * The live page server against bad input and long use: unknown paths, other methods and Host
 * headers, a port in use, a client that never reads, 100 clients at once, an hour of simulated
 * time with busy actors; inspection subscribed only while a client is connected, nothing left at close.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { request } from 'node:http'
import { LiveServer, resolveLiveConfig, type LiveMsg } from '../../../src/inspect/live/index.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { fakeSource, type FakeSource } from './fake-source.ts'
import { neverReads, readEvents, until, type SseReader } from './sse-reader.ts'

const open: Array<{ close(): unknown }> = []
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close()
})

async function start(fake: FakeSource, limits: Parameters<typeof resolveLiveConfig>[1] = {}, clock = new SimulatedClock(1_000)): Promise<{ server: LiveServer; clock: SimulatedClock }> {
  const server = await LiveServer.start(fake.source, resolveLiveConfig({ addr: '127.0.0.1:0' }, limits), { clock, charts: async () => new Map() })
  open.push(server)
  return { server, clock }
}

function raw(url: string, path: string, options: { method?: string; host?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: options.method ?? 'GET', headers: options.host === undefined ? {} : { host: options.host } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

const keep = (r: SseReader): SseReader => {
  open.push({ close: () => r.close() })
  return r
}

describe('routes', () => {
  it('answers unknown paths 404, other methods 405 and foreign Host headers 403, each with a coded JSON body', async () => {
    const { server } = await start(fakeSource())
    const missing = await raw(server.url, '/nope')
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.body).error.code).toBe('ERR_INSPECT_NOT_FOUND')
    const post = await raw(server.url, '/', { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers['allow']).toBe('GET, HEAD')
    expect(JSON.parse(post.body).error.code).toBe('ERR_INSPECT_METHOD')
    const rebound = await raw(server.url, '/', { host: 'attacker.example:80' })
    expect(rebound.status).toBe(403)
    expect(JSON.parse(rebound.body).error.code).toBe('ERR_INSPECT_HOST')
    const page = await raw(server.url, '/')
    expect(page.status).toBe(200)
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
    expect(page.body).toContain('<section class="actor no-chart" id="actor-alpha" data-actor="alpha"')
    const head = await raw(server.url, '/events', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(server.stats().clients).toBe(0)
    const state = JSON.parse((await raw(server.url, '/state.json')).body)
    expect(state.node).toBe('n1')
  })
})

describe('settings', () => {
  it('refuses a non-loopback address without allowRemote, coded; accepts it with allowRemote; names bad fields', () => {
    expect(() => resolveLiveConfig({ addr: '0.0.0.0:0' })).toThrow(expect.objectContaining({ code: 'ERR_INSPECT_REMOTE_REFUSED' }))
    expect(() => resolveLiveConfig({ addr: '10.1.2.3:80' })).toThrow(expect.objectContaining({ code: 'ERR_INSPECT_REMOTE_REFUSED' }))
    expect(resolveLiveConfig({ addr: '0.0.0.0:0', allowRemote: true }).host).toBe('0.0.0.0')
    expect(resolveLiveConfig({ addr: '[::1]:0' }).host).toBe('::1')
    expect(() => resolveLiveConfig({ addr: 'localhost:80' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', details: { field: 'inspect.addr' } }))
    expect(() => resolveLiveConfig({ addr: '127.0.0.1:70000' })).toThrow(expect.objectContaining({ details: { field: 'inspect.addr' } }))
    expect(() => resolveLiveConfig({ addr: '127.0.0.1:1', allowremote: true })).toThrow(expect.objectContaining({ details: { field: 'inspect.allowremote' } }))
  })

  it('a port in use is ERR_INSPECT_LISTEN naming the address', async () => {
    const { server } = await start(fakeSource())
    const again = LiveServer.start(fakeSource().source, resolveLiveConfig({ addr: `127.0.0.1:${server.port}` }))
    await expect(again).rejects.toMatchObject({ code: 'ERR_INSPECT_LISTEN', details: { errno: 'EADDRINUSE', addr: `127.0.0.1:${server.port}` } })
  })
})

describe('inspection only while watched', () => {
  it('subscribes with the first client, unsubscribes after the last, and leaves no timer behind', async () => {
    const fake = fakeSource()
    const { server, clock } = await start(fake)
    await raw(server.url, '/')
    expect(fake.listeners).toBe(0)
    expect(clock.nextDeadline()).toBeUndefined()
    const a = keep(await readEvents(server.url))
    const b = keep(await readEvents(server.url))
    await until(() => a.messages.length > 0 && b.messages.length > 0)
    expect(a.messages[0]!.type).toBe('snapshot')
    expect(fake.listeners).toBe(1)
    expect(server.stats().inspecting).toBe(true)
    fake.emit({ actor: 'alpha', event: 'alpha.go', state: { running: 'fast' } })
    await clock.advance(200)
    await until(() => a.messages.some((m) => m.type === 'update'))
    const update = a.messages.find((m) => m.type === 'update') as Extract<LiveMsg, { type: 'update' }>
    expect(update.actors.find((x) => x.id === 'alpha')).toMatchObject({ state: 'running.fast', event: 'alpha.go', transitions: 1 })
    expect(update.transitions).toEqual([expect.objectContaining({ actor: 'alpha', event: 'alpha.go', state: 'running.fast' })])
    a.close()
    await until(() => server.stats().clients === 1)
    expect(fake.listeners).toBe(1)
    b.close()
    await until(() => server.stats().clients === 0)
    expect(fake.listeners).toBe(0)
    expect(server.stats().inspecting).toBe(false)
    expect(clock.nextDeadline()).toBeUndefined()
    expect(fake.subscriptions).toBe(1)
  })
})

describe('clients that misbehave', () => {
  it('100 clients at once: 32 are served, 68 get a 503 with ERR_INSPECT_TOO_MANY_CLIENTS, all counted', async () => {
    const fake = fakeSource()
    const { server } = await start(fake)
    const readers = await Promise.all(Array.from({ length: 100 }, () => readEvents(server.url).then(keep)))
    const ok = readers.filter((r) => r.status === 200)
    const refused = readers.filter((r) => r.status === 503)
    expect(ok.length).toBe(32)
    expect(refused.length).toBe(68)
    expect(server.stats()).toMatchObject({ clients: 32, refused: 68, accepted: 32 })
    const body = await raw(server.url, '/events')
    expect(body.status).toBe(503)
    expect(JSON.parse(body.body).error.code).toBe('ERR_INSPECT_TOO_MANY_CLIENTS')
    for (const r of ok) r.close()
    await until(() => server.stats().clients === 0)
    expect(fake.listeners).toBe(0)
  })

  it('a client that never reads is dropped at its buffer bound (counted) while a reading one keeps up', async () => {
    const fake = fakeSource(Array.from({ length: 20 }, (_, i) => `actor-${i}`))
    const { server, clock } = await start(fake, { clientBufferBytes: 256 * 1024 })
    const stuck = await neverReads(server.url)
    open.push({ close: () => stuck.destroy() })
    const reader = keep(await readEvents(server.url))
    await until(() => server.stats().clients === 2)
    const long = 'x'.repeat(200)
    // ~20 actors x 8 records x 0.5 KB a flush (~90 KB): the stuck client's socket and kernel buffers fill within a few hundred flushes.
    for (let step = 0; step < 2_000 && server.stats().dropped === 0; step++) {
      for (let a = 0; a < 20; a++) for (let k = 0; k < 10; k++) fake.emit({ actor: `actor-${a}`, event: `${long}.${k}`, state: long })
      await clock.advance(200)
      // Real time for the reading client to take what was sent.
      await new Promise((r) => setTimeout(r, 2))
    }
    expect(server.stats().dropped).toBe(1)
    expect(server.stats().clients).toBe(1)
    expect(reader.ended).toBe(false)
    await until(() => reader.messages.filter((m) => m.type === 'update').length > 3)
    // Coalesced: 10 transitions per actor per flush, 8 listed, the last carries the 2 skipped.
    const update = reader.messages.find((m) => m.type === 'update') as Extract<LiveMsg, { type: 'update' }>
    expect(update.transitions.filter((t) => t.actor === 'actor-0').length).toBe(8)
    expect(update.coalesced).toBe(40)
  })
})

describe('a page left open for an hour (simulated)', () => {
  it('keeps every buffer bounded with busy actors and keeps the reading page up to date', async () => {
    const fake = fakeSource(['alpha', 'beta', 'gamma'])
    const { server, clock } = await start(fake)
    const reader = keep(await readEvents(server.url))
    await until(() => reader.messages.length > 0)
    let maxPending = 0
    let n = 0
    // One hour in 1 s steps; 300 transitions a second from alpha, one from beta, a child actor appearing every second.
    for (let s = 0; s < 3_600; s++) {
      for (let k = 0; k < 300; k++) fake.emit({ actor: 'alpha', event: 'alpha.tick', state: `s${n++ % 7}`, at: clock.now() })
      fake.emit({ actor: 'beta', event: 'beta.tick', state: 'on', at: clock.now() })
      fake.emit({ actor: `alpha/child-${s}`, event: 'xstate.init', state: 'born', at: clock.now() })
      maxPending = Math.max(maxPending, server.sizes().pending)
      await clock.advance(1_000)
      if (s % 100 === 0) {
        await new Promise((r) => setImmediate(r))
        // The reading client keeps the messages it parsed; drop them so the test itself stays small.
        reader.messages.splice(0, reader.messages.length - 5)
      }
    }
    const sizes = server.sizes()
    expect(sizes.kept).toBe(200)
    expect(sizes.actors).toBe(256)
    expect(maxPending).toBeLessThanOrEqual(256 * 8)
    const stats = server.stats()
    expect(stats.observed).toBe(3_600 * 302)
    // alpha, beta and gamma (its state read at start) and 253 children fill the 256 tracked.
    expect(stats.untracked).toBe(3_600 - 253)
    expect(stats.coalesced).toBeGreaterThan(3_600 * 250)
    expect(stats.dropped).toBe(0)
    await until(() => reader.messages.some((m) => m.type === 'update' && m.actors.some((a) => a.id === 'alpha' && a.transitions === 3_600 * 300)))
    expect(reader.ended).toBe(false)
  }, 120_000)
})

describe('close', () => {
  it('ends the clients, the timers and the socket', async () => {
    const fake = fakeSource()
    const { server, clock } = await start(fake)
    const reader = await readEvents(server.url)
    await until(() => fake.listeners === 1)
    await server.close()
    await until(() => reader.ended)
    expect(fake.listeners).toBe(0)
    expect(clock.nextDeadline()).toBeUndefined()
    await expect(raw(server.url, '/')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
