/**
 * A fake host for the calculator core on simulated time: performs its effects the way the future
 * actor will (timers on a clock it advances by hand, publications recorded, compute requests queued)
 * and feeds the outcomes back as inputs. No real timers anywhere.
 */
import type { Assignment } from '../../../actors/assignment/assignment.ts'
import { startCalculator, stepCalculator, type CalculatorStart } from '../../../actors/assignment/calculator.ts'
import type { CalculatorEffect, CalculatorInput, CalculatorState, ComputeRequest, TimerKey } from '../../../actors/assignment/calculator-types.ts'
import { computeAssignment } from '../../../actors/assignment/compute-task.ts'
import { attachWorkers, computeRound } from '../../../actors/assignment/rebalance.ts'

type InputOf<T extends CalculatorInput['type']> = Omit<Extract<CalculatorInput, { type: T }>, 'now'>

export class CalculatorHost {
  state: CalculatorState
  now: number
  readonly timers = new Map<TimerKey, number>()
  readonly published: Assignment[] = []
  readonly computeQueue: Array<{ requestId: number; request: ComputeRequest }> = []
  /** Every effect, in order, with the time it was emitted. */
  readonly log: Array<{ at: number; effect: CalculatorEffect }> = []

  constructor(start: Omit<CalculatorStart, 'now'> & { now?: number }) {
    this.now = start.now ?? 0
    const { state, effects } = startCalculator({ ...start, now: this.now })
    this.state = state
    this.perform(effects)
  }

  get phase(): string {
    return this.state.phase
  }

  get last(): Assignment | undefined {
    return this.published[this.published.length - 1]
  }

  send<T extends CalculatorInput['type']>(input: InputOf<T> & { type: T }): CalculatorEffect[] {
    const { state, effects } = stepCalculator(this.state, { ...input, now: this.now } as CalculatorInput)
    this.state = state
    this.perform(effects)
    return effects
  }

  join(id: string, weight = 1): CalculatorEffect[] {
    return this.send({ type: 'worker-joined', worker: { id, weight } })
  }

  /** Acknowledges the newest publication. */
  ack(): CalculatorEffect[] {
    return this.send({ type: 'published', version: this.last!.version })
  }

  /** Moves the clock to `now + ms`, firing each due timer at its own due time, earliest first. */
  advance(ms: number, options: { autoAck?: boolean } = {}): void {
    const end = this.now + ms
    for (;;) {
      let next: [TimerKey, number] | undefined
      for (const t of this.timers) if (t[1] <= end && (next === undefined || t[1] < next[1])) next = t
      if (next === undefined) break
      this.now = next[1]
      this.timers.delete(next[0])
      const before = this.published.length
      this.send({ type: 'timer-fired', key: next[0] })
      if (options.autoAck === true && this.published.length > before) this.ack()
    }
    this.now = end
  }

  /** Runs the oldest queued compute request (as the pool would) and feeds the answer back. */
  runCompute(): CalculatorEffect[] {
    const job = this.computeQueue.shift()!
    const request = structuredClone(job.request)
    // A round request runs whole on the pool (rebalance.ts computeRound), as the actor's ROUND_TASK.
    if (request.round !== undefined) return this.send({ type: 'round-computed', requestId: job.requestId, result: attachWorkers(structuredClone(computeRound(request, { encode: true })), request) })
    return this.send({ type: 'computed', requestId: job.requestId, assignment: computeAssignment(request) })
  }

  private perform(effects: CalculatorEffect[]): void {
    for (const effect of effects) {
      this.log.push({ at: this.now, effect })
      switch (effect.type) {
        case 'set-timer':
          this.timers.set(effect.key, this.now + effect.ms)
          break
        case 'cancel-timer':
          this.timers.delete(effect.key)
          break
        case 'publish':
          this.published.push(effect.assignment)
          break
        case 'compute':
          this.computeQueue.push({ requestId: effect.requestId, request: effect.request })
          break
      }
    }
  }
}
