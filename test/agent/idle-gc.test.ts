/**
 * idle-gc.ts: a full collection every IDLE_GC_MS once the agent runs, skipped (and counted) above
 * MAX_HEAP_BYTES, its CPU counted, nothing after stop; fake gc, heap, CPU and timer. Then a real
 * child process: V8's gc() taken at run time collects (a WeakRef's target is gone), and the
 * upkeep's timer does not keep the process alive.
 */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createIdleGc, idleGcStats, IDLE_GC_MS, MAX_HEAP_BYTES, type IdleGcDeps } from '../../src/agent/idle-gc.ts'
import { runProcess } from '../support/run-process.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

function fakes(heap = 9 * 1024 * 1024) {
  let tick: (() => void) | undefined
  let interval: number | undefined
  let collections = 0
  let cpu = 1_000_000
  const state = { heap }
  const deps: IdleGcDeps = {
    gc: () => {
      collections++
      cpu += 15_000
    },
    heapUsed: () => state.heap,
    cpuMicros: () => cpu,
    every: (fn, ms) => {
      tick = fn
      interval = ms
      return () => (tick = undefined)
    },
  }
  return { deps, state, tick: () => tick?.(), get ticking() { return tick !== undefined }, get interval() { return interval }, get collections() { return collections } }
}

describe('agent idle gc', () => {
  it('collects every IDLE_GC_MS once started, counts the runs and their CPU, and stops', () => {
    const f = fakes()
    const g = createIdleGc(f.deps)
    expect(f.ticking).toBe(false)
    expect(idleGcStats(g.stats())).toEqual({ idle_gc: 'off', idle_gc_runs: '0', idle_gc_skipped: '0', idle_gc_cpu_ms: '0.0' })
    g.start()
    g.start()
    expect(f.interval).toBe(IDLE_GC_MS)
    f.tick()
    f.tick()
    expect(f.collections).toBe(2)
    expect(idleGcStats(g.stats())).toEqual({ idle_gc: 'on', idle_gc_runs: '2', idle_gc_skipped: '0', idle_gc_cpu_ms: '30.0' })
    g.stop()
    expect(f.ticking).toBe(false)
    expect(g.stats().running).toBe(false)
  })

  it('leaves a big heap to V8: above MAX_HEAP_BYTES in use the collection is skipped and counted', () => {
    const f = fakes(MAX_HEAP_BYTES + 1)
    const g = createIdleGc(f.deps)
    g.start()
    f.tick()
    expect(f.collections).toBe(0)
    f.state.heap = MAX_HEAP_BYTES
    f.tick()
    expect(f.collections).toBe(1)
    expect(g.stats()).toMatchObject({ runs: 1, skipped: 1 })
  })

  it('without a gc it never starts, and says so', () => {
    const f = fakes()
    const g = createIdleGc({ ...f.deps, gc: undefined })
    g.start()
    expect(f.ticking).toBe(false)
    expect(idleGcStats(g.stats()).idle_gc).toBe('unavailable')
  })

  it('the real gc collects, and its timer does not keep the process alive', async () => {
    // A WeakRef's target survives the job that made it; a full gc() in a later task frees it.
    const script = `
      import { v8Gc, createIdleGc } from ${JSON.stringify(resolve(ROOT, 'src/agent/idle-gc.ts'))}
      const gc = v8Gc()
      let ref = new WeakRef({ big: new Array(1000).fill(1) })
      createIdleGc().start()
      setTimeout(() => {
        gc()
        console.log(JSON.stringify({ available: typeof gc === 'function', collected: ref.deref() === undefined }))
      }, 10)
    `
    const r = await runProcess(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeoutMs: 30_000 })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ available: true, collected: true })
  }, 40_000)
})
