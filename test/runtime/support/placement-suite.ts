/**
 * The placement suite: one set of behaviours, run against both placements (inline and worker) by
 * placement-inline.test.ts and placement-worker.test.ts. Anything that holds for one must hold for
 * the other.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, memorySnapshotStore, type Placement, type SystemEvent, type InspectionEvent } from '../../../src/runtime/index.ts'
import type { ClusterError } from '../../../src/errors/cluster-error.ts'
import { counter } from '../../fixtures/actors/counter/definition.ts'
import { counterIo } from '../../fixtures/actors/counter/io.ts'
import { asker } from './asker/definition.ts'
import { holder } from './holder/definition.ts'
import type { AskOutcome } from './asker/machine.ts'

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'resolved'
  } catch (err) {
    return (err as ClusterError).code ?? String(err)
  }
}

export function placementSuite(placement: Placement): void {
  let system: ActorSystem | undefined
  let events: SystemEvent[] = []
  const store = memorySnapshotStore()

  async function start(opts: Parameters<typeof ActorSystem.start>[0] = {}): Promise<ActorSystem> {
    system = await ActorSystem.start({ logLevel: 'silent', snapshotStore: store, ...opts })
    events = []
    system.on((e) => events.push(e))
    return system
  }
  const spawn = (sys: ActorSystem, id: string, extra: Record<string, unknown> = {}) =>
    sys.spawn(counter, { id, placement, provide: counterIo, ...extra })

  afterEach(async () => {
    await system?.shutdown({ drainTimeoutMs: 2000 })
    system = undefined
    store.records.clear()
  })

  describe(`placement ${placement} - messaging`, () => {
    it('handles tells in order and answers an ask with the typed reply', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a', { input: { step: 2 } })
      expect(a.placement).toBe(placement)
      for (let i = 1; i <= 10; i++) expect(a.send({ type: 'counter.inc', by: i })).toBe('ok')
      const view = await a.ask({ type: 'counter.get' }, { timeoutMs: 2000 })
      expect(view.n).toBe(110)
      const snap = await a.getSnapshot()
      expect(snap.status).toBe('active')
      expect(snap.value).toBe('idle')
      expect(snap.context.n).toBe(110)
    })

    it('lets actors address each other by id, and a forwarded request is answered by the last actor', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      const b = await spawn(sys, 'b', { input: { step: 3 } })
      a.send({ type: 'counter.forward', to: b.id, by: 5 })
      b.send({ type: 'counter.forward', to: a.id, by: 7 })
      // b answers an ask that a received (the reply token travels with the message)
      const viaA = await a.ask({ type: 'counter.relay-get', to: b.id })
      expect(viaA.n).toBe(15)
      // b -> a and the system thread -> a are different paths: no order between them, so wait
      await waitUntil(async () => (await a.ask({ type: 'counter.get' })).n === 7)
    })

    it('reports a send to an unknown id as undeliverable, without disturbing the sender', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      a.send({ type: 'counter.forward', to: 'nobody' as typeof a.id, by: 1 })
      a.send({ type: 'counter.inc', by: 1 })
      expect((await a.ask({ type: 'counter.get' })).n).toBe(1)
      await waitFor(() => events.some((e) => e.type === 'message.undeliverable' && e.to === 'nobody'))
      // Each refused send is counted, in both placements (a worker sums them per turn).
      a.send({ type: 'counter.forward-many', to: 'nobody' as typeof a.id, count: 5, by: 1 })
      const counted = (): number => events.reduce((n, e) => n + (e.type === 'message.undeliverable' && e.to === 'nobody' ? e.count : 0), 0)
      await waitFor(() => counted() >= 6)
      await sys.sync()
      expect(counted()).toBe(6)
      expect(sys.refused).toBe(6)
    })
  })

  describe(`placement ${placement} - bad input`, () => {
    it('rejects an unknown message type with ERR_ACTOR_UNKNOWN_MESSAGE and keeps running', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      expect(await codeOf(a.ask({ type: 'counter.bogus' } as never))).toBe('ERR_ACTOR_UNKNOWN_MESSAGE')
      a.send({ type: 'counter.bogus' } as never)
      a.send({ type: 'counter.inc', by: 1 })
      expect((await a.ask({ type: 'counter.get' })).n).toBe(1)
      await waitFor(() => events.filter((e) => e.type === 'message.invalid').length === 2)
      expect((await a.stats()).invalid).toBe(2)
    })

    it('rejects a payload that fails validation with ERR_ACTOR_INVALID_MESSAGE', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      a.send({ type: 'counter.inc', by: Number.NaN })
      a.send({ type: 'counter.inc', by: 'x' as unknown as number })
      a.send({ type: 'counter.inc', by: 4 })
      expect((await a.ask({ type: 'counter.get' })).n).toBe(4)
      await waitFor(() => events.filter((e) => e.type === 'message.invalid').length === 2)
      const invalid = events.find((e) => e.type === 'message.invalid')
      expect(invalid?.type === 'message.invalid' && invalid.error.code).toBe('ERR_ACTOR_INVALID_MESSAGE')
    })

    it('refuses a message that is not an object with a string type', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      expect(a.send(null as never)).toBe('rejected')
      expect(a.send({ kind: 'x' } as never)).toBe('rejected')
      expect(a.send('counter.inc' as never)).toBe('rejected')
      expect(events.filter((e) => e.type === 'message.invalid')).toHaveLength(3)
      expect(await codeOf(a.ask(null as never))).toBe('ERR_ACTOR_INVALID_MESSAGE')
      a.send({ type: 'counter.inc', by: 1 })
      expect((await a.ask({ type: 'counter.get' })).n).toBe(1)
    })

    it('fails an ask with the coded error the machine replies with', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      expect(await codeOf(a.ask({ type: 'counter.fail' }))).toBe('ERR_COUNTER_REFUSED')
    })

    it('times out an unanswered ask and aborts one whose signal fires', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      expect(await codeOf(a.ask({ type: 'counter.ignore' }, { timeoutMs: 30 }))).toBe('ERR_ACTOR_ASK_TIMEOUT')
      const ctl = new AbortController()
      const pending = a.ask({ type: 'counter.ignore' }, { timeoutMs: 10_000, signal: ctl.signal })
      ctl.abort()
      expect(await codeOf(pending)).toBe('ERR_ACTOR_ASK_ABORTED')
      expect(await codeOf(a.ask({ type: 'counter.ignore' }, { signal: AbortSignal.abort() }))).toBe('ERR_ACTOR_ASK_ABORTED')
      // the actor is fine afterwards
      a.send({ type: 'counter.inc', by: 1 })
      expect((await a.ask({ type: 'counter.get' })).n).toBe(1)
    })
  })

  describe(`placement ${placement} - mailboxes`, () => {
    it('drop-oldest keeps the newest `capacity` messages and counts every drop exactly', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a', { mailbox: { capacity: 100, overflow: 'drop-oldest' } })
      const statuses = new Map<string, number>()
      for (let i = 1; i <= 1000; i++) {
        const s = a.send({ type: 'counter.inc', by: i })
        statuses.set(s, (statuses.get(s) ?? 0) + 1)
      }
      expect(statuses.get('ok')).toBe(100)
      expect(statuses.get('displaced')).toBe(900)
      // the survivors are 901..1000 (let the mailbox hand them on before asking, or the ask would displace one)
      await new Promise((r) => setImmediate(r))
      let expected = 0
      for (let i = 901; i <= 1000; i++) expected += i
      expect((await a.ask({ type: 'counter.get' })).n).toBe(expected)
      const stats = await a.stats()
      expect(stats.dropped).toBe(900)
      await waitFor(() => overflowTotal(events, 'a', 'drop-oldest') === 900)
    })

    it('reject refuses what does not fit, counts it, and fails an ask with ERR_ACTOR_MAILBOX_FULL', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a', { mailbox: { capacity: 10, overflow: 'reject' } })
      const statuses: string[] = []
      for (let i = 0; i < 50; i++) statuses.push(a.send({ type: 'counter.inc', by: 1 }))
      expect(statuses.filter((s) => s === 'ok')).toHaveLength(10)
      expect(statuses.filter((s) => s === 'rejected')).toHaveLength(40)
      expect(await codeOf(a.ask({ type: 'counter.get' }))).toBe('ERR_ACTOR_MAILBOX_FULL')
      expect((await a.ask({ type: 'counter.get' })).n).toBe(10)
      expect((await a.stats()).rejected).toBe(41)
    })

    it('backpressure signals at the bound and loses nothing when the sender waits', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a', { mailbox: { capacity: 64, overflow: 'backpressure' } })
      let signalled = 0
      let sum = 0
      for (let i = 1; i <= 10_000; i++) {
        sum += i
        const s = a.send({ type: 'counter.inc', by: i })
        expect(s === 'ok' || s === 'backpressure').toBe(true)
        if (s === 'backpressure') {
          signalled++
          await a.ready()
        }
      }
      expect(signalled).toBeGreaterThan(0)
      expect((await a.ask({ type: 'counter.get' })).n).toBe(sum)
      const stats = await a.stats()
      expect(stats.dropped + stats.rejected).toBe(0)
      expect(stats.handled).toBe(10_001)
    })
  })

  describe(`placement ${placement} - supervision`, () => {
    it('restarts a crashed actor from its persisted snapshot and fails the asks in flight', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a', { supervision: { backoffMs: 5 } })
      const sibling = await spawn(sys, 'sibling')
      sibling.send({ type: 'counter.inc', by: 3 })
      a.send({ type: 'counter.inc', by: 5 })
      expect((await a.ask({ type: 'counter.get' })).n).toBe(5)
      const inFlight = a.ask({ type: 'counter.ignore' }, { timeoutMs: 5000 })
      a.send({ type: 'counter.crash' })
      a.send({ type: 'counter.inc', by: 1 }) // held during the restart, then handled
      expect(await codeOf(inFlight)).toBe('ERR_ACTOR_CRASHED')
      expect((await a.ask({ type: 'counter.get' })).n).toBe(6)
      const crashed = events.find((e) => e.type === 'actor.crashed')
      expect(crashed?.type === 'actor.crashed' && crashed.asksFailed).toBe(1)
      await waitFor(() => events.some((e) => e.type === 'actor.started' && e.restarts === 1 && e.restored))
      // One-for-one: the sibling kept its state and was neither crashed nor restarted.
      expect((await sibling.ask({ type: 'counter.get' })).n).toBe(3)
      expect(events.some((e) => (e.type === 'actor.crashed' || e.type === 'actor.started') && e.actor === 'sibling' && (e.type === 'actor.crashed' || e.restarts > 0))).toBe(false)
      expect((await sibling.stats()).restarts).toBe(0)
    })

    it('re-arms timers after a restore', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a', { supervision: { backoffMs: 1 } })
      a.send({ type: 'counter.start-ticking', everyMs: 5 })
      await waitUntil(async () => (await a.ask({ type: 'counter.get' })).ticks >= 2)
      a.send({ type: 'counter.crash' })
      await waitFor(() => events.some((e) => e.type === 'actor.started' && e.restarts === 1))
      const after = (await a.ask({ type: 'counter.get' })).ticks
      await waitUntil(async () => (await a.ask({ type: 'counter.get' })).ticks >= after + 2)
      expect((await a.getSnapshot()).value).toBe('ticking')
    })

    it('stops an actor that waits out a long restart backoff at once: it restarts, handles what waited and does its exit work', async () => {
      const sys = await start()
      const b = await spawn(sys, 'b')
      const a = await spawn(sys, 'a', { supervision: { backoffMs: 60_000, maxBackoffMs: 60_000 } })
      a.send({ type: 'counter.notify-on-exit', to: b.id })
      a.send({ type: 'counter.inc', by: 1 })
      await waitFor(() => (store.load('a')?.snapshot as { context?: { n: number } } | undefined)?.context?.n === 1)
      a.send({ type: 'counter.crash' })
      await waitFor(() => events.some((e) => e.type === 'actor.crashed' && e.actor === 'a'))
      for (let i = 0; i < 3; i++) a.send({ type: 'counter.inc', by: 1 }) // wait for the restart
      // Without cutting the backoff short this would take a minute (and fail the test's timeout).
      await a.stop()
      expect((store.load('a')?.snapshot as { context: { n: number } }).context.n).toBe(4)
      const stats = await a.stats()
      expect(stats).toMatchObject({ status: 'stopped', restarts: 1, rejected: 0, lost: 0 })
      await waitUntil(async () => (await b.ask({ type: 'counter.get' })).n === 1000)
      expect(events.filter((e) => e.type === 'actor.started' && e.actor === 'a' && e.restarts === 1)).toHaveLength(1)
    })

    it('escalates after maxRestarts within the window and then refuses messages', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a', { supervision: { maxRestarts: 2, backoffMs: 1, windowMs: 60_000 } })
      for (let i = 0; i < 3; i++) {
        a.send({ type: 'counter.crash' })
        await waitFor(() => events.filter((e) => e.type === 'actor.crashed').length === i + 1)
      }
      await waitFor(() => events.some((e) => e.type === 'actor.escalated'))
      expect(events.some((e) => e.type === 'system.error' && e.error.code === 'ERR_ACTOR_ESCALATED')).toBe(true)
      expect(await codeOf(a.ask({ type: 'counter.get' }, { timeoutMs: 1000 }))).toBe('ERR_ACTOR_STOPPED')
    })
  })

  describe(`placement ${placement} - observation`, () => {
    it('delivers inspection events (actor, event, state, time) only while someone listens', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      a.send({ type: 'counter.inc', by: 1 })
      await a.ask({ type: 'counter.get' })
      const seen: InspectionEvent[] = []
      const stop = sys.inspect((e) => seen.push(e))
      a.send({ type: 'counter.start-ticking', everyMs: 60_000 })
      await a.ask({ type: 'counter.get' })
      await waitFor(() => seen.some((e) => e.event === 'counter.get'))
      stop()
      const tick = seen.find((e) => e.event === 'counter.start-ticking')
      expect(tick).toMatchObject({ actor: 'a', state: 'ticking', placement })
      expect(typeof tick?.at).toBe('number')
      expect(seen.some((e) => e.event === 'counter.inc')).toBe(false)
      const count = seen.length
      a.send({ type: 'counter.inc', by: 1 })
      await a.ask({ type: 'counter.get' })
      expect(seen.length).toBe(count)
    })

    it('sends snapshot digests to subscribers after each turn', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      const ns: number[] = []
      const unsubscribe = a.subscribe((s) => ns.push(s.context.n))
      a.send({ type: 'counter.inc', by: 2 })
      await a.ask({ type: 'counter.get' })
      await waitFor(() => ns.includes(2))
      unsubscribe()
    })

    it('gives each actor its own seeded random stream, the same for the same seed and id', async () => {
      const roll = async (seed: number, id: string) => {
        const sys = await ActorSystem.start({ logLevel: 'silent', seed })
        const a = await sys.spawn(counter, { id, placement, provide: counterIo })
        for (let i = 0; i < 5; i++) a.send({ type: 'counter.roll' })
        const { rolled } = await a.ask({ type: 'counter.get' })
        await sys.shutdown()
        return rolled
      }
      const first = await roll(42, 'r')
      expect(await roll(42, 'r')).toBe(first)
      expect(await roll(43, 'r')).not.toBe(first)
    })
  })

  describe(`placement ${placement} - actor-to-actor asks (env.ask)`, () => {
    const other: Placement = placement === 'inline' ? 'worker' : 'inline'
    const spawnAsker = (sys: ActorSystem, id: string, where: Placement = placement) => sys.spawn(asker, { id, placement: where })
    type Ask = { to: string; request: { type: string }; timeoutMs: number; abortAfterMs?: number }
    const viaAsker = (q: Awaited<ReturnType<typeof spawnAsker>>, a: Ask) => q.ask({ type: 'asker.ask', ...a } as never, { timeoutMs: 10_000 }) as Promise<unknown>

    it('asks actors in the same placement, the other placement and itself, and is asked back', async () => {
      const sys = await start()
      const q = await spawnAsker(sys, 'q')
      const q2 = await spawnAsker(sys, 'q2', other)
      const same = await spawn(sys, 'c-same')
      const far = await sys.spawn(counter, { id: 'c-far', placement: other, provide: counterIo })
      same.send({ type: 'counter.inc', by: 3 })
      far.send({ type: 'counter.inc', by: 4 })
      expect(await viaAsker(q, { to: 'c-same', request: { type: 'counter.get' }, timeoutMs: 2000 })).toMatchObject({ n: 3 })
      expect(await viaAsker(q, { to: 'c-far', request: { type: 'counter.get' }, timeoutMs: 2000 })).toMatchObject({ n: 4 })
      expect(await viaAsker(q, { to: 'q', request: { type: 'asker.ping' }, timeoutMs: 2000 })).toBe('pong from q')
      // the other placement asks this one
      expect(await viaAsker(q2, { to: 'q', request: { type: 'asker.ping' }, timeoutMs: 2000 })).toBe('pong from q')
      // many concurrent asks are told apart by their correlation ids
      const many = await Promise.all(
        Array.from({ length: 20 }, (_, i) => viaAsker(i % 2 === 0 ? q : q2, { to: i % 3 === 0 ? 'c-same' : 'c-far', request: { type: 'counter.get' }, timeoutMs: 2000 })),
      )
      many.forEach((v, i) => expect(v).toMatchObject({ n: i % 3 === 0 ? 3 : 4 }))
    })

    it('fails with the codes ActorRef.ask uses: timeout, abort, refusal, unknown and stopped targets', async () => {
      const sys = await start()
      const q = await spawnAsker(sys, 'q')
      const c = await spawn(sys, 'c')
      const refTimeout = await codeOf(c.ask({ type: 'counter.ignore' }, { timeoutMs: 30 }))
      expect(refTimeout).toBe('ERR_ACTOR_ASK_TIMEOUT')
      expect(await codeOf(viaAsker(q, { to: 'c', request: { type: 'counter.ignore' }, timeoutMs: 50 }))).toBe(refTimeout)
      expect(await codeOf(viaAsker(q, { to: 'c', request: { type: 'counter.ignore' }, timeoutMs: 5000, abortAfterMs: 20 }))).toBe('ERR_ACTOR_ASK_ABORTED')
      expect(await codeOf(viaAsker(q, { to: 'c', request: { type: 'counter.fail' }, timeoutMs: 2000 }))).toBe('ERR_COUNTER_REFUSED')
      expect(await codeOf(viaAsker(q, { to: 'nobody', request: { type: 'counter.get' }, timeoutMs: 2000 }))).toBe('ERR_ACTOR_UNKNOWN')
      expect(await codeOf(viaAsker(q, { to: 'c', request: { type: 'counter.get' }, timeoutMs: 0 }))).toBe('ERR_ACTOR_INVALID_MESSAGE')
      await c.stop()
      // At once, not after a timeout (20 s would fail the test), from askers that existed before
      // the stop and from ones spawned after it, in both placements.
      const late = { to: 'c', request: { type: 'counter.get' }, timeoutMs: 20_000 }
      expect(await codeOf(viaAsker(q, late))).toBe('ERR_ACTOR_STOPPED')
      expect(await codeOf(viaAsker(await spawnAsker(sys, 'q-new'), late))).toBe('ERR_ACTOR_STOPPED')
      expect(await codeOf(viaAsker(await spawnAsker(sys, 'q-other', other), late))).toBe('ERR_ACTOR_STOPPED')
    })

    // An ask into a full mailbox never hangs and is never dropped uncounted. The asker tells
    // `count` fillers and asks in one action, so the mailbox it meets is full whichever placement
    // either side has (each sending thread has its own bound toward a worker actor).
    type Flood = { count: number; fillAfter?: boolean }
    const flood = (q: Awaited<ReturnType<typeof spawnAsker>>, to: string, f: Flood) =>
      q.ask({ type: 'asker.flood', to, filler: { type: 'counter.inc', by: 1 }, request: { type: 'counter.get' }, timeoutMs: 20_000, ...f } as never, { timeoutMs: 30_000 }) as Promise<{
        value: { n: number }
        statuses: string[]
      }>
    const stat = async (t: { stats(): Promise<{ rejected: number; dropped: number }> }, key: 'rejected' | 'dropped', want: number) => {
      // Counts from another thread arrive at the end of its turn.
      await waitUntil(async () => (await t.stats())[key] === want)
      return (await t.stats())[key]
    }

    it('asks a full mailbox under reject: the request is refused and the ask fails at once, counted', async () => {
      const sys = await start()
      for (const [i, where] of ([placement, other] as const).entries()) {
        const q = await spawnAsker(sys, `q${i}`, where)
        const t = await spawn(sys, `t${i}`, { mailbox: { capacity: 8, overflow: 'reject' } })
        // A 20 s timeout: a request left to time out would fail the test, not pass slowly.
        expect(await codeOf(flood(q, t.id, { count: 8 }))).toBe('ERR_ACTOR_MAILBOX_FULL')
        expect(await stat(t, 'rejected', 1)).toBe(1)
        await waitUntil(async () => (await t.ask({ type: 'counter.get' })).n === 8)
      }
    })

    it('asks a full mailbox under drop-oldest: an admitted request is answered; a displaced one fails at once; each drop counted', async () => {
      const sys = await start()
      for (const [i, where] of ([placement, other] as const).entries()) {
        const q = await spawnAsker(sys, `q${i}`, where)
        const t = await spawn(sys, `t${i}`, { mailbox: { capacity: 8, overflow: 'drop-oldest' } })
        // The request displaces the oldest filler and is answered after the other seven.
        const admitted = await flood(q, t.id, { count: 8 })
        expect(admitted.value.n).toBe(7)
        expect(admitted.statuses).toEqual(Array(8).fill('ok'))
        expect(await stat(t, 'dropped', 1)).toBe(1)
        // Asked first, then eight fillers: the request is the oldest and is displaced.
        expect(await codeOf(flood(q, t.id, { count: 8, fillAfter: true }))).toBe('ERR_ACTOR_MAILBOX_FULL')
        expect(await stat(t, 'dropped', 2)).toBe(2)
        await waitUntil(async () => (await t.ask({ type: 'counter.get' })).n === 15)
      }
    })

    it('asks a full mailbox under backpressure: the request waits its turn and is answered; past the ceiling it fails at once', async () => {
      const sys = await start()
      for (const [i, where] of ([placement, other] as const).entries()) {
        const q = await spawnAsker(sys, `q${i}`, where)
        const t = await spawn(sys, `t${i}`, { mailbox: { capacity: 8, overflow: 'backpressure', backpressureCeiling: 2 } })
        const answered = await flood(q, t.id, { count: 8 })
        expect(answered.value.n).toBe(8)
        // 16 queued is the ceiling (8 x 2): the request is refused like any message there.
        expect(await codeOf(flood(q, t.id, { count: 16 }))).toBe('ERR_ACTOR_MAILBOX_FULL')
        expect(await stat(t, 'rejected', 1)).toBe(1)
        await waitUntil(async () => (await t.ask({ type: 'counter.get' })).n === 24)
        expect((await t.stats()).dropped).toBe(0)
      }
    })

    it('fails the pending ask of an asker that crashes, counts the late reply, and keeps it from the restarted asker', async () => {
      const sys = await start({ supervision: { backoffMs: 5 } })
      for (const [i, where] of ([placement, other] as const).entries()) {
        const q = await spawnAsker(sys, `q${i}`)
        const holder = await spawnAsker(sys, `holder${i}`, where)
        const rec = await spawnAsker(sys, `rec${i}`)
        const outcome = async (label: string) => ((await rec.ask({ type: 'asker.outcomes' })) as AskOutcome[]).find((o) => o.label === label)
        const hold = (label: string) => q.send({ type: 'asker.ask', to: holder.id, request: { type: 'asker.hold' }, timeoutMs: 20_000, reportTo: rec.id, label } as never)
        hold('old')
        await waitUntil(async () => (await holder.ask({ type: 'asker.held' })) === 1)
        q.send({ type: 'asker.crash' })
        // Failed at the crash (not at its 20 s timeout), with the code a stopped asker's asks get.
        await waitUntil(async () => (await outcome('old')) !== undefined)
        expect(await outcome('old')).toMatchObject({ outcome: 'ERR_ACTOR_STOPPED' })
        await waitFor(() => events.some((e) => e.type === 'actor.started' && e.actor === q.id && e.restarts === 1))
        hold('new')
        await waitUntil(async () => (await holder.ask({ type: 'asker.held' })) === 2)
        // The holder answers the old request (index 0) first, then the new one (index 1).
        holder.send({ type: 'asker.release' })
        await waitUntil(async () => (await outcome('new')) !== undefined)
        expect(await outcome('new')).toMatchObject({ outcome: 'resolved', value: { index: 1 } })
        await waitUntil(async () => (await q.stats()).lateReplies === 1)
        expect(events.filter((e) => e.type === 'actor.crashed' && e.actor === q.id)).toHaveLength(1)
      }
    })

    it('fails an ask in flight when its target crashes, with ERR_ACTOR_CRASHED, in both directions', async () => {
      const sys = await start()
      const q = await spawnAsker(sys, 'q')
      const q2 = await spawnAsker(sys, 'q2', other)
      const c = await spawn(sys, 'c')
      const pending = [viaAsker(q, { to: 'c', request: { type: 'counter.ignore' }, timeoutMs: 20_000 }), viaAsker(q2, { to: 'c', request: { type: 'counter.ignore' }, timeoutMs: 20_000 })]
      // Both askers have handled their asker.ask (in-order mailboxes) before the crash is sent.
      await q.ask({ type: 'asker.ping' } as never)
      await q2.ask({ type: 'asker.ping' } as never)
      const refAsk = codeOf(c.ask({ type: 'counter.ignore' }, { timeoutMs: 20_000 }))
      c.send({ type: 'counter.crash' })
      const codes = await Promise.all(pending.map(codeOf))
      expect(codes).toEqual(['ERR_ACTOR_CRASHED', 'ERR_ACTOR_CRASHED'])
      expect(await refAsk).toBe('ERR_ACTOR_CRASHED')
    })
  })

  describe(`placement ${placement} - shutdown`, () => {
    it("reports an actor's unclean exit: clean false, with the actor's reason and count", async () => {
      const sys = await start()
      const h = await sys.spawn(holder, { id: 'h', placement })
      const ok = await sys.spawn(holder, { id: 'ok', placement })
      for (let i = 0; i < 5; i++) h.send({ type: 'holder.hold' })
      h.send({ type: 'holder.stick', n: 3 })
      ok.send({ type: 'holder.hold' })
      const report = await sys.shutdown({ drainTimeoutMs: 5000 })
      // Nothing hung and every mailbox drained: only the actor's own report makes it unclean.
      expect(report.hung).toBeUndefined()
      expect(report.undeliveredTotal).toBe(0)
      expect(report.stopped.sort()).toEqual(['h', 'ok'])
      expect(report.clean).toBe(false)
      expect(report.exits).toEqual({ h: { clean: false, reason: 'held items not delivered', undelivered: 3 } })
    })

    it('stays clean when every exit report is clean', async () => {
      const sys = await start()
      const h = await sys.spawn(holder, { id: 'h', placement })
      h.send({ type: 'holder.hold' })
      const report = await sys.shutdown({ drainTimeoutMs: 5000 })
      expect(report).toMatchObject({ clean: true, exits: {}, stopped: ['h'] })
    })

    it('handles 10,000 queued messages before stopping and reports a clean drain', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a', { mailbox: { capacity: 16_384 } })
      for (let i = 0; i < 10_000; i++) a.send({ type: 'counter.inc', by: 1 })
      const report = await sys.shutdown({ drainTimeoutMs: 10_000 })
      expect(report).toMatchObject({ clean: true, undeliveredTotal: 0, stopped: ['a'] })
      expect((await a.stats()).handled).toBe(10_000)
      expect((store.load('a')?.snapshot as { context: { n: number } }).context.n).toBe(10_000)
    })

    it('stops dependents before their dependencies, so exit work reaches them', async () => {
      const sys = await start()
      const b = await spawn(sys, 'b')
      const a = await spawn(sys, 'a', { dependsOn: ['b'] })
      const c = await spawn(sys, 'c')
      a.send({ type: 'counter.notify-on-exit', to: b.id })
      c.send({ type: 'counter.inc', by: 1 })
      const report = await sys.shutdown({ drainTimeoutMs: 5000 })
      expect(report.clean).toBe(true)
      expect(report.stopped.indexOf('a')).toBeLessThan(report.stopped.indexOf('b'))
      expect((store.load('b')?.snapshot as { context: { n: number } }).context.n).toBe(1000)
    })

    it('names the actor whose exit work hangs and counts what was left', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      const b = await spawn(sys, 'b', { dependsOn: ['a'] })
      b.send({ type: 'counter.hang-on-exit' })
      await b.ask({ type: 'counter.get' })
      for (let i = 0; i < 5; i++) a.send({ type: 'counter.inc', by: 1 })
      const report = await sys.shutdown({ drainTimeoutMs: 300 })
      expect(report.clean).toBe(false)
      expect(report.hung).toBe('b')
      expect(report.stopped).toEqual([])
      // a was never drained: its five messages are reported, not lost silently
      expect(report.undelivered['a'] ?? 0).toBeLessThanOrEqual(5)
      const aStats = await a.stats()
      expect(aStats.handled + (report.undelivered['a'] ?? 0)).toBe(5)
    })

    it('makes a second shutdown a no-op and refuses work afterwards with coded errors', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      const first = await sys.shutdown()
      expect(await sys.shutdown()).toBe(first)
      expect(a.send({ type: 'counter.inc', by: 1 })).toBe('stopped')
      expect(await codeOf(a.ask({ type: 'counter.get' }))).toBe('ERR_SYSTEM_SHUT_DOWN')
      expect(await codeOf(sys.spawn(counter, { id: 'late', placement }))).toBe('ERR_SYSTEM_SHUT_DOWN')
    })

    it('stops one actor on request; then its sends report stopped and asks fail with ERR_ACTOR_STOPPED', async () => {
      const sys = await start()
      const a = await spawn(sys, 'a')
      const b = await spawn(sys, 'b')
      a.send({ type: 'counter.inc', by: 1 })
      await a.stop()
      expect((await a.stats()).handled).toBe(1)
      expect(a.send({ type: 'counter.inc', by: 1 })).toBe('stopped')
      expect(await codeOf(a.ask({ type: 'counter.get' }))).toBe('ERR_ACTOR_STOPPED')
      b.send({ type: 'counter.forward', to: a.id, by: 1 })
      expect((await b.ask({ type: 'counter.get' })).n).toBe(0)
      await waitFor(() => events.some((e) => e.type === 'message.undeliverable' && e.to === 'a' && e.reason === 'stopped'))
      expect((await sys.shutdown()).stopped).toEqual(['b'])
    })

    it('refuses duplicate ids and unknown refs with coded errors', async () => {
      const sys = await start()
      await spawn(sys, 'a')
      expect(await codeOf(spawn(sys, 'a'))).toBe('ERR_ACTOR_DUPLICATE_ID')
      expect(sys.ref('nobody')).toBeUndefined()
    })
  })
}

function overflowTotal(events: SystemEvent[], actor: string, policy: string): number {
  let total = 0
  for (const e of events) if (e.type === 'mailbox.overflow' && e.actor === actor && e.policy === policy) total = Math.max(total, e.total)
  return total
}

/** Waits (event-loop turns, not a fixed sleep) until cond holds; fails after 15 s (a hang guard). */
export async function waitFor(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 2))
  }
}

/** waitFor with an async condition. */
export async function waitUntil(cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 2))
  }
}
