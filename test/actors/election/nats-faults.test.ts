/**
 * The nats backend against a real `nats-server -js` under faults (1 s lease): kill -9 of the
 * leader's process, a nats-server restart (same port and store), a leader cut off from NATS (the
 * server stopped) stepping down at its own lease end, a foreign write to the leader's key (a
 * revision conflict), and the bad input of the issue as coded errors: NATS unreachable at start,
 * the bucket missing, the bucket with another max age, a bad group name, a bad config.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { NatsServer } from '../../support/nats.ts'
import { freeTcpPort } from '../../support/ports.ts'
import { ensureElectionBucket } from '../../../actors/election/io/nats-kv.ts'
import { createNatsElection } from '../../../actors/election/io/nats-election.ts'
import type { NatsElectionBackend } from '../../../actors/election/nats-backend.ts'
import type { LeaderChange } from '../../../actors/election/backend.ts'

const TTL = 1_000
let server: NatsServer
const open: NatsElectionBackend[] = []
const children: ChildProcess[] = []
let n = 0
const group = () => `f${++n}`

beforeAll(async () => {
  server = await NatsServer.start()
  await ensureElectionBucket([server.url], 'elections', TTL)
}, 20_000)
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
  await Promise.allSettled(open.splice(0).map((b) => b.close()))
  if (!server.running) await server.restart()
})
afterAll(async () => {
  await server?.stop()
})

const backend = async (self: string, ttlMs = TTL) => {
  const b = await createNatsElection(self, { servers: [server.url], bucket: 'elections', ttlMs })
  open.push(b)
  return b
}

function collect(b: NatsElectionBackend, g: string) {
  const seen: Array<LeaderChange & { wall: number }> = []
  void (async () => {
    for await (const c of b.changes(g)) seen.push({ ...c, wall: Date.now() })
  })()
  return seen
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('nats backend faults', () => {
  it('kill -9 of the leader process: a follower takes over after the lease, with a higher term', async () => {
    const g = group()
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./support/nats-contender.ts', import.meta.url).pathname, 'p1', server.url, 'elections', String(TTL), g], { stdio: ['ignore', 'pipe', 'inherit'] })
    children.push(child)
    const lines: Array<Record<string, unknown>> = []
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>))
    await until(() => lines.some((l) => l['reason'] === 'elected'), 15_000, 'the child process leading')
    const childTerm = lines.find((l) => l['reason'] === 'elected')!['term'] as number
    const [a, b] = [await backend('a'), await backend('b')]
    const campaigns = [a.campaign(g), b.campaign(g)]
    await until(() => a.view(g).leader === 'p1' && b.view(g).leader === 'p1', 3 * TTL, 'followers seeing p1')
    const killedAt = Date.now()
    child.kill('SIGKILL')
    const winner = await Promise.any(campaigns)
    const failoverMs = Date.now() - killedAt
    expect(winner).toBeGreaterThan(childTerm)
    expect([a, b].filter((x) => x.view(g).isSelf)).toHaveLength(1)
    // At most a lease (the key's expiry) plus the followers' slack and polls; generous for a loaded machine.
    expect(failoverMs).toBeLessThan(TTL + 1_500)
  })

  it('a leader cut off from NATS (server stopped) steps down at its own lease end; after a restart someone leads with a higher term', async () => {
    const g = group()
    const [a, b] = [await backend('a'), await backend('b')]
    const seenA = collect(a, g)
    const t1 = await a.campaign(g)
    b.campaign(g).catch(() => undefined)
    await new Promise((r) => setTimeout(r, TTL)) // a few renewals
    const stoppedAt = Date.now()
    await server.kill()
    await until(() => seenA.some((c) => c.reason === 'lease-expired'), 3 * TTL, 'the leader stepping down')
    const down = seenA.find((c) => c.reason === 'lease-expired')!
    // Not before the last renewal's lease could end, not after the lease from the kill.
    expect(down.wall - stoppedAt).toBeLessThanOrEqual(TTL + 200)
    expect(down.wall - stoppedAt).toBeGreaterThanOrEqual(TTL / 3)
    expect(a.view(g).isSelf).toBe(false)
    expect(b.view(g).isSelf).toBe(false)
    await server.restart()
    await until(() => a.view(g).isSelf || b.view(g).isSelf, 15_000, 'a leader after the restart')
    const leader = a.view(g).isSelf ? a : b
    expect(leader.view(g).term).toBeGreaterThan(t1)
    expect(a.view(g).isSelf && b.view(g).isSelf).toBe(false)
  }, 30_000)

  it('NATS lost mid-lease: requests fail with a coded error kept in stats, backoff, leadership given up at lease end', async () => {
    const g = group()
    const a = await backend('a')
    const seen = collect(a, g)
    await a.campaign(g)
    await server.kill()
    await until(() => seen.some((c) => c.reason === 'lease-expired'), 3 * TTL, 'the leader stepping down')
    // Requests time out (requestTimeoutMs 2 s) while the server is away; they are counted with their code.
    await until(() => (a.stats(g)?.requestErrors ?? 0) > 0, 6_000, 'a failed request counted')
    expect(a.stats(g)!.lastError).toMatchObject({ code: 'ERR_ELECTION_NATS_REQUEST' })
    expect(a.view(g).isSelf).toBe(false)
  }, 20_000)

  it('a foreign write to the leader key is a revision conflict: the leader steps down at once ("taken"), counted', async () => {
    const g = group()
    const a = await backend('a')
    const seen = collect(a, g)
    const term = await a.campaign(g)
    const nc = await connect({ servers: server.url })
    try {
      const kv = await new Kvm(nc).open('elections')
      const e = await kv.get(g)
      await kv.update(g, new TextEncoder().encode('not json'), e!.revision)
    } finally {
      await nc.close()
    }
    await until(() => seen.some((c) => c.reason === 'taken'), 2 * TTL, 'the leader stepping down')
    expect(a.view(g).isSelf).toBe(false)
    expect(a.stats(g)).toMatchObject({ foreignValues: expect.any(Number) })
    expect(a.stats(g)!.foreignValues + a.stats(g)!.renewConflicts).toBeGreaterThan(0)
    // It keeps standing: the foreign value expires with the lease and a wins again, with a higher term.
    await until(() => a.view(g).isSelf, 4 * TTL, 'a leading again')
    expect(a.view(g).term).toBeGreaterThan(term)
  })

  it('bad input at start is a coded error: NATS unreachable, bucket missing, bucket with another max age', async () => {
    const dead = `nats://127.0.0.1:${await freeTcpPort()}`
    await expect(createNatsElection('a', { servers: [dead], bucket: 'elections', ttlMs: TTL, connectTimeoutMs: 500 })).rejects.toMatchObject({ code: 'ERR_ELECTION_NATS_UNREACHABLE' })
    await expect(createNatsElection('a', { servers: [server.url], bucket: 'nosuch', ttlMs: TTL })).rejects.toMatchObject({ code: 'ERR_ELECTION_BUCKET_MISSING' })
    await expect(createNatsElection('a', { servers: [server.url], bucket: 'elections', ttlMs: 2 * TTL })).rejects.toMatchObject({
      code: 'ERR_ELECTION_BUCKET_TTL',
      details: { bucketTtlMs: TTL, ttlMs: 2 * TTL },
    })
    await expect(createNatsElection('a', { servers: [server.url], bucket: 'bad name', ttlMs: TTL })).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'election.nats.bucket' } })
    await expect(createNatsElection('a', { servers: [server.url], bucket: 'elections', ttlMs: 100, stepDownMarginMs: 90 })).rejects.toMatchObject({ details: { field: 'election.nats.stepDownMarginMs' } })
    const a = await backend('a')
    await expect(a.campaign('a b')).rejects.toMatchObject({ code: 'ERR_ELECTION_INVALID_INPUT' })
    expect(() => a.view('x.*')).toThrow(expect.objectContaining({ code: 'ERR_ELECTION_INVALID_INPUT' }))
  })
})
