/**
 * The election compliance suite: the cases every backend (nats now, membership next) must pass,
 * run against a backend factory. Real time (the backends talk to real servers or actors), so the
 * bounds are generous multiples of the factory's lease and the checks are about order and
 * exclusivity, not speed:
 * - one leader among three contenders, and all agree on it and its term;
 * - a clean resign hands over to another contender, with a higher term;
 * - the loss of the leader (its connection cut): a follower competes and wins (seed 003's bug was
 *   followers that never competed), and the old leader stepped down on its own lease timer;
 * - terms strictly increase from leader to leader;
 * - a stale term (a deposed leader's fencing token) is refused by fence(), a future one too.
 * Throughout, views are sampled every few ms: at no sampled instant do two contenders both
 * believe they lead.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { ElectionBackend, LeaderChange } from '../../../actors/election/backend.ts'
import type { Term } from '../../../actors/election/term.ts'

export interface ComplianceFactory {
  /** The backend's lease, ms: every bound below is a multiple of it. */
  leaseMs: number
  /** A fresh backend for node `self` (all of one test share the same cluster or server). */
  create(self: string): Promise<ElectionBackend>
  /** The node's abrupt loss: its link to the others or the server is cut, nothing is released. */
  cut(backend: ElectionBackend): Promise<void>
  /** A group name not used by any earlier test (a shared bucket or cluster keeps old keys). */
  group(): string
}

/** Samples every backend's view: throws on an instant with two self-leaders. */
function exclusivityMonitor(backends: ElectionBackend[], group: string, everyMs = 5) {
  let violations = 0
  let samples = 0
  const timer = setInterval(() => {
    samples++
    const leaders = backends.filter((b) => b.view(group).isSelf)
    if (leaders.length > 1) violations++
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      return { violations, samples }
    },
  }
}

async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves with the first winner among campaigns (index and term). */
function firstWinner(campaigns: Promise<Term>[]): Promise<{ index: number; term: Term }> {
  return Promise.any(campaigns.map((p, index) => p.then((term) => ({ index, term }))))
}

