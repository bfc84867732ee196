/**
 * tiering.ts: TurboFan off while an agent idles, on for good once it is busy (two samples in a
 * row), with either
 * placement; the sampling ends at stop. Fake flags, sampler and timer; then one real
 * child process shows V8 honours the switch both ways at run time (no function optimized while
 * off, the hot one optimized after it is turned on).
 */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BUSY_CPU, BUSY_SAMPLES, FULL_FLAGS, LEAN_FLAGS, SAMPLE_MS, optimizingLine, startLeanTiering, tieringStats, type OptimizingReason, type TieringDeps } from '../../src/agent/tiering.ts'
import { runProcess, type ProcessResult } from '../support/run-process.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

function fakes(samples: number[]) {
  const flags: string[] = []
  const told: OptimizingReason[] = []
  let clock = Date.UTC(2026, 11, 6, 17, 0, 0)
  let tick: (() => void) | undefined
  let interval: number | undefined
  let cancelled = 0
  const deps: TieringDeps = {
    setFlags: (f) => flags.push(f),
    utilization: () => () => samples.shift() ?? 0,
    every: (fn, ms) => {
      tick = fn
      interval = ms
      return () => {
        cancelled++
        tick = undefined
      }
    },
    now: () => clock,
  }
  return { deps, flags, told, advance: (ms: number) => (clock += ms), tell: (r: OptimizingReason) => told.push(r), tick: () => tick?.(), get ticking() { return tick !== undefined }, get interval() { return interval }, get cancelled() { return cancelled } }
}

