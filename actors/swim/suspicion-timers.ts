/**
 * The timers that turn a suspicion into a dead declaration (spec §4.5), and the phi detector's
 * heartbeats. Lifeguard (the default): one timer per suspect, due at the node table's deadline,
 * woken earlier by the refresh rules' direct checks (suspicion-refresh.ts). phi: a periodic check
 * every probeIntervalMs that declares the suspect dead once φ reaches phiThreshold. Every entry is
 * dropped with its suspicion or with the member (reaped), so both maps stay within the table.
 * Declares the narrow host it needs: no import of the core.
 */
import type { SwimConfig } from './config.ts'
import type { SwimCountersView } from './counters.ts'
import type { SwimEnv, SwimOutput } from './effects.ts'
import type { NodeTable, Outcome } from './node-table.ts'
import { PhiAccrualDetector } from './phi-accrual.ts'
import type { SuspicionRefresh } from './suspicion-refresh.ts'

/** Timer keys of suspicions: `suspect:<node name>`. */
export const SUSPECT_TIMER_PREFIX = 'suspect:'
const keyOf = (node: string) => SUSPECT_TIMER_PREFIX + node

export interface SuspicionTimersHost {
  readonly config: SwimConfig
  readonly env: SwimEnv
  readonly table: NodeTable
  readonly refresh: SuspicionRefresh
  /** The counters of the step running now (read when counting). */
  readonly counters: SwimCountersView
  setTimer(key: string, delayMs: number): void
  cancelTimer(key: string): void
  emit(output: SwimOutput): void
  /** Applies what the node table decided (the dead declaration's broadcast and event). */
  apply(o: Outcome): void
}

export class SuspicionTimers {
  private readonly phi = new Map<string, PhiAccrualDetector>()
  /** When each running suspicion began (ms), by node: the timer `suspect:<node>` is armed for each. */
  private readonly started = new Map<string, number>()

  constructor(private readonly host: SuspicionTimersHost) {}

  /** A sign of life from `name` (packets and acks), for the phi detector. */
  heardFrom(name: string): void {
    const { config, env } = this.host
    if (config.failureDetector !== 'phi') return
    let d = this.phi.get(name)
    if (d === undefined) {
      d = new PhiAccrualDetector({
        windowSize: config.phiWindowSize,
        minStdDevMs: config.phiMinStdDevMs,
        acceptablePauseMs: config.phiAcceptablePauseMs,
        firstHeartbeatEstimateMs: config.probeIntervalMs,
      })
      this.phi.set(name, d)
    }
    d.heartbeat(env.now())
  }

  /** φ of `name` now, or `aheadMs` from now if nothing is heard in between. */
  phiOf(name: string, aheadMs = 0): number {
    return this.phi.get(name)?.phi(this.host.env.now() + aheadMs) ?? 0
  }

  /** The table started (`fresh`) or confirmed a suspicion of `node`, due at `deadlineMs`. */
  arm(node: string, deadlineMs: number, startMs: number, fresh: boolean): void {
    const { config } = this.host
    if (config.failureDetector === 'phi') {
      // Confirmations do not change a phi check; a fresh suspicion starts the periodic check.
      if (!fresh) return
      this.started.set(node, startMs)
      this.host.setTimer(keyOf(node), config.probeIntervalMs)
      return
    }
    this.started.set(node, startMs)
    this.host.setTimer(keyOf(node), this.host.refresh.firstWake(deadlineMs))
  }

  /** The suspicion of `node` ended (refuted, dead, left). */
  cancel(node: string): void {
    this.host.refresh.forget(node)
    if (this.started.delete(node)) this.host.cancelTimer(keyOf(node))
  }

  /** The timer of `node`'s suspicion is due: a check, a deferral or the dead declaration. */
  due(node: string): void {
    const { config, table, refresh, env } = this.host
    const startMs = this.started.get(node)
    if (startMs === undefined) return
    if (config.failureDetector === 'phi' && this.phiOf(node) < config.phiThreshold) {
      const rec = table.get(node)
      if (rec !== undefined && rec.state === 'suspect') {
        refresh.phiWake(rec)
        this.host.setTimer(keyOf(node), config.probeIntervalMs)
      } else this.started.delete(node)
      return
    }
    const again = refresh.wake(node, startMs)
    if (again !== undefined) return this.host.setTimer(keyOf(node), again)
    this.started.delete(node)
    refresh.forget(node)
    const confirmations = table.suspicionOf(node)?.getConfirmations() ?? 0
    const o = table.suspicionExpired(node, startMs, env.now())
    if (o.result === 'accepted') {
      this.host.counters.deathsDeclared++
      this.host.emit({ type: 'declared-dead', node, confirmations })
    }
    this.host.apply(o)
  }

  /** `name` was reaped from the table: its φ history goes, and its timer if one still runs. */
  forgetPhi(name: string): void {
    this.phi.delete(name)
  }

  forgetTimer(name: string): void {
    if (this.started.delete(name)) this.host.cancelTimer(keyOf(name))
  }

  /** Cancels every suspicion timer (the node stops). */
  stop(): void {
    for (const name of this.started.keys()) this.host.cancelTimer(keyOf(name))
    this.started.clear()
  }

  /** Sizes (diagnostics: each within the table's). */
  sizes(): { phi: number; timers: number } {
    return { phi: this.phi.size, timers: this.started.size }
  }
}
