/**
 * A model checker for the membership backend's lease core: N pure cores on one true clock, each
 * reading its own drifting clock (rate 1 ± up to maxDriftRate, random offset), over a seeded,
 * randomized network: delay with a long tail (reordering), loss, duplication, partitions that cut
 * messages in flight, heals, crashes and restarts from the persisted voter promise. Phases alternate
 * between chaos and "stable" (a connected majority, light loss, no crashes).
 *
 * What it checks, in true time:
 * - safety: no two (node, term) leadership intervals overlap, and no term is led by two nodes. An
 *   interval runs from the event where isLeader() first holds to the true instant the node's clock
 *   reaches its leaseEnd, cut short by step-down or crash;
 * - monotone promises: no node persists or grants a term lower than one it granted before;
 * - liveness: in every stable phase a node of the connected majority is leader within `boundMs`.
 * `plant` swaps in a broken rule so a test can show the checker catches it.
 */
import { createElectionConfig, type ElectionInit } from '../../actors/election/config.ts'
import { isLeader, startLease, stepLease } from '../../actors/election/lease-core.ts'
import type { LeaseEffect, LeaseInput, LeaseState, LeaseTimerKey } from '../../actors/election/lease-types.ts'
import type { ElectionMsg } from '../../actors/election/messages.ts'
import { decodeGroupMessage, encodeElectionEnvelope } from '../../actors/election/group-frame.ts'
import { decodeGossamerMessage } from '../../src/wire/gossamer-message.ts'
import type { PersistedPromise } from '../../actors/election/voter.ts'
import { createSeededRandom, type RandomSource } from '../../src/types/random.ts'

/**
 * Broken rules to plant: voters that grant every request (no grant rule at all); voters that keep
 * one candidate per term but forget their unexpired promise when a newer term asks (no hold); or
 * leaders that believe the voters' full lease (no drift margin) while clocks drift by 10% (10× the
 * stated bound).
 */
export type Plant = 'none' | 'grant-always' | 'no-hold' | 'no-drift-margin'

export interface SimOptions {
  nodes: number
  seed: number
  /** Simulated true time to run, ms. */
  durationMs?: number
  election?: ElectionInit
  plant?: Plant
  /** A leader must exist within this long of the start of each stable phase (checked phases only). */
  boundMs?: number
  /** Receives one line per phase, crash, restart, campaign and leadership change (debugging a seed). */
  trace?: (line: string) => void
}

export interface SimResult {
  seed: number
  nodes: number
  violations: string[]
  /** Per stable phase: ms from its start until a majority-side leader existed (undefined = none within the phase). */
  recoveries: (number | undefined)[]
  leaderships: number
  messages: number
  crashes: number
  events: number
  /** Closest approach of two leaderships of different nodes: next start − previous end, ms (negative = overlap). */
  minGapMs: number | undefined
  /** Safety violations of the kind "two nodes held an unexpired lease at once" (overlaps, a term led twice). */
  twoLeaderInstants: number
  /** Safety violations of the kind "a node persisted or granted a term lower than one it had promised". */
  staleTermsAccepted: number
}

/** The harness's lease timing: a 2 s lease keeps 200 seeds × 3 sizes well under 30 s of real time. */
export const SIM_ELECTION: ElectionInit = { leaseMs: 2_000, maxDriftRate: 0.01, stepDownMarginMs: 10, campaignTimeoutMs: 500, campaignJitterMs: 1_000 }
/**
 * Liveness bound after a heal, for SIM_ELECTION: every promise made before the heal has lapsed
 * after one lease (2 s, 2.04 s with drift; a restarted node's hold is one lease too); campaigns then
 * start within the jitter (1 s, doubling per failed campaign in a row up to 8 s) and a failed round
 * costs at most the 0.5 s campaign timeout. The worst case is a bare majority (8 of 15) with loss,
 * where every single connected member must grant (hence the vote retry halfway through a round).
 * Bound: 6 leases = 12 s. Measured worst: 7.0 s over seeds 1-1000 × N = 5, 7, 15 at 60 s each
 * (`npm run chaos:lease -- --seeds 1000`).
 */
export const SIM_BOUND_MS = 12_000

/** The one group the simulated cluster elects a leader for (carried in every message's frame). */
const SIM_GROUP = 'sim'

type Ev =
  | { kind: 'deliver'; to: number; bytes: Uint8Array }
  | { kind: 'timer'; node: number; key: LeaseTimerKey; id: number }
  | { kind: 'phase' }
  | { kind: 'restart'; node: number; gen: number }

interface Node {
  name: string
  rate: number
  offset: number
  up: boolean
  state: LeaseState | undefined
  persisted: PersistedPromise | undefined
  timers: Map<LeaseTimerKey, number>
  /** Highest term this node ever granted or persisted (survives crashes, like the disk). */
  maxPromised: number
  /** Bumped at every crash and boot: a scheduled restart for an older one is void. */
  gen: number
  /** The open leadership interval, if it believes it leads. */
  belief: { term: number; start: number; end: number } | undefined
}

