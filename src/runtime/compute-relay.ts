/**
 * ComputeRelay: a worker thread's ComputePort. The compute pool lives on the system thread, so a
 * task goes there as a control message and its result comes back as another; a waiting task
 * whose signal aborts rejects at once (a result that comes later is ignored).
 */
import type { ComputePort, ComputeTask } from '../types/actor-env.ts'
import type { WireError } from '../errors/cluster-error.ts'
import { runtimeErrorFromWire } from '../errors/runtime-errors.ts'

interface Waiter {
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
}

export class ComputeRelay implements ComputePort {
  #seq = 0
  readonly #waiters = new Map<number, Waiter>()

  /** `post` sends the task to the system thread's pool, under correlation id `cid`. */
  constructor(readonly post: (cid: number, task: { module: string; name: string }, input: unknown) => void) {}

  run<I, O>(task: ComputeTask<I, O>, input: I, options: { signal?: AbortSignal } = {}): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const cid = ++this.#seq
      const signal = options.signal
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const onAbort = (): void => {
        this.#waiters.delete(cid)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.set(cid, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(v as O)
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort)
          reject(e)
        },
      })
      this.post(cid, { module: task.module, name: task.name }, input)
    })
  }

  /** The pool's answer to task `cid`. */
  settle(cid: number, value: unknown, error: WireError | undefined): void {
    const w = this.#waiters.get(cid)
    this.#waiters.delete(cid)
    if (w === undefined) return
    if (error !== undefined) w.reject(runtimeErrorFromWire(error))
    else w.resolve(value)
  }
}
