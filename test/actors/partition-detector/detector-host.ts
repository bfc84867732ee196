/**
 * A test host for the detector core on simulated time: performs its effects (timers in a map on a
 * fake clock, persisted mark, emitted events) and fires due timers in order as time advances.
 */
import { startDetector, stepDetector, type DetectorEvent, type DetectorInput, type DetectorState, type DetectorStep, type DetectorTimerKey } from '../../../actors/partition-detector/detector.ts'
import { createPartitionDetectorConfig, type PartitionDetectorInit } from '../../../actors/partition-detector/config.ts'

type MemberInput = Exclude<DetectorInput, { type: 'timer-fired' | 'mark-loaded' }>

export class DetectorHost {
  now = 0
  state: DetectorState
  readonly timers = new Map<DetectorTimerKey, number>()
  readonly events: DetectorEvent[] = []
  persisted: number | undefined

  constructor(init: PartitionDetectorInit = {}, opts: { self?: string; persistedHighWater?: number; now?: number } = {}) {
    this.now = opts.now ?? 0
    const step = startDetector({
      config: createPartitionDetectorConfig(init),
      self: opts.self ?? 'self',
      now: this.now,
      ...(opts.persistedHighWater === undefined ? {} : { persistedHighWater: opts.persistedHighWater }),
    })
    this.state = step.state
    this.apply(step)
  }

  get status() {
    return this.state.status
  }

  send(type: MemberInput['type'], ...names: string[]): this {
    for (const name of names) this.apply(stepDetector(this.state, { type, name, now: this.now }))
    return this
  }

  advance(ms: number): this {
    const end = this.now + ms
    for (;;) {
      let next: [DetectorTimerKey, number] | undefined
      for (const [k, at] of this.timers) if (at <= end && (next === undefined || at < next[1])) next = [k, at]
      if (next === undefined) break
      this.now = next[1]
      this.timers.delete(next[0])
      this.apply(stepDetector(this.state, { type: 'timer-fired', key: next[0], now: this.now }))
    }
    this.now = end
    return this
  }

  /** Delivers a timer firing now, whatever is armed (the host's timer raced or ran early). */
  fire(key: DetectorTimerKey): this {
    this.timers.delete(key)
    this.apply(stepDetector(this.state, { type: 'timer-fired', key, now: this.now }))
    return this
  }

  statusEvents() {
    return this.events.filter((e) => e.type === 'partition.status')
  }

  private apply(step: DetectorStep): void {
    this.state = step.state
    for (const e of step.effects) {
      if (e.type === 'set-timer') this.timers.set(e.key, this.now + e.ms)
      else if (e.type === 'cancel-timer') this.timers.delete(e.key)
      else if (e.type === 'persist') this.persisted = e.highWater
      else this.events.push(e.event)
    }
  }
}
