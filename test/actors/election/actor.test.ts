/**
 * The election actor in worker threads, each hosting the nats backend against a real
 * `nats-server -js` (1 s lease): three actors campaign, one wins and all views agree; a resign by
 * ask hands over; a stale fencing token is refused; emitted changes reach a subscriber; a NATS
 * server that is not there makes the actor `failed` with the coded error, and every request is
 * refused with it. Shutdown releases the lease and ends the connections (the process exits).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../../src/runtime/index.ts'
import { election } from '../../../actors/election/definition.ts'
import type { ElectionChangedMsg, ElectionResultReply } from '../../../actors/election/protocol.ts'
import { ensureElectionBucket } from '../../../actors/election/io/nats-kv.ts'
import { NatsServer } from '../../support/nats.ts'
import { freeTcpPort } from '../../support/ports.ts'

const TTL = 1_000
let server: NatsServer
let system: ActorSystem | undefined
beforeAll(async () => {
  server = await NatsServer.start()
  await ensureElectionBucket([server.url], 'elections', TTL)
}, 20_000)
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 3000 })
  system = undefined
})
afterAll(async () => {
  await server?.stop()
})

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('election actor (worker, nats backend)', () => {
  it('three actors: one leader all agree on, a resign hands over, a stale term is refused', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    const names = ['a', 'b', 'c']
    const refs = await Promise.all(names.map((n) => system!.spawn(election, { id: `election-${n}`, input: { self: n, nats: { servers: [server.url], bucket: 'elections', ttlMs: TTL } } })))
    const changes: ElectionChangedMsg[] = []
    refs[1]!.on('election.changed', (e) => changes.push(e as ElectionChangedMsg))
    const asks = refs.map((r) => r.ask({ type: 'election.campaign', group: 'jobs' }, { timeoutMs: 20_000 }))
    const first = await Promise.race(asks.map((p, i) => p.then((r: ElectionResultReply) => ({ i, r }))))
    expect(first.r).toMatchObject({ op: 'campaign', ok: true, group: 'jobs' })
    const term1 = first.r.term!
    const views = await until(
      () => Promise.all(refs.map((r) => r.ask({ type: 'election.view', group: 'jobs' }))),
      (vs) => vs.every((v) => v.view.leader === names[first.i] && v.view.term === term1),
      5_000,
    )
    expect(views.filter((v) => v.view.isSelf)).toHaveLength(1)

    const rest = asks.filter((_, i) => i !== first.i)
    expect(await refs[first.i]!.ask({ type: 'election.resign', group: 'jobs' })).toMatchObject({ op: 'resign', ok: true })
    const second = await Promise.race(rest)
    expect(second).toMatchObject({ ok: true })
    expect(second.term!).toBeGreaterThan(term1)
    const stale = await refs[0]!.ask({ type: 'election.fence', group: 'jobs', term: term1 })
    expect(stale).toMatchObject({ ok: false, error: { code: 'ERR_ELECTION_STALE_TERM' } })
    expect(await refs[0]!.ask({ type: 'election.fence', group: 'jobs', term: second.term! })).toMatchObject({ ok: true })
    await until(async () => changes, (cs) => cs.some((c) => c.change.reason === 'elected' || c.change.term === second.term), 5_000)
    expect((await refs[0]!.getSnapshot()).context.stats).toMatchObject({ fences: 2, fencesRefused: 1 })
  }, 30_000)

  it('NATS not there: the actor is failed with ERR_ELECTION_NATS_UNREACHABLE and refuses requests with it, counted', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    const dead = `nats://127.0.0.1:${await freeTcpPort()}`
    const ref = await system.spawn(election, { id: 'election', input: { self: 'a', nats: { servers: [dead], bucket: 'elections', ttlMs: TTL, connectTimeoutMs: 300 } } })
    const v = await until(() => ref.ask({ type: 'election.view', group: 'jobs' }), (v) => v.status !== 'opening', 5_000)
    expect(v).toMatchObject({ status: 'failed', openError: { code: 'ERR_ELECTION_NATS_UNREACHABLE' } })
    expect(await ref.ask({ type: 'election.campaign', group: 'jobs' })).toMatchObject({ ok: false, error: { code: 'ERR_ELECTION_NATS_UNREACHABLE' } })
    expect((await ref.getSnapshot()).context.stats.refused).toBe(1)
    await expect(ref.ask({ type: 'election.fence', group: 'jobs', term: -1 })).rejects.toMatchObject({ code: 'ERR_ACTOR_INVALID_MESSAGE' })
  })
})
