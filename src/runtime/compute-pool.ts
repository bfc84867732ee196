/**
 * The compute pool: piscina threads for CPU-heavy stateless work (snapshot compaction, large
 * assignment calculations), so no actor stalls its own event loop. One pool per system, on the
 * system thread, created on first use; worker actors reach it through their control channel.
 * Defaults for a 2-core box (spec §2): one thread, 30 s idle timeout to avoid spawn churn.
 * piscina itself is imported at the first task, not with the runtime: most systems never run one,
 * and loading it costs a process several MB of resident memory (an inline agent's budget is 50).
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Piscina } from 'piscina'
import type { ComputePort, ComputeTask } from '../types/actor-env.ts'
import { toWireError } from '../errors/cluster-error.ts'
import { ComputeError } from '../errors/runtime-errors.ts'

export interface ComputeOptions {
  maxThreads?: number
  idleTimeoutMs?: number
  /** Added to the pool threads' nice value on Linux (thread-priority.ts); default DEFAULT_COMPUTE_NICE. */
  nice?: number
}

/** The pool's threads run at nice +10 unless told otherwise (thread-priority.ts says why). */
export const DEFAULT_COMPUTE_NICE = 10

/** What a pool thread is given at its start (piscina's workerData): compute-task.ts reads it. */
export interface ComputeThreadData {
  gossamerCompute: 1
  nice: number
}

function handlerFile(): string {
  const ts = new URL('./compute-task.ts', import.meta.url)
  if (existsSync(fileURLToPath(ts))) return new URL('./compute-boot.mjs', import.meta.url).href
  return new URL('./compute-task.js', import.meta.url).href
}

export class ComputePool implements ComputePort {
  /** The pool, created (piscina imported) at the first task. */
  #pool: Promise<Piscina> | undefined
  #closed = false

  constructor(readonly options: ComputeOptions | false) {}

  run<I, O>(task: ComputeTask<I, O>, input: I, runOptions: { signal?: AbortSignal } = {}): Promise<O> {
    const options = this.options
    if (options === false) return Promise.reject(new ComputeError('ERR_COMPUTE_DISABLED', 'this system runs without a compute pool'))
    if (this.#closed) return Promise.reject(new ComputeError('ERR_COMPUTE_DISABLED', 'the compute pool is closed'))
    this.#pool ??= import('piscina').then(({ Piscina }) => {
      const pool = new Piscina({
        filename: handlerFile(),
        minThreads: 0,
        maxThreads: options.maxThreads ?? 1,
        idleTimeout: options.idleTimeoutMs ?? 30_000,
        workerData: { gossamerCompute: 1, nice: options.nice ?? DEFAULT_COMPUTE_NICE } satisfies ComputeThreadData,
      })
      // A pool thread that fails outside a task (e.g. its entry cannot load) must not crash the
      // process: the task's own promise carries the failure to the caller.
      pool.on('error', () => {})
      return pool
    })
    const opts = runOptions.signal === undefined ? {} : { signal: runOptions.signal }
    return this.#pool
      .then((pool) => {
        // Closed while piscina loaded: refused like a task that came after the close.
        if (this.#closed) throw new ComputeError('ERR_COMPUTE_DISABLED', 'the compute pool is closed')
        return pool.run({ module: task.module, name: task.name, input }, opts) as Promise<O>
      })
      .catch((err: unknown) => {
        if (err instanceof ComputeError) throw err
        if (err instanceof Error && err.name === 'AbortError') throw err
        throw new ComputeError('ERR_COMPUTE_FAILED', `compute task ${task.name} failed: ${toWireError(err).message}`, { cause: err })
      })
  }

  async destroy(): Promise<void> {
    this.#closed = true
    const pool = this.#pool
    this.#pool = undefined
    if (pool !== undefined) await (await pool).destroy()
  }
}
