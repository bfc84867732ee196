/**
 * The election's `nats` backend: one pure core per group (nats-lease-core.ts) driven by a host
 * that performs its effects on a KV port (kv-port.ts; io/nats-kv.ts for a real server) and a
 * clock (the runtime's ActorClock: real in production, simulated where a test can use one). The
 * host holds no decision: it turns results, watched entries and timer firings into core inputs.
 * One bucket watch feeds every group; each group's key is the group name.
 */
import type { ActorClock } from '../../src/types/time.ts'
import type { WireError } from '../../src/errors/index.ts'
import type { ElectionBackend, LeaderChange, LeaderView } from './backend.ts'
import { createChangeStream, type ChangeStream } from './change-stream.ts'
import { ElectionBackendError, ElectionInputError } from './errors.ts'
import { decodeEntry, encodeLeaseValue, type ElectionKvPort } from './kv-port.ts'
import type { NatsElectionConfig } from './nats-config.ts'
import { stepNatsLease, viewOf } from './nats-lease-core.ts'
import { initialNatsLease, type NatsLeaseEffect, type NatsLeaseInput, type NatsLeaseState, type NatsLeaseStats, type NatsTimerKey } from './nats-lease-types.ts'
import type { Term } from './term.ts'

/** A KV key (and so a group name): NATS subject tokens, no wildcards. */
const GROUP = /^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$/
const MAX_GROUP_BYTES = 256
/** Bound on groups one backend stands in or watches (each holds a core and up to three timers). */
export const MAX_GROUPS = 1024

interface Group {
  state: NatsLeaseState
  timers: Map<NatsTimerKey, unknown>
  streams: Set<ChangeStream>
  winners: Set<{ resolve: (t: Term) => void; reject: (e: unknown) => void }>
  /** The last request that failed other than by a revision conflict (NATS unreachable, timeout). */
  lastError: WireError | undefined
}

export class NatsElectionBackend implements ElectionBackend {
  readonly kind = 'nats'
  readonly #groups = new Map<string, Group>()
  readonly #watch: { stop(): void }
  #closed = false
  /** Watched entries of keys no group here follows (another application's groups in the bucket). */
  unfollowedEntries = 0

