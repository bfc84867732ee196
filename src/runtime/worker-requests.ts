/**
 * WorkerRequests: the control requests a WorkerProxy sends its thread and waits on (stats, idle),
 * each with a number of its own (`cid`) and a timeout (real time: the thread's own answer, not the
 * actor's clock). Every request resolves: with the thread's answer, with undefined after its
 * timeout, or with an idle answer of cid -1 when the thread ends first.
 */
import { K, type MainToWorker, type WorkerToMain } from './frames.ts'

export class WorkerRequests {
  #seq = 0
  readonly #waiting = new Map<number, (m: WorkerToMain) => void>()

  /** Posts `make(cid)` through `post` and resolves with the answer, or undefined after `timeoutMs`. */
  send(post: (m: MainToWorker) => void, make: (cid: number) => MainToWorker, timeoutMs: number): Promise<WorkerToMain | undefined> {
    const cid = ++this.#seq
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(cid)
        resolve(undefined)
      }, timeoutMs)
      this.#waiting.set(cid, (m) => {
        clearTimeout(timer)
        resolve(m)
      })
      post(make(cid))
    })
  }

  /** The thread's answer to request `cid` (an unknown or timed-out one is ignored). */
  answer(cid: number, m: WorkerToMain): void {
    const w = this.#waiting.get(cid)
    this.#waiting.delete(cid)
    w?.(m)
  }

  /** The thread is gone: every request still waiting resolves now. */
  endAll(): void {
    const waiting = [...this.#waiting.values()]
    this.#waiting.clear()
    for (const w of waiting) w({ k: K.idle, cid: -1 })
  }
}