export function runLeaseSim(opts: SimOptions): SimResult {
  const rng = createSeededRandom(opts.seed)
  const plant = opts.plant ?? 'none'
  const baseInit = { ...SIM_ELECTION, ...opts.election }
  const config = createElectionConfig(baseInit)
  // no-drift-margin: the core is told there is no drift and no margin.
  const coreConfig = plant === 'no-drift-margin' ? createElectionConfig({ ...baseInit, maxDriftRate: 0, stepDownMarginMs: 0 }) : config
  // no-drift-margin also lets the clocks drift 10× the stated bound, so the missing margin can show.
  const rho = plant === 'no-drift-margin' ? 10 * config.maxDriftRate : config.maxDriftRate
  const n = opts.nodes
  const duration = opts.durationMs ?? 60_000
  const bound = opts.boundMs ?? SIM_BOUND_MS
  const names = Array.from({ length: n }, (_, i) => `n${i}`)
  const index = new Map(names.map((x, i) => [x, i]))
  const nodes: Node[] = names.map((name, i) => ({
    name,
    // Pin the extremes on two nodes so the worst pair of clocks is always present.
    rate: 1 + (i === 0 ? rho : i === 1 ? -rho : (rng.next() * 2 - 1) * rho),
    offset: rng.int(1_000_000),
    up: true,
    state: undefined,
    persisted: undefined,
    timers: new Map(),
    maxPromised: 0,
    gen: 0,
    belief: undefined,
  }))
  const heap = new EventHeap()
  const violations: string[] = []
  let twoLeaders = 0
  let staleTerms = 0
  const intervals: { node: number; term: number; start: number; end: number }[] = []
  const recoveries: (number | undefined)[] = []
  let now = 0
  let timerIds = 0
  let messages = 0
  let crashes = 0
  let events = 0
  let group: number[] = names.map(() => 0)
  let loss = 0
  let dup = 0
  let stable: { start: number; members: Set<number>; found: number | undefined } | undefined

  const local = (i: number, t: number) => nodes[i]!.offset + t * nodes[i]!.rate
  const trueOf = (i: number, localT: number) => (localT - nodes[i]!.offset) / nodes[i]!.rate
  const violate = (what: string) => {
    if (violations.length < 20) violations.push(`seed ${opts.seed} N=${n} t=${now.toFixed(1)}: ${what}`)
  }

  function closeBelief(i: number, at: number): void {
    const b = nodes[i]!.belief
    if (b === undefined) return
    intervals.push({ node: i, term: b.term, start: b.start, end: Math.min(b.end, at) })
    nodes[i]!.belief = undefined
  }

  function observe(i: number): void {
    const node = nodes[i]!
    const s = node.state
    const leading = node.up && s !== undefined && isLeader(s, local(i, now))
    if (!leading) {
      closeBelief(i, now)
      return
    }
    const lead = s.lead!
    if (node.belief !== undefined && node.belief.term !== lead.term) closeBelief(i, now)
    const end = trueOf(i, lead.leaseEnd)
    if (node.belief === undefined) node.belief = { term: lead.term, start: now, end }
    else node.belief.end = Math.max(node.belief.end, end)
    if (stable !== undefined && stable.found === undefined && stable.members.has(i)) stable.found = now - stable.start
  }

  function apply(i: number, effects: LeaseEffect[]): void {
    const node = nodes[i]!
    for (const e of effects) {
      if (e.type === 'persist') {
        if (e.promise.term < node.maxPromised) {
          staleTerms++
          violate(`${node.name} persisted term ${e.promise.term} after promising ${node.maxPromised}`)
        }
        node.maxPromised = Math.max(node.maxPromised, e.promise.term)
        node.persisted = e.promise
      } else if (e.type === 'send') {
        if (e.msg.type === 'grant' && e.msg.granted && e.msg.term < node.maxPromised && plant === 'none') {
          staleTerms++
          violate(`${node.name} granted term ${e.msg.term} after promising ${node.maxPromised}`)
        }
        send(i, e.to, e.msg)
      } else if (e.type === 'set-timer') {
        const id = ++timerIds
        node.timers.set(e.key, id)
        heap.push(now + e.ms / node.rate, { kind: 'timer', node: i, key: e.key, id })
      } else if (e.type === 'cancel-timer') node.timers.delete(e.key)
    }
  }

  function step(i: number, input: LeaseInput): void {
    const before = nodes[i]!.state!
    const out = stepLease(before, input)
    nodes[i]!.state = out.state
    if (opts.trace !== undefined && (out.state.role !== before.role || out.state.campaign?.term !== before.campaign?.term)) {
      opts.trace(`${now.toFixed(1)} ${nodes[i]!.name} ${before.role}->${out.state.role} term ${out.state.campaign?.term ?? out.state.lead?.term ?? out.state.voter.term} (${input.type}${input.type === 'timer-fired' ? ' ' + input.key : ''}) grants ${before.campaign?.round.grants.join(',') ?? ''} refusals ${before.campaign?.round.refusals.join(',') ?? ''}`)
    }
    apply(i, out.effects)
  }

  function send(from: number, to: string, msg: ElectionMsg): void {
    const j = index.get(to)
    if (j === undefined || !nodes[from]!.up || group[from] !== group[j]) return
    messages++
    // Every message crosses the real wire form: Gossamer's envelope, the group frame, the lease codec.
    const bytes = encodeElectionEnvelope(SIM_GROUP, msg)
    const copies = rng.next() < dup ? 2 : 1
    for (let c = 0; c < copies; c++) {
      if (rng.next() < loss) continue
      heap.push(now + delay(rng, stable === undefined ? config.leaseMs : 200), { kind: 'deliver', to: j, bytes })
    }
  }

  function deliver(to: number, bytes: Uint8Array): void {
    const node = nodes[to]!
    const { channel, body } = decodeGossamerMessage(bytes)
    const framed = decodeGroupMessage(body)
    if (channel !== 'election' || framed.group !== SIM_GROUP) throw new Error(`lease-sim: a message came back as ${channel}/${framed.group}`)
    const msg = framed.msg
    const from = index.get(msg.from)!
    if (!node.up || group[from] !== group[to]) return // a partition cuts messages in flight
    if (plant === 'grant-always' && (msg.type === 'vote' || msg.type === 'renew')) {
      // The broken rule: grant whatever is asked, promise nothing.
      send(to, msg.from, { type: 'grant', term: msg.term, from: node.name, round: msg.round, granted: true, promised: msg.term })
      return
    }
    if (plant === 'no-hold' && (msg.type === 'vote' || msg.type === 'renew')) {
      // The broken rule: a promise to another candidate is forgotten as soon as someone asks.
      const st = node.state!
      if (st.voter.votedFor !== msg.from) node.state = { ...st, voter: { ...st.voter, holdUntil: 0, restartHoldUntil: 0 } }
    }
    step(to, { type: 'message', msg, now: local(to, now) })
  }

  function boot(i: number): void {
    const node = nodes[i]!
    node.up = true
    node.gen++
    node.timers.clear()
    const out = startLease({
      config: coreConfig,
      self: node.name,
      now: local(i, now),
      seed: rng.int(0x1_0000_0000),
      ...(node.persisted === undefined ? {} : { persisted: node.persisted }),
      peers: names.filter((x) => x !== node.name),
      expected: n,
    })
    node.state = out.state
    apply(i, out.effects)
  }

  function crash(i: number): void {
    closeBelief(i, now)
    opts.trace?.(`${now.toFixed(1)} crash ${names[i]}`)
    nodes[i]!.up = false
    nodes[i]!.state = undefined
    nodes[i]!.timers.clear()
    nodes[i]!.gen++
    crashes++
    heap.push(now + rng.next() * 2 * config.leaseMs, { kind: 'restart', node: i, gen: nodes[i]!.gen })
  }

  function nextPhase(): void {
    if (stable !== undefined) {
      recoveries.push(stable.found)
      if (stable.found === undefined || stable.found > bound) violate(`no leader in the majority within ${bound} ms of a heal (found ${stable.found ?? 'none'})`)
      stable = undefined
    }
    const chaos = recoveries.length === 0 ? rng.next() < 0.5 : rng.next() < 0.6
    if (chaos) {
      // Partition into 1-3 groups, some loss and duplication, a few crashes.
      const groups = 1 + rng.int(3)
      group = names.map(() => rng.int(groups))
      loss = rng.next() * 0.3
      dup = rng.next() * 0.1
      opts.trace?.(`${now.toFixed(1)} chaos phase: groups ${group.join('')}, loss ${loss.toFixed(3)}, dup ${dup.toFixed(3)}`)
      for (let i = 0; i < n; i++) if (nodes[i]!.up && rng.next() < 0.15) crash(i)
      heap.push(now + config.leaseMs * (0.5 + rng.next() * 3), { kind: 'phase' })
    } else {
      // Heal: a majority (sometimes all) connected and up (its crashed members restart now), light loss.
      const cut = rng.next() < 0.5 ? 0 : rng.int(Math.floor((n - 1) / 2) + 1)
      const order = rng.shuffle(names.map((_, i) => i))
      const out = new Set(order.slice(0, cut))
      group = names.map((_, i) => (out.has(i) ? 1 : 0))
      loss = rng.next() * 0.05
      dup = rng.next() * 0.05
      const members = new Set(order.filter((i) => !out.has(i)))
      opts.trace?.(`${now.toFixed(1)} stable phase: ${[...members].map((i) => names[i]).join(',')} connected, loss ${loss.toFixed(3)}`)
      stable = { start: now, members, found: undefined }
      for (const i of members) if (!nodes[i]!.up) boot(i)
      for (const i of members) observe(i)
      heap.push(now + bound + config.leaseMs * (0.5 + rng.next() * 2), { kind: 'phase' })
    }
  }

  for (let i = 0; i < n; i++) boot(i)
  heap.push(config.leaseMs * 2, { kind: 'phase' })
  while (heap.size > 0) {
    const [t, ev] = heap.pop()
    if (t > duration) break
    now = t
    events++
    if (ev.kind === 'deliver') {
      deliver(ev.to, ev.bytes)
      observe(ev.to)
    } else if (ev.kind === 'timer') {
      const node = nodes[ev.node]!
      if (!node.up || node.timers.get(ev.key) !== ev.id) continue
      node.timers.delete(ev.key)
      step(ev.node, { type: 'timer-fired', key: ev.key, now: local(ev.node, now) })
      observe(ev.node)
    } else if (ev.kind === 'restart') {
      if (nodes[ev.node]!.up || nodes[ev.node]!.gen !== ev.gen) continue
      boot(ev.node)
      observe(ev.node)
    } else {
      nextPhase()
    }
  }
  now = duration
  for (let i = 0; i < n; i++) closeBelief(i, now)
  const minGapMs = checkIntervals(intervals, names, (what) => {
    twoLeaders++
    violate(what)
  })
  return { seed: opts.seed, nodes: n, violations, recoveries, leaderships: intervals.length, messages, crashes, events, minGapMs, twoLeaderInstants: twoLeaders, staleTermsAccepted: staleTerms }
}

