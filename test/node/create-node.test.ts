/**
 * createNode on loopback, every actor inline (one 'workers' test is in workers.test.ts): a whole
 * node from one call, joins that say why they failed, Serf's reads and writes, a graceful leave,
 * and a shutdown that leaves nothing running. A process-level trap fails the file on any
 * unhandled rejection.
 */
import { createServer } from 'node:net'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createNode } from '../../src/node/create-node.ts'
import type { GossamerNode, MemberEvent, NodeEvent, NodeOptions } from '../../src/node/api.ts'

const unhandled: unknown[] = []
const trap = (reason: unknown) => unhandled.push(reason)
beforeAll(() => process.on('unhandledRejection', trap))
afterAll(() => {
  process.off('unhandledRejection', trap)
  expect(unhandled).toEqual([])
})

const started: GossamerNode[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.shutdown()))
})

async function start(name: string, options: NodeOptions = {}): Promise<GossamerNode> {
  const node = await createNode({ name, bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent', ...options })
  started.push(node)
  return node
}

/** A TCP port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise((r) => server.close(r))
  return port
}

/** The next event from `it` that `match` accepts (the stream must not end first). */
async function next(it: AsyncIterator<NodeEvent>, match: (e: NodeEvent) => boolean): Promise<NodeEvent> {
  for (;;) {
    const r = await it.next()
    if (r.done === true) throw new Error('the stream ended')
    if (match(r.value)) return r.value
  }
}

const about = (type: string, name: string) => (e: NodeEvent) => e.type === type && (e as MemberEvent).members.some((m) => m.name === name)

/** Sockets and servers of this process (UDP and TCP handles), once the closes under way are done. */
async function sockets(): Promise<number> {
  await new Promise((r) => setTimeout(r, 100))
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap' || r === 'TCPServerWrap' || r === 'TCPSocketWrap').length
}

describe('createNode', () => {
  it('starts a node, joins another, lists and filters members, streams member events, sets tags, leaves', async () => {
    const a = await start('a', { tags: { role: 'web' } })
    expect(a.address).toMatch(/^127\.0\.0\.1:\d+$/)
    const events = a.events({ filter: 'member-join,member-update,member-leave' })[Symbol.asyncIterator]()
    const b = await start('b', { tags: { role: 'db', dc: 'east' }, join: [a.address] })
    const joined = (await next(events, about('member-join', 'b'))) as MemberEvent
    // Member events are coalesced as the agent does (3 s / 1 s): a's own join may share b's event.
    expect(joined.members.find((m) => m.name === 'b')).toMatchObject({ name: 'b', status: 'alive', tags: { role: 'db', dc: 'east' }, port: Number(b.address.split(':')[1]) })

    expect((await a.members()).map((m) => `${m.name} ${m.status}`).sort()).toEqual(['a alive', 'b alive'])
    expect((await a.members({ tags: { role: 'web' } })).map((m) => m.name)).toEqual(['a'])
    expect((await a.members({ tags: { dc: '' } })).map((m) => m.name)).toEqual(['a'])
    await expect(a.members({ name: '(' })).rejects.toMatchObject({ code: 'ERR_INVALID_MEMBER_FILTER' })

    // Serf's merge: (current minus remove) merged with set.
    await b.setTags({ role: 'cache', zone: '1' }, ['dc'])
    const updated = (await next(events, about('member-update', 'b'))) as MemberEvent
    expect(updated.members.find((m) => m.name === 'b')!.tags).toEqual({ role: 'cache', zone: '1' })
    await expect(b.setTags({ big: 'x'.repeat(600) })).rejects.toMatchObject({ code: 'ERR_TAGS_TOO_LARGE', message: 'Encoded length of tags exceeds limit of 512 bytes' })
    expect((await b.stats()).tags).toEqual({ role: 'cache', zone: '1' })
    // Its own member list shows them by the time setTags resolves, as Serf's Members does after SetTags.
    expect((await b.members()).find((m) => m.name === 'b')!.tags).toEqual({ role: 'cache', zone: '1' })

    await b.leave()
    const left = (await next(events, about('member-leave', 'b'))) as MemberEvent
    expect(left.members.find((m) => m.name === 'b')!.status).toBe('left')
    // b stopped after its leave: its calls are refused, coded, and its leave is idempotent.
    await expect(b.members()).rejects.toMatchObject({ code: 'ERR_NODE_SHUT_DOWN' })
    await expect(b.join([a.address])).rejects.toMatchObject({ code: 'ERR_NODE_SHUT_DOWN' })
    await b.leave()
    const stats = await a.stats()
    expect(stats.serf).toMatchObject({ members: 2, left: 1, failed: 0, encrypted: false })
    expect(Object.keys(stats.actors).sort()).toEqual(['gossip-queue', 'member-manager', 'serf-events', 'swim'])
    expect(stats.actors['swim']).toMatchObject({ mailboxDepth: expect.any(Number), restarts: 0, overflows: 0 })
    expect(stats.actors['swim']!.counters['probes']).toEqual(expect.any(Number))
    expect(stats.node).toMatchObject({ eventReaders: 1, joins: 0 })
  })

  it("rejects a start join that reaches no one with each address's reason, leaving no socket behind", async () => {
    const port = await closedPort()
    const before = await sockets()
    const err = await createNode({ name: 'lonely', bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent', join: [`127.0.0.1:${port}`] }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'ERR_JOIN_FAILED', details: { addresses: [`127.0.0.1:${port}`] } })
    expect((err as Error).message).toBe(`1 error occurred:\n\t* Failed to join 127.0.0.1: dial tcp 127.0.0.1:${port}: connect: connection refused\n\n`)
    expect(await sockets()).toBe(before)
  })

  it('join() on a running node: resolves with how many were reached, or rejects ERR_JOIN_FAILED and keeps running', async () => {
    const a = await start('a')
    const b = await start('b')
    const port = await closedPort()
    await expect(b.join([`127.0.0.1:${port}`])).rejects.toMatchObject({ code: 'ERR_JOIN_FAILED' })
    expect(await b.join([a.address, `127.0.0.1:${port}`])).toBe(1)
    expect((await b.members()).map((m) => m.name).sort()).toEqual(['a', 'b'])
    expect((await b.stats()).node).toMatchObject({ joins: 2, joinsFailed: 1 })
    await expect(b.join(['127.0.0.1:99999'])).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'join[0]' } })
    // The failure is in the node's log ring (Serf's monitor replays it).
    const lines: string[] = []
    const ctl = new AbortController()
    const logs = b.logs({ level: 'warn', signal: ctl.signal })
    ctl.abort()
    for await (const l of logs) lines.push(`${l.level} ${l.message}`)
    expect(lines.some((l) => l.startsWith('warn join reached no member'))).toBe(true)
    expect(() => b.logs({ level: 'verbose' as never })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_LOG_LEVEL' }))
  })

  it('rejects a port in use with the coded bind error, and a bad option with the field', async () => {
    const a = await start('a')
    await expect(createNode({ name: 'b', bind: a.address, placement: 'inline', logLevel: 'silent' })).rejects.toMatchObject({ code: 'ERR_SWIM_BIND' })
    await expect(createNode({ name: 'b', protocol: 9 })).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'protocol' } })
  })

  it('encrypts with a keyring file; a plaintext node cannot join, a node with the key can', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gossamer-node-'))
    try {
      const key = Buffer.alloc(32, 9).toString('base64')
      const file = join(dir, 'keyring')
      writeFileSync(file, JSON.stringify([key]))
      const a = await start('a', { keyringFile: file })
      expect((await a.stats()).serf.encrypted).toBe(true)
      await expect(start('plain', { join: [a.address] })).rejects.toMatchObject({ code: 'ERR_JOIN_FAILED' })
      const b = await start('b', { keys: [key], join: [a.address] })
      expect((await b.members()).map((m) => m.name).sort()).toEqual(['a', 'b'])
      writeFileSync(file, '[]')
      await expect(start('c', { keyringFile: file })).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', message: 'keyringFile Keyring file contains no keys' })
      await expect(start('d', { keyringFile: join(dir, 'missing') })).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'keyringFile' } })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('retries a join in the background (retryJoin) and logs when it completes', async () => {
    const a = await start('a')
    const b = await start('b', { retryJoin: { addresses: [a.address], intervalMs: 1000, maxAttempts: 3 } })
    for (let i = 0; i < 200 && (await a.members()).length < 2; i++) await new Promise((r) => setTimeout(r, 25))
    expect((await a.members()).map((m) => m.name).sort()).toEqual(['a', 'b'])
    let status = ''
    for (let i = 0; i < 200 && status !== 'joined'; i++) {
      status = (await b.stats()).node!.retryJoin.status
      if (status !== 'joined') await new Promise((r) => setTimeout(r, 25))
    }
    expect(status).toBe('joined')
    // The node's log ring says so (the watcher reads swim's retry state once a second).
    let lines: string[] = []
    for (let i = 0; i < 60 && !lines.includes('Join completed (retry-join)'); i++) {
      const ctl = new AbortController()
      const logs = b.logs({ signal: ctl.signal })
      ctl.abort()
      lines = []
      for await (const l of logs) lines.push(l.message)
      if (!lines.includes('Join completed (retry-join)')) await new Promise((r) => setTimeout(r, 50))
    }
    expect(lines).toContain('Join completed (retry-join)')
  })

  it('logs the give-up when retryJoin.maxAttempts runs out, and keeps running', async () => {
    const port = await closedPort()
    const b = await start('b', { retryJoin: { addresses: [`127.0.0.1:${port}`], intervalMs: 1000, maxAttempts: 1 } })
    let retry = { status: '', attempts: 0 }
    for (let i = 0; i < 200 && retry.status !== 'exhausted'; i++) {
      retry = (await b.stats()).node!.retryJoin
      if (retry.status !== 'exhausted') await new Promise((r) => setTimeout(r, 25))
    }
    expect(retry).toEqual({ status: 'exhausted', attempts: 2 })
    let lines: string[] = []
    for (let i = 0; i < 60 && !lines.some((l) => l.startsWith('error maximum retry join attempts made')); i++) {
      const ctl = new AbortController()
      const logs = b.logs({ level: 'warn', signal: ctl.signal })
      ctl.abort()
      lines = []
      for await (const l of logs) lines.push(`${l.level} ${l.message}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(lines.some((l) => l.startsWith('error maximum retry join attempts made: retry-join gave up after 2 attempts'))).toBe(true)
    // The node keeps running alone (Serf's agent would exit; a library node leaves that to its owner).
    expect((await b.members()).map((m) => m.name)).toEqual(['b'])
  })

  it('keeps a snapshot and rejoins the members it knew after a restart (Serf\'s -snapshot)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gossamer-node-'))
    try {
      const a = await start('a')
      const snapshotPath = join(dir, 'b.snapshot')
      const b1 = await start('b', { snapshotPath, join: [a.address] })
      expect(Object.keys((await b1.stats()).actors).sort()).toEqual(['gossip-queue', 'member-manager', 'serf-events', 'snapshotter', 'swim'])
      const bind = b1.address
      // Stopped without a leave, as a crash would: the snapshot still says "alive: a".
      await b1.shutdown()
      expect(readFileSync(snapshotPath, 'utf8')).toContain(`alive: a ${a.address}`)
      const b2 = await start('b', { snapshotPath, bind })
      let names: string[] = []
      for (let i = 0; i < 200 && names.length < 2; i++) {
        names = (await b2.members()).filter((m) => m.status === 'alive').map((m) => m.name)
        if (names.length < 2) await new Promise((r) => setTimeout(r, 25))
      }
      expect(names.sort()).toEqual(['a', 'b'])
      // The rejoin's join resolves a poll after the table shows a (join.ts reads swim every 20 ms).
      let rejoin = (await b2.stats()).node!.snapshotRejoin
      for (let i = 0; i < 200 && rejoin?.joined !== true; i++) {
        await new Promise((r) => setTimeout(r, 25))
        rejoin = (await b2.stats()).node!.snapshotRejoin
      }
      expect(rejoin).toEqual({ previousNodes: 1, attempts: 1, joined: true })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('runs the event layer: its own user event and query reach its stream, a response comes back, coordinates', async () => {
    const a = await start('a', { coalesce: { members: false, userEvents: false } })
    const events = a.events({ filter: 'user:deploy,query:load' })[Symbol.asyncIterator]()
    await a.userEvent('deploy', new TextEncoder().encode('v2'))
    const user = await next(events, (e) => e.type === 'user')
    expect(user).toMatchObject({ type: 'user', name: 'deploy', coalesce: false })
    expect(new TextDecoder().decode((user as { payload: Uint8Array }).payload)).toBe('v2')
    const results = await a.query('load', null, { requestAck: true, timeoutMs: 500 })
    const asked = await next(events, (e) => e.type === 'query')
    if (asked.type !== 'query') throw new Error('unreachable')
    expect(asked).toMatchObject({ name: 'load', sourceNode: 'a' })
    await a.respond(asked.key, new TextEncoder().encode('0.5'))
    await expect(a.respond(asked.key, null)).rejects.toMatchObject({ code: 'ERR_QUERY_ALREADY_RESPONDED' })
    const got = []
    for await (const r of results) got.push(r.type === 'ack' ? `ack ${r.from}` : `response ${r.from} ${new TextDecoder().decode(r.payload ?? new Uint8Array())}`)
    expect(got.sort()).toEqual(['ack a', 'response a 0.5'])
    await expect(a.userEvent('x'.repeat(600))).rejects.toMatchObject({ code: 'ERR_EVENT_TOO_LARGE' })
    await expect(a.respond('no-such-key', null)).rejects.toMatchObject({ code: 'ERR_QUERY_UNKNOWN' })
    expect(await a.coordinate()).toMatchObject({ Vec: expect.any(Array) })
    expect(await a.coordinate('nobody')).toBeUndefined()
    expect((await a.stats()).serf.eventTime).toBeGreaterThan(0n)
  })

  it('shuts down once (idempotent, also by await using), ending every stream', async () => {
    const a = await start('a')
    const events = a.events()
    const logs = a.logs()
    const first = a.shutdown()
    expect(a.shutdown()).toBe(first)
    await first
    expect((events as unknown as { ended: boolean }).ended).toBe(true)
    const seen: string[] = []
    for await (const l of logs) seen.push(l.message)
    expect(seen).toContain('node running')
    await expect(a.stats()).rejects.toMatchObject({ code: 'ERR_NODE_SHUT_DOWN' })
    await expect(a.leave()).rejects.toMatchObject({ code: 'ERR_NODE_SHUT_DOWN', message: 'Leave called after Shutdown' })
    let disposed: GossamerNode | undefined
    {
      await using b = await createNode({ name: 'b', bind: '127.0.0.1:0', profile: 'local', placement: 'inline', logLevel: 'silent' })
      disposed = b
    }
    await expect(disposed.members()).rejects.toMatchObject({ code: 'ERR_NODE_SHUT_DOWN' })
  })

  it('ends an events stream on abort and on break', async () => {
    const a = await start('a')
    const ctl = new AbortController()
    const s = a.events({ signal: ctl.signal })
    const pending = s[Symbol.asyncIterator]().next()
    ctl.abort()
    expect(await pending).toEqual({ value: undefined, done: true })
    expect(() => a.events({ filter: 'member-foo' })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_EVENT_FILTER' }))
    const b = await start('b', { join: [a.address] })
    const t = a.events()
    await b.setTags({ x: '1' })
    for await (const e of t) {
      expect(e.type).toMatch(/^member-/)
      break
    }
    expect((await a.stats()).node!.eventReaders).toBe(0)
  })
})
