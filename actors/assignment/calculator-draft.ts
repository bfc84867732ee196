/**
 * The calculator's working copy for one step: a shallow copy of the state (arrays and records are
 * replaced, never mutated, so the previous state stays intact) plus the effects emitted, in order.
 */
import { toWireError, type WireError } from '../../src/errors/index.ts'
import type { CalculatorEffect, CalculatorState, CalculatorStats, CalculatorStep, TimerKey } from './calculator-types.ts'
import type { WorkerSpec } from './worker-spec.ts'

export function emptyStats(): CalculatorStats {
  return {
    published: 0,
    acked: 0,
    publishRetries: 0,
    movedTotal: 0,
    lastMoved: 0,
    movesDeferred: 0,
    takeovers: 0,
    emergencies: 0,
    transientFailures: 0,
    massFailures: 0,
    noCapacity: 0,
    unchanged: 0,
    computeOffloaded: 0,
    computeDiscarded: 0,
    computeFailures: 0,
    staleTimers: 0,
    earlyTimers: 0,
    staleAcks: 0,
    ignoredAfterStop: 0,
    refused: {},
    lastRefusal: undefined,
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** A copy-on-write working copy of the state for one step, collecting effects in order. */
export class Draft {
  readonly s: Mutable<CalculatorState>
  readonly stats: CalculatorStats
  readonly effects: CalculatorEffect[] = []

  constructor(
    state: CalculatorState,
    readonly now: number,
  ) {
    this.stats = { ...state.stats, refused: { ...state.stats.refused } }
    this.s = { ...state, stats: this.stats }
  }

  setLive(live: WorkerSpec[]): void {
    this.s.live = live
    this.s.generation++
  }

  isArmed(key: TimerKey): boolean {
    return this.s.timers.some((t) => t.key === key)
  }

  arm(key: TimerKey, ms: number): void {
    this.s.timers = [...this.s.timers.filter((t) => t.key !== key), { key, dueAt: this.now + ms }]
    this.effects.push({ type: 'set-timer', key, ms })
  }

  cancel(key: TimerKey): void {
    if (!this.isArmed(key)) return
    this.s.timers = this.s.timers.filter((t) => t.key !== key)
    this.effects.push({ type: 'cancel-timer', key })
  }

  refuse(errOrCode: unknown, message?: string): void {
    const wire: WireError = typeof errOrCode === 'string' ? { code: errOrCode, message: message ?? errOrCode } : toWireError(errOrCode)
    this.stats.refused[wire.code] = (this.stats.refused[wire.code] ?? 0) + 1
    this.stats.lastRefusal = { code: wire.code, message: wire.message }
  }

  done(): CalculatorStep {
    return { state: this.s, effects: this.effects }
  }
}
