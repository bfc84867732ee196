/**
 * A JetStream KV bucket in memory on a SimulatedClock, for deterministic tests of the nats
 * backend's host and core: one revision counter (the stream sequence), max-age expiry by the
 * "server" clock (the simulated one), create / update / delete with JetStream's revision checks,
 * watchers told of writes and deletes but, like nats-server 2.9, NOT of expiry. Each port (one per
 * node) adds a latency per request and can be cut off; faults from a seeded random source: a
 * request lost on the way (it fails after the timeout, not applied) or its reply lost (applied,
 * then fails after the timeout).
 */
import type { SimulatedClock } from '../../../../src/runtime/simulated-clock.ts'
import type { ElectionKvPort, KvWriteResult, RawEntry } from '../../../../actors/election/kv-port.ts'

interface Stored {
  revision: number
  op: RawEntry['op']
  value: Uint8Array
  writtenAt: number
}

export interface SimKvFaults {
  /** Per request: probability that it is lost before the server (fails after timeoutMs). */
  lossRate?: number
  /** Per request: probability that it is applied but its reply is lost (fails after timeoutMs). */
  replyLossRate?: number
  /** Latency of each leg, ms: uniform in [min, max]. */
  latencyMs?: [number, number]
  timeoutMs?: number
}

export class SimKv {
  seq = 0
  readonly keys = new Map<string, Stored>()
  readonly watchers = new Set<(key: string, e: RawEntry) => void>()

  constructor(
    readonly clock: SimulatedClock,
    readonly ttlMs: number,
    readonly random: () => number,
  ) {}

  /** The key's live entry at the server now (expired entries are gone, as max age removes them). */
  live(key: string): Stored | undefined {
    const e = this.keys.get(key)
    if (e !== undefined && e.writtenAt + this.ttlMs <= this.clock.now()) {
      this.keys.delete(key)
      return undefined
    }
    return e
  }

  apply(op: { kind: 'create' | 'update' | 'delete'; key: string; value?: Uint8Array; revision?: number }): { ok: true; revision: number } | { ok: false } {
    const cur = this.live(op.key)
    const last = cur?.revision ?? 0
    if (op.kind === 'create') {
      if (cur !== undefined && cur.op === 'PUT') return { ok: false }
    } else if (last !== op.revision) return { ok: false }
    const e: Stored = { revision: ++this.seq, op: op.kind === 'delete' ? 'DEL' : 'PUT', value: op.value ?? new Uint8Array(0), writtenAt: this.clock.now() }
    this.keys.set(op.key, e)
    for (const w of this.watchers) {
      const raw = { revision: e.revision, op: e.op, value: e.value }
      this.clock.setTimeout(() => w(op.key, raw), 1)
    }
    return { ok: true, revision: e.revision }
  }

  port(faults: SimKvFaults = {}): SimKvPort {
    return new SimKvPort(this, faults)
  }
}

export class SimKvPort implements ElectionKvPort {
  cut = false
  /** The watch hears nothing (requests still work): a watch that broke. */
  deaf = false
  closed = false
  readonly #watchers = new Set<(key: string, e: RawEntry) => void>()

  constructor(
    readonly kv: SimKv,
    readonly faults: SimKvFaults,
  ) {}

  #leg(): number {
    const [min, max] = this.faults.latencyMs ?? [1, 1]
    return min + Math.floor(this.kv.random() * (max - min + 1))
  }

  /** One request: there, applied (unless lost or cut), back; a failure resolves after the timeout. */
  #request<T>(apply: () => T, failed: (reason: 'error') => T): Promise<T> {
    const timeout = this.faults.timeoutMs ?? 200
    return new Promise((resolve) => {
      if (this.cut || this.closed || this.kv.random() < (this.faults.lossRate ?? 0)) {
        this.kv.clock.setTimeout(() => resolve(failed('error')), timeout)
        return
      }
      this.kv.clock.setTimeout(() => {
        const result = apply()
        if (this.cut || this.closed || this.kv.random() < (this.faults.replyLossRate ?? 0)) {
          this.kv.clock.setTimeout(() => resolve(failed('error')), Math.max(0, timeout - this.#leg()))
          return
        }
        this.kv.clock.setTimeout(() => resolve(result), this.#leg())
      }, this.#leg())
    })
  }

  #write(op: Parameters<SimKv['apply']>[0]): Promise<KvWriteResult> {
    return this.#request<KvWriteResult>(
      () => {
        const r = this.kv.apply(op)
        return r.ok ? { ok: true, revision: r.revision } : { ok: false, reason: 'conflict', error: new Error('wrong last sequence') }
      },
      () => ({ ok: false, reason: 'error', error: new Error('timeout') }),
    )
  }

  create(key: string, value: Uint8Array) {
    return this.#write({ kind: 'create', key, value })
  }
  update(key: string, value: Uint8Array, revision: number) {
    return this.#write({ kind: 'update', key, value, revision })
  }
  async delete(key: string, revision: number) {
    const r = await this.#write({ kind: 'delete', key, revision })
    return r.ok ? ({ ok: true } as const) : { ok: false as const, reason: r.reason, error: r.error }
  }
  get(key: string) {
    return this.#request<{ ok: true; entry: RawEntry | null } | { ok: false; error: unknown }>(
      () => {
        const e = this.kv.live(key)
        return { ok: true, entry: e === undefined ? null : { revision: e.revision, op: e.op, value: e.value } }
      },
      () => ({ ok: false, error: new Error('timeout') }),
    )
  }
  watch(onEntry: (key: string, e: RawEntry) => void) {
    const w = (key: string, e: RawEntry) => {
      if (!this.cut && !this.deaf && !this.closed) onEntry(key, e)
    }
    this.kv.watchers.add(w)
    this.#watchers.add(w)
    return { stop: () => void this.kv.watchers.delete(w) }
  }
  async close() {
    this.closed = true
    for (const w of this.#watchers) this.kv.watchers.delete(w)
  }
}