/** Any two leadership intervals of different (node, term) that overlap, or one term led by two nodes, is a violation. */
function checkIntervals(intervals: { node: number; term: number; start: number; end: number }[], names: string[], violate: (what: string) => void): number | undefined {
  // Merge the pieces of one (node, term) (a belief reopened after a late timer) first.
  const merged = new Map<string, { node: number; term: number; start: number; end: number }>()
  const termOwner = new Map<number, number>()
  for (const iv of intervals) {
    if (iv.end <= iv.start) continue
    const owner = termOwner.get(iv.term)
    if (owner !== undefined && owner !== iv.node) violate(`term ${iv.term} led by ${names[owner]} and ${names[iv.node]}`)
    termOwner.set(iv.term, iv.node)
    const k = `${iv.node}/${iv.term}`
    const m = merged.get(k)
    if (m === undefined) merged.set(k, { ...iv })
    else {
      m.start = Math.min(m.start, iv.start)
      m.end = Math.max(m.end, iv.end)
    }
  }
  const list = [...merged.values()].sort((a, b) => a.start - b.start)
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length && list[j]!.start < list[i]!.end; j++) {
      const a = list[i]!
      const b = list[j]!
      violate(`${names[a.node]} (term ${a.term}, ${a.start.toFixed(1)}..${a.end.toFixed(1)}) and ${names[b.node]} (term ${b.term}, ${b.start.toFixed(1)}..${b.end.toFixed(1)}) both held the lease`)
    }
  }
  let minGap: number | undefined
  let latest: { node: number; end: number } | undefined
  for (const iv of list) {
    if (latest !== undefined && latest.node !== iv.node) minGap = Math.min(minGap ?? Infinity, iv.start - latest.end)
    if (latest === undefined || iv.end > latest.end) latest = { node: iv.node, end: iv.end }
  }
  return minGap
}

/** Network delay, ms: mostly 1-30 ms, one in ten 30..tailMs (chaos: a lease length, for reordering and very late grants; stable: 200 ms). */
function delay(rng: RandomSource, tailMs: number): number {
  return rng.next() < 0.9 ? 1 + rng.next() * 29 : 30 + rng.next() * tailMs
}

/** A binary min-heap of events by (time, insertion order): same seed, same order. */
class EventHeap {
  private readonly items: { t: number; seq: number; ev: Ev }[] = []
  private seq = 0

  get size(): number {
    return this.items.length
  }

  push(t: number, ev: Ev): void {
    const a = this.items
    a.push({ t, seq: this.seq++, ev })
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(a[i]!, a[p]!)) break
      ;[a[i], a[p]] = [a[p]!, a[i]!]
      i = p
    }
  }

  pop(): [number, Ev] {
    const a = this.items
    const top = a[0]!
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && less(a[l]!, a[m]!)) m = l
        if (r < a.length && less(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return [top.t, top.ev]
  }
}

function less(a: { t: number; seq: number }, b: { t: number; seq: number }): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq)
}