export function electionCompliance(name: string, factory: ComplianceFactory): void {
  describe(`election compliance: ${name}`, () => {
    const open: ElectionBackend[] = []
    afterEach(async () => {
      await Promise.allSettled(open.splice(0).map((b) => b.close()))
    })
    const three = async () => {
      const bs = await Promise.all(['n1', 'n2', 'n3'].map((n) => factory.create(n)))
      open.push(...bs)
      return bs
    }
    const L = factory.leaseMs

    it('elects one leader among three contenders; all agree on it and its term', async () => {
      const bs = await three()
      const group = factory.group()
      const mon = exclusivityMonitor(bs, group)
      const campaigns = bs.map((b) => b.campaign(group))
      campaigns.forEach((c) => c.catch(() => undefined))
      const { index, term } = await within(3 * L, firstWinner(campaigns), 'first leader')
      expect(term).toBeGreaterThan(0)
      // The others learn of it (watched or read) within a lease or so.
      const deadline = Date.now() + 3 * L
      while (!bs.every((b) => b.view(group).leader === bs[index]!.self && b.view(group).term === term)) {
        if (Date.now() > deadline) throw new Error(`views never agreed: ${JSON.stringify(bs.map((b) => b.view(group)))}`)
        await new Promise((r) => setTimeout(r, 10))
      }
      // Still one leader two leases later (renewals work).
      await new Promise((r) => setTimeout(r, 2 * L))
      expect(bs.filter((b) => b.view(group).isSelf).map((b) => b.self)).toEqual([bs[index]!.self])
      expect(bs[index]!.view(group).term).toBe(term)
      expect(mon.stop().violations).toBe(0)
    })

    it('a clean resign hands over to another contender, with a higher term, well within a lease', async () => {
      const bs = await three()
      const group = factory.group()
      const mon = exclusivityMonitor(bs, group)
      const campaigns = bs.map((b) => b.campaign(group))
      campaigns.forEach((c) => c.catch(() => undefined))
      const first = await within(3 * L, firstWinner(campaigns), 'first leader')
      const leader = bs[first.index]!
      const rest = bs.filter((b) => b !== leader)
      const changes = rest.map((b) => b.changes(group)[Symbol.asyncIterator]())
      const next = firstWinner(campaigns.filter((_, i) => i !== first.index))
      const t0 = Date.now()
      await leader.resign(group)
      expect(leader.view(group).isSelf).toBe(false)
      const second = await within(3 * L, next, 'handover')
      expect(second.term).toBeGreaterThan(first.term)
      // A resign is a release, not an expiry: the handover does not wait out the lease.
      expect(Date.now() - t0).toBeLessThan(L + 2_000)
      for (const c of changes) await c.return?.()
      expect(mon.stop().violations).toBe(0)
    })

    it('when the leader is cut off, a follower competes and wins; the old leader steps down on its own timer', async () => {
      const bs = await three()
      const group = factory.group()
      const mon = exclusivityMonitor(bs, group)
      const campaigns = bs.map((b) => b.campaign(group))
      campaigns.forEach((c) => c.catch(() => undefined))
      const first = await within(3 * L, firstWinner(campaigns), 'first leader')
      const leader = bs[first.index]!
      const lost = (async () => {
        for await (const c of leader.changes(group)) if (!c.isSelf) return c
        return undefined
      })()
      const next = firstWinner(campaigns.filter((_, i) => i !== first.index))
      await factory.cut(leader)
      const stepped = await within(2 * L, lost, 'the cut-off leader stepping down')
      expect(stepped?.reason).toBe('lease-expired')
      const second = await within(4 * L, next, 'failover')
      expect(second.term).toBeGreaterThan(first.term)
      expect(mon.stop().violations).toBe(0)
    })

    it('terms strictly increase across a chain of handovers', async () => {
      const bs = await three()
      const group = factory.group()
      const mon = exclusivityMonitor(bs, group)
      const terms: number[] = []
      const seen: LeaderChange[] = []
      const ac = new AbortController()
      void (async () => {
        for await (const c of bs[0]!.changes(group, { signal: ac.signal })) seen.push(c)
      })()
      for (let round = 0; round < 4; round++) {
        const campaigns = bs.map((b) => b.campaign(group))
        campaigns.forEach((c) => c.catch(() => undefined))
        const w = await within(3 * L, firstWinner(campaigns), `round ${round}`)
        terms.push(w.term)
        await bs[w.index]!.resign(group)
        for (const b of bs) await b.resign(group)
      }
      ac.abort()
      for (let i = 1; i < terms.length; i++) expect(terms[i]).toBeGreaterThan(terms[i - 1]!)
      const observedTerms = seen.filter((c) => c.leader !== null).map((c) => c.term)
      for (let i = 1; i < observedTerms.length; i++) expect(observedTerms[i]).toBeGreaterThanOrEqual(observedTerms[i - 1]!)
      expect(mon.stop().violations).toBe(0)
    })

    it('refuses a stale term and a future term at fence(); accepts the current one', async () => {
      const bs = await three()
      const group = factory.group()
      const c0 = bs[0]!.campaign(group)
      const t1 = await within(3 * L, c0, 'first leader')
      await bs[0]!.fence(group, t1)
      const c1 = bs[1]!.campaign(group)
      await bs[0]!.resign(group)
      const t2 = await within(3 * L, c1, 'second leader')
      expect(t2).toBeGreaterThan(t1)
      await expect(bs[2]!.fence(group, t1)).rejects.toMatchObject({ code: 'ERR_ELECTION_STALE_TERM' })
      await expect(bs[2]!.fence(group, (t2 + 1_000) as Term)).rejects.toMatchObject({ code: 'ERR_ELECTION_FUTURE_TERM' })
      await expect(bs[2]!.fence(group, t2)).resolves.toBeUndefined()
      await bs[1]!.resign(group)
      await expect(bs[2]!.fence(group, t2)).rejects.toMatchObject({ code: 'ERR_ELECTION_NO_LEADER' })
    })

    it('an aborted campaign rejects with ERR_ELECTION_ABORTED and stops standing', async () => {
      const bs = await three()
      const group = factory.group()
      const won = await within(3 * L, bs[0]!.campaign(group), 'leader')
      const ac = new AbortController()
      const pending = bs[1]!.campaign(group, { signal: ac.signal })
      ac.abort()
      await expect(pending).rejects.toMatchObject({ code: 'ERR_ELECTION_ABORTED' })
      await bs[0]!.resign(group)
      // Nobody stands now: no leader a lease later.
      await new Promise((r) => setTimeout(r, L))
      expect(bs.map((b) => b.view(group).isSelf)).toEqual([false, false, false])
      expect(won).toBeGreaterThan(0)
    })
  })
}