describe('agent tiering', () => {
  it('turns TurboFan off at once, and keeps it off while an inline agent stays under the threshold', () => {
    const f = fakes([0.004, 0.01, BUSY_CPU - 0.001])
    const t = startLeanTiering(f.deps)
    expect(f.flags).toEqual([LEAN_FLAGS])
    t.configured('auto', f.tell)
    t.running('inline')
    expect(f.interval).toBe(SAMPLE_MS)
    for (let i = 0; i < 3; i++) f.tick()
    expect(f.flags).toEqual([LEAN_FLAGS])
    expect(t.optimizing).toBe(false)
    t.stop()
    expect(f.ticking).toBe(false)
  })

  it('turns it on for good after two busy samples in a row (the least of them reported) and stops sampling', () => {
    expect(BUSY_SAMPLES).toBe(2)
    const f = fakes([0.01, 0.3, 0.2, 0.4])
    const t = startLeanTiering(f.deps)
    t.configured('auto', f.tell)
    t.running('inline')
    f.tick()
    f.tick()
    expect(t.optimizing).toBe(false)
    f.tick()
    expect(t.optimizing).toBe(true)
    expect(f.flags).toEqual([LEAN_FLAGS, FULL_FLAGS])
    expect(f.told).toEqual([{ kind: 'busy', utilization: 0.2 }])
    expect(f.ticking).toBe(false)
    t.running('inline')
    expect(f.ticking).toBe(false)
    expect(f.flags).toEqual([LEAN_FLAGS, FULL_FLAGS])
  })

  it('a single busy sample (a join burst) between quiet ones leaves it off', () => {
    // An inline agent whose join burst alone turned TurboFan on stayed 5 MB larger (54.4 MB
    // against 49.1-49.7 for its four peers): one such agent of five put bench:agents' mean over 50.
    const f = fakes([0.004, 0.09, 0.01, 0.2, BUSY_CPU - 0.001, 0.3, 0.004])
    const t = startLeanTiering(f.deps)
    t.configured('auto', f.tell)
    t.running('inline')
    for (let i = 0; i < 7; i++) f.tick()
    expect(t.optimizing).toBe(false)
    expect(f.flags).toEqual([LEAN_FLAGS])
    expect(f.told).toEqual([])
    expect(f.ticking).toBe(true)
    t.stop()
  })

  it('a workers agent stays lean while idle and gets TurboFan once busy, as an inline one (a join burst ran slower with it on at once)', () => {
    const f = fakes([0.006, 0.2, 0.2])
    const t = startLeanTiering(f.deps)
    t.configured('auto', f.tell)
    t.running('workers')
    expect(f.flags).toEqual([LEAN_FLAGS])
    expect(t.optimizing).toBe(false)
    expect(f.interval).toBe(SAMPLE_MS)
    f.tick()
    f.tick()
    expect(t.optimizing).toBe(false)
    f.tick()
    expect(f.flags).toEqual([LEAN_FLAGS, FULL_FLAGS])
    expect(f.told).toEqual([{ kind: 'busy', utilization: 0.2 }])
    expect(f.ticking).toBe(false)
  })

  it('-tiering=off turns TurboFan on as soon as the config is read, and nothing samples after it', () => {
    const f = fakes([0, 0, 0])
    const t = startLeanTiering(f.deps)
    expect(t.optimizing).toBe(false)
    t.configured('off', f.tell)
    expect(f.flags).toEqual([LEAN_FLAGS, FULL_FLAGS])
    expect(f.told).toEqual([{ kind: 'tiering-off' }])
    t.running('inline')
    expect(f.ticking).toBe(false)
    expect(t.state()).toEqual({ mode: 'off', optimizing: true, since: Date.UTC(2026, 11, 6, 17, 0, 0), reason: { kind: 'tiering-off' } })
  })

  it('reports its state for the agent\'s stats: off while idle, then on with the time and the reason', () => {
    const f = fakes([0.01, 0.07, 0.062])
    const t = startLeanTiering(f.deps)
    t.configured('auto', f.tell)
    t.running('inline')
    f.tick()
    f.tick()
    expect(tieringStats(t.state())).toEqual({ tiering: 'auto', turbofan: 'off', turbofan_since: '', turbofan_reason: '' })
    f.advance(2_000)
    f.tick()
    expect(tieringStats(t.state())).toEqual({ tiering: 'auto', turbofan: 'on', turbofan_since: '2026-12-06T17:00:02.000Z', turbofan_reason: 'busy 6.2%' })
    expect(optimizingLine(f.told[0]!)).toBe('Optimizing compiler on: 6.2% of a core in use')
  })

  it('names every reason in the stats and the log line', () => {
    const s = (reason: OptimizingReason) => tieringStats({ mode: 'auto', optimizing: true, since: 0, reason }).turbofan_reason
    expect(s({ kind: 'tiering-off' })).toBe('tiering=off')
    expect(optimizingLine({ kind: 'tiering-off' })).toBe('Optimizing compiler on (-tiering=off)')
  })

  it('the real sampler and timer: an idle process stays lean, the timer does not keep it alive', async () => {
    // In a child: start, declare inline, idle 2.5 samples, print whether TurboFan came on; exit
    // with nothing stopped must still happen (the interval is unref'd).
    const script = `
      import { startLeanTiering, SAMPLE_MS } from ${JSON.stringify(resolve(ROOT, 'src/agent/tiering.ts'))}
      const t = startLeanTiering()
      t.running('inline')
      setTimeout(() => console.log(JSON.stringify({ optimizing: t.optimizing })), SAMPLE_MS * 2.5)
    `
    const r = await runChild(['--import', 'tsx', '--input-type=module', '-e', script], 30_000)
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ optimizing: false })
  }, 40_000)

  it('V8 honours the switch at run time: nothing optimized or baseline-compiled while off, the hot function both once on', async () => {
    const script = `
      import { startLeanTiering } from ${JSON.stringify(resolve(ROOT, 'src/agent/tiering.ts'))}
      let fire
      const t = startLeanTiering({ every: (fn) => { fire = fn; return () => {} }, utilization: () => () => 1 })
      function hotLoop(n) { let s = 0; for (let i = 0; i < n; i++) s = (s + i * 7) % 1000003; return s }
      let s = 0
      for (let i = 0; i < 2000; i++) s += hotLoop(5000)
      console.log('MARK-ON')
      t.running('inline')
      fire()
      fire()
      for (let i = 0; i < 2000; i++) s += hotLoop(5000)
      console.log('done', s > 0)
    `
    const r = await runChild(['--trace-opt', '--trace-baseline-batch-compilation', '--import', 'tsx', '--input-type=module', '-e', script], 60_000)
    expect(r.code).toBe(0)
    const [before, after] = r.stdout.split('MARK-ON')
    expect(before).not.toMatch(/completed optimizing .*hotLoop/)
    expect(before).not.toMatch(/Baseline batch compilation\] Enqueued SFI hotLoop/)
    expect(after).toMatch(/completed optimizing .*hotLoop/)
    expect(after).toMatch(/Baseline batch compilation\] Enqueued SFI hotLoop/)
  }, 70_000)
})

function runChild(args: string[], timeoutMs: number): Promise<ProcessResult> {
  return runProcess(process.execPath, args, { cwd: ROOT, timeoutMs })
}
