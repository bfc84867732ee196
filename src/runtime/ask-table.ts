/**
 * AskTable: the system thread's pending asks, by correlation id. Each ask has a timeout on the
 * system clock and an optional AbortSignal; a crash of the target fails its asks at once.
 */
import type { ActorClock } from '../types/time.ts'
import type { ClusterError, WireError } from '../errors/cluster-error.ts'
import { AskAbortedError, AskTimeoutError, runtimeErrorFromWire } from '../errors/runtime-errors.ts'

interface Pending {
  actor: string
  type: string
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
  timer: unknown
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

export class AskTable {
  #seq = 0
  readonly #pending = new Map<number, Pending>()

  constructor(readonly clock: ActorClock) {}

  get size(): number {
    return this.#pending.size
  }

  open(actor: string, type: string, timeoutMs: number, signal: AbortSignal | undefined): { cid: number; promise: Promise<unknown> } {
    const cid = ++this.#seq
    const promise = new Promise<unknown>((resolve, reject) => {
      const p: Pending = { actor, type, resolve, reject, timer: undefined, signal, onAbort: undefined }
      p.timer = this.clock.setTimeout(() => this.#settle(cid, undefined, new AskTimeoutError(actor, type, timeoutMs)), timeoutMs)
      if (signal !== undefined) {
        p.onAbort = () => this.#settle(cid, undefined, new AskAbortedError(actor, type, { cause: signal.reason }))
        signal.addEventListener('abort', p.onAbort, { once: true })
      }
      this.#pending.set(cid, p)
    })
    return { cid, promise }
  }

  resolve(cid: number, value: unknown): void {
    this.#settle(cid, value, undefined)
  }

  reject(cid: number, error: WireError | ClusterError): void {
    this.#settle(cid, undefined, error instanceof Error ? error : runtimeErrorFromWire(error))
  }

  /** Fails every ask waiting on `actor`; returns how many. */
  failActor(actor: string, makeError: () => ClusterError): number {
    let n = 0
    for (const [cid, p] of this.#pending) {
      if (p.actor === actor) {
        this.#settle(cid, undefined, makeError())
        n++
      }
    }
    return n
  }

  failAll(makeError: (actor: string) => ClusterError): void {
    for (const [cid, p] of this.#pending) this.#settle(cid, undefined, makeError(p.actor))
  }

  #settle(cid: number, value: unknown, error: Error | undefined): void {
    const p = this.#pending.get(cid)
    if (p === undefined) return // late reply after timeout/abort/crash: ignored
    this.#pending.delete(cid)
    this.clock.clearTimeout(p.timer)
    if (p.onAbort !== undefined) p.signal!.removeEventListener('abort', p.onAbort)
    if (error !== undefined) p.reject(error)
    else p.resolve(value)
  }
}