  constructor(
    readonly self: string,
    readonly config: NatsElectionConfig,
    readonly kv: ElectionKvPort,
    readonly clock: ActorClock,
  ) {
    this.#watch = kv.watch((key, raw) => {
      const g = this.#groups.get(key)
      if (g === undefined) this.unfollowedEntries++
      else this.#step(key, g, { type: 'observed', entry: decodeEntry(raw), now: clock.now() })
    })
  }

  campaign(group: string, options: { signal?: AbortSignal } = {}): Promise<Term> {
    if (this.#closed) return Promise.reject(closedError())
    let g: Group
    try {
      g = this.#group(group)
    } catch (err) {
      return Promise.reject(err)
    }
    if (g.state.role === 'leader') return Promise.resolve(g.state.term as Term)
    return new Promise<Term>((resolve, reject) => {
      const signal = options.signal
      const waiter = {
        resolve: (t: Term) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(t)
        },
        reject: (e: unknown) => {
          signal?.removeEventListener('abort', onAbort)
          reject(e)
        },
      }
      const onAbort = (): void => {
        g.winners.delete(waiter)
        this.#step(group, g, { type: 'resign', now: this.clock.now() })
        reject(new ElectionBackendError('ERR_ELECTION_ABORTED', `the campaign for ${group} was aborted`))
      }
      if (signal?.aborted === true) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      g.winners.add(waiter)
      this.#step(group, g, { type: 'campaign', now: this.clock.now() })
    })
  }

  /** Resolves once the release (the delete at the held revision) is done or has failed: a fence() after it sees no holder. */
  async resign(group: string): Promise<void> {
    const g = this.#group(group)
    const releases = this.#step(group, g, { type: 'resign', now: this.clock.now() })
    for (const w of g.winners) w.reject(new ElectionBackendError('ERR_ELECTION_ABORTED', `resigned from ${group} before winning`))
    g.winners.clear()
    await Promise.all(releases)
  }

  view(group: string): LeaderView {
    const g = this.#groups.get(checkGroup(group))
    return g === undefined ? { group, leader: null, term: 0 as Term, isSelf: false } : viewOf(g.state)
  }

  changes(group: string, options: { signal?: AbortSignal; bufferSize?: number } = {}): AsyncIterable<LeaderChange> {
    const g = this.#group(group)
    const stream = createChangeStream(options.bufferSize ?? 1024, options.signal, () => g.streams.delete(stream))
    if (this.#closed) stream.end()
    else g.streams.add(stream)
    return stream
  }

  async fence(group: string, term: Term): Promise<void> {
    checkGroup(group)
    if (!Number.isSafeInteger(term) || term < 0) throw new ElectionInputError('ERR_ELECTION_INVALID_TERM', `a term must be a non-negative safe integer (got ${String(term)})`)
    const read = await this.kv.get(group)
    if (!read.ok) throw new ElectionBackendError('ERR_ELECTION_NATS_REQUEST', `reading ${group} failed: ${(read.error as Error)?.message}`, { cause: read.error })
    const entry = read.entry === null ? null : decodeEntry(read.entry)
    if (entry === null || entry.op !== 'PUT') {
      // No holder now: any term at or below the key's newest revision is from the past.
      if (entry !== null && term > entry.revision) throw futureError(group, term, entry.revision)
      throw new ElectionBackendError('ERR_ELECTION_NO_LEADER', `no leader holds ${group} now`, { details: { group, term } })
    }
    const current = entry.term > 0 ? entry.term : entry.revision
    if (term === current) return
    if (term < current) throw new ElectionBackendError('ERR_ELECTION_STALE_TERM', `term ${term} of ${group} is stale: the current term is ${current}`, { details: { group, term, current } })
    throw futureError(group, term, current)
  }

  /** The group's counters, and the last failed request as a coded error (ERR_ELECTION_NATS_REQUEST), if any. */
  stats(group: string): (NatsLeaseStats & { lastError: WireError | undefined }) | undefined {
    const g = this.#groups.get(group)
    return g === undefined ? undefined : { ...g.state.stats, lastError: g.lastError }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const releases: Promise<unknown>[] = []
    for (const [name, g] of this.#groups) {
      const held = g.state.role === 'leader' ? g.state.revision : 0
      this.#step(name, g, { type: 'close', now: this.clock.now() }, false)
      // The release is awaited (a handover should not wait for the key's expiry).
      if (held > 0) releases.push(this.kv.delete(name, held))
      for (const t of g.timers.values()) this.clock.clearTimeout(t)
      g.timers.clear()
      for (const w of g.winners) w.reject(closedError())
      g.winners.clear()
      for (const s of [...g.streams]) s.end()
    }
    await Promise.allSettled(releases)
    this.#watch.stop()
    await this.kv.close()
  }

  #group(name: string): Group {
    checkGroup(name)
    let g = this.#groups.get(name)
    if (g === undefined) {
      if (this.#groups.size >= MAX_GROUPS) throw new ElectionInputError('ERR_ELECTION_INVALID_INPUT', `at most ${MAX_GROUPS} groups per backend`, { group: name })
      g = { state: initialNatsLease(this.config, name, this.self), timers: new Map(), streams: new Set(), winners: new Set(), lastError: undefined }
      this.#groups.set(name, g)
    }
    return g
  }

  /** One core step and its effects. `perform`: false at close (the release is done by close itself). */
  /** Returns the deletes it started (resign waits for its release). */
  #step(name: string, g: Group, input: NatsLeaseInput, perform = true): Promise<unknown>[] {
    const { state, effects } = stepNatsLease(g.state, input)
    g.state = state
    const deletes: Promise<unknown>[] = []
    for (const e of effects) {
      if (!perform && e.type !== 'changed' && e.type !== 'cancel-timer') continue
      const p = this.#run(name, g, e)
      if (p !== undefined) deletes.push(p)
    }
    return deletes
  }

  #run(name: string, g: Group, e: NatsLeaseEffect): Promise<unknown> | undefined {
    const now = () => this.clock.now()
    const failed = <R extends { ok: boolean; reason?: string; error?: unknown }>(r: R): R => {
      if (!r.ok && r.reason !== 'conflict') g.lastError = requestError(e.type, name, r.error)
      return r
    }
    switch (e.type) {
      case 'create':
        void this.kv.create(name, encodeLeaseValue(e.value.holder, e.value.term)).then(failed).then((r) =>
          this.#step(name, g, r.ok ? { type: 'created', revision: r.revision, now: now() } : { type: 'create-failed', reason: r.reason === 'conflict' ? 'exists' : 'error', now: now() }),
        )
        return
      case 'update':
        void this.kv.update(name, encodeLeaseValue(e.value.holder, e.value.term), e.revision).then(failed).then((r) =>
          this.#step(name, g, r.ok ? { type: 'updated', revision: r.revision, now: now() } : { type: 'update-failed', reason: r.reason, now: now() }),
        )
        return
      case 'delete':
        return this.kv.delete(name, e.revision).then(failed).then((r) => void this.#step(name, g, r.ok ? { type: 'deleted', now: now() } : { type: 'delete-failed', reason: r.reason, now: now() }))
      case 'get':
        void this.kv.get(name).then(failed).then((r) => this.#step(name, g, r.ok ? { type: 'observed', entry: r.entry === null ? null : decodeEntry(r.entry), now: now() } : { type: 'get-failed', now: now() }))
        return
      case 'set-timer': {
        const old = g.timers.get(e.key)
        if (old !== undefined) this.clock.clearTimeout(old)
        g.timers.set(
          e.key,
          this.clock.setTimeout(() => {
            g.timers.delete(e.key)
            this.#step(name, g, { type: 'timer', key: e.key, now: now() })
          }, e.ms),
        )
        return
      }
      case 'cancel-timer': {
        const t = g.timers.get(e.key)
        if (t !== undefined) this.clock.clearTimeout(t)
        g.timers.delete(e.key)
        return
      }
      case 'changed':
        for (const s of g.streams) s.push(e.change)
        if (e.change.isSelf && e.change.reason === 'elected') {
          for (const w of g.winners) w.resolve(e.change.term)
          g.winners.clear()
        }
        return
    }
  }
}

function checkGroup(group: string): string {
  if (typeof group !== 'string' || !GROUP.test(group) || Buffer.byteLength(group) > MAX_GROUP_BYTES) {
    throw new ElectionInputError('ERR_ELECTION_INVALID_INPUT', `a group name must be 1-${MAX_GROUP_BYTES} bytes of letters, digits, - / _ = and inner dots (got ${JSON.stringify(group)})`, { group })
  }
  return group
}

/** A failed request as the coded error users see in stats (the client's own error as the cause's message). */
function requestError(op: string, group: string, cause: unknown): WireError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return { code: 'ERR_ELECTION_NATS_REQUEST', message: `${op} of ${group} failed: ${reason}`, details: { op, group } }
}

const closedError = () => new ElectionBackendError('ERR_ELECTION_CLOSED', 'the election backend is closed')
const futureError = (group: string, term: number, newest: number) =>
  new ElectionBackendError('ERR_ELECTION_FUTURE_TERM', `term ${term} of ${group} was never granted: the newest is ${newest}`, { details: { group, term, newest } })
