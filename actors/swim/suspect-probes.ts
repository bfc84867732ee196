/**
 * fastCrashDetection (SwimConfig; on in every preset, `false` gives memberlist's probe order): a
 * member that hears of a suspicion (a suspect message it did not originate, about another node)
 * probes that suspect at its next probe tick, out of the round-robin order. If the suspect is
 * really gone, that probe fails a probe interval later and its suspect message is a confirmation
 * (spec §4.5): Lifeguard's timer reaches its minimum once k members have confirmed, and under the
 * round-robin alone a confirmation waits until each member's shuffled order reaches the suspect.
 *
 * Bounded:
 * - once per suspicion and member: the entry goes when the probe starts (out of turn or in turn);
 * - the tick that serves it is the tick's only probe (one probe per interval, as memberlist), and
 *   the round-robin resumes where it was at the next tick;
 * - skipped when the suspicion has its k confirmations already (our failure would not move the
 *   timer), ended (refuted, dead, reaped), or the suspect sent us a packet since it began (a slow
 *   node, alive; with staleSuspicionRefresh, which keeps that contact);
 * - not while our own health score is above 0 (see `unhealthy`);
 * - in clusters of more than EXPECTED_PROBERS + 2 members, each member takes part with probability
 *   EXPECTED_PROBERS / (n − 2), so a live but overloaded suspect in a large cluster draws about
 *   EXPECTED_PROBERS extra probes, not one from every member;
 * - at most MAX_PENDING suspects wait at once; one more is counted (suspectProbesDropped) and left
 *   to the round-robin.
 * Peers see ordinary pings (with the buddy suspect, spec §4.2): only when this node probes changes.
 */
import type { SwimConfig } from './config.ts'
import type { SwimCountersView } from './counters.ts'
import type { SwimEnv } from './effects.ts'
import type { NodeRecord, NodeTable } from './node-table.ts'

/** Suspects waiting for an out-of-turn probe at once (one is served per probe interval). */
export const MAX_PENDING = 16
/**
 * Members expected to probe one suspect out of turn in a large cluster. With k = 2 (LAN), fewer
 * than 2 of a Poisson(8) take part with probability 0.3 %, and the round-robin still brings about
 * one confirmation a second at that size.
 */
export const EXPECTED_PROBERS = 8

export interface SuspectProbesHost {
  readonly config: SwimConfig
  readonly env: SwimEnv
  readonly table: NodeTable
  /** The counters of the step running now (read when counting). */
  readonly counters: SwimCountersView
  /** staleSuspicionRefresh's contact: `name` sent us a packet at or after `sinceMs` (suspicion-refresh.ts). */
  heardSince(name: string, sinceMs: number): boolean
  /** Lifeguard's health score (awareness.ts): 0 while our own probes are answered as expected. */
  readonly awareness: { getHealthScore(): number }
}

export class SuspectProbes {
  /** Suspect name → the start of the suspicion we heard of (ms); Map order is arrival order. */
  private readonly pending = new Map<string, number>()

  constructor(private readonly host: SuspectProbesHost) {}

  /** The table started a suspicion of `node` at `startMs` from another member's suspect message. */
  heard(node: string, startMs: number): void {
    const { config, table, env, counters } = this.host
    if (!config.fastCrashDetection || node === table.selfName || this.unhealthy()) return
    const confirmers = table.size() - 2
    if (confirmers > EXPECTED_PROBERS && env.random() * confirmers >= EXPECTED_PROBERS) return
    if (!this.pending.has(node) && this.pending.size >= MAX_PENDING) {
      counters.suspectProbesDropped++
      return
    }
    this.pending.delete(node)
    this.pending.set(node, startMs)
  }

  /** The suspect to probe at this tick instead of the round-robin's next, if one waits. */
  next(): NodeRecord | undefined {
    const { table } = this.host
    if (this.pending.size > 0 && this.unhealthy()) {
      this.pending.clear()
      return undefined
    }
    for (const [name, startMs] of this.pending) {
      this.pending.delete(name)
      const rec = table.get(name)
      const suspicion = table.suspicionOf(name)
      if (rec === undefined || suspicion === undefined || rec.state !== 'suspect' || rec.stateChangeMs !== startMs) continue
      if (suspicion.getConfirmations() >= suspicion.bounds.k) continue
      // It talked to us since it was suspected: alive as far as we know (a crash precedes its
      // suspicion, so this never holds for one); the round-robin will come to it.
      if (this.host.heardSince(name, startMs)) continue
      return rec
    }
    return undefined
  }

  /** A probe of `name` started (either order): it needs no out-of-turn probe any more. */
  started(name: string): void {
    this.pending.delete(name)
  }

  /**
   * Our health score is above 0: our own probes have been failing (loss, or we are the slow one),
   * so a failed probe of ours is weak evidence, and probes spent on suspects (under heavy loss,
   * mostly live ones) would keep the round-robin from the members it has not checked. bench:cluster
   * at 50 % loss, seeds 1-8, mean time until all hold the crashed member dead (memberlist timing /
   * without this rule / with it): N = 100: 13.18 / 14.84 / 12.87 s; N = 10: 9.03 / 9.97 / 10.33 s
   * (single runs range 5-17 s there: within noise). At no or 10 % loss the score stays 0.
   */
  private unhealthy(): boolean {
    return this.host.awareness.getHealthScore() > 0
  }

  size(): number {
    return this.pending.size
  }

  clear(): void {
    this.pending.clear()
  }
}
