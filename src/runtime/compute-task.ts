/**
 * The piscina task handler of the compute pool: loads the task's module (cached by the module
 * system) and calls its named export. A `.ts` module URL that does not exist (built output) is
 * swapped for its `.js` sibling.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isMainThread, workerData } from 'node:worker_threads'
import type { ComputeThreadData } from './compute-pool.ts'
import { lowerThisThread } from './thread-priority.ts'

// Loaded once per pool thread, before its first task: the thread lowers its own priority.
const data = workerData as Partial<ComputeThreadData> | null
if (!isMainThread && data?.gossamerCompute === 1 && typeof data.nice === 'number') lowerThisThread(data.nice)

export interface ComputeRequest {
  module: string
  name: string
  input: unknown
}

export default async function runComputeTask(req: ComputeRequest): Promise<unknown> {
  let spec = req.module
  if (spec.startsWith('file:') && spec.endsWith('.ts') && !existsSync(fileURLToPath(spec))) spec = spec.replace(/\.ts$/, '.js')
  const mod = (await import(spec)) as Record<string, unknown>
  const fn = mod[req.name]
  if (typeof fn !== 'function') throw new Error(`compute task ${req.name} not found in ${req.module}`)
  return await (fn as (input: unknown) => unknown)(req.input)
}
