/**
 * staleSuspicionRefresh (SwimConfig; on in every preset, `false` gives memberlist's exact rules):
 * local rules that keep a suspicion from outliving the refutation that answered it. They only
 * change what this node believes and add a few direct packets of memberlist's own message types
 * (alive, suspect), so peers running real memberlist/Serf are unaffected.
 *
 * Under memberlist's rules a node that misses every copy of a refutation (each is gossiped
 * retransmitMult × ceil(log10(n+1)) times, ~8 copies per member at n = 12: a given member misses all
 * of them with probability e^(−8 × (1 − loss)) ≈ 0.4 % at 30 % loss) keeps its stale suspicion,
 * counts later suspicions at the new incarnation as confirmations, and declares a live node dead
 * (traced in test/sim/scenarios.test.ts). The rules, each closing one path:
 *
 * 1. A suspect at a higher incarnation than a running suspicion restarts it (node-table.ts).
 * 2. A suspect or dead about us at an older incarnation gets our current alive sent straight back
 *    to whoever relayed it (it missed our refutation).
 * 3. On refuting, our alive also goes straight to the accuser and the relayer.
 * 4. A packet from a node we suspect gets our suspicion sent straight back to it (the probe's buddy
 *    message, spec §4.2): it answers by rule 2 or refutes by rule 3.
 * 5. Before declaring a suspect dead we check with it directly: CHECKS suspect messages, one per
 *    probe timeout, ending at the deadline. A live node answers (rules 2, 3); a crashed one does not,
 *    and the deadline does not move, so crash detection is not delayed.
 * 6. A suspect that has sent us a packet since its suspicion began is not dead: the declaration
 *    waits until suspicion-min after that contact, never past the Lifeguard maximum (start + max,
 *    the timeout without confirmations). A crash precedes its suspicion, so it is not delayed.
 *
 * With the phi detector, which judges by contact already (rule 6 is its core), rule 5 sends a
 * check at each periodic φ evaluation from the point where φ would reach its threshold within
 * CHECKS probe timeouts of silence; the declaration itself is unchanged.
 */
import type { TransportAddress } from '../../src/transport/transport.ts'
import type { NodeRecord } from './node-table.ts'
import { encodeAlive, encodeSuspect } from './packets.ts'
import type { SwimConfig } from './config.ts'
import type { SwimCounters } from './counters.ts'
import type { NodeTable } from './node-table.ts'
import type { PacketRequest, SwimEnv } from './effects.ts'

/** What the refresh rules need from their node (SwimNode provides it): no import of the node. */
export interface RefreshHost {
  readonly config: SwimConfig
  readonly env: SwimEnv
  readonly table: NodeTable
  /** The counters of the step running now: read it when counting, never keep it across a callback (each step may copy them). */
  readonly counters: SwimCounters
  addressOf(n: NodeRecord): TransportAddress
  phiOf(name: string, aheadMs?: number): number
  sendPacket(req: PacketRequest): void
}

/**
 * Direct checks before a dead declaration (rule 5): each reaches a live suspect and back with
 * probability (1 − loss)², so five leave 3.5 % of the misses at 30 % loss (three left 13 %; with
 * three, 30-node runs still had false deaths) and 24 % at 50 %.
 */
export const CHECKS = 5

export class SuspicionRefresh {
  /** When we last sent each suspect our suspicion (ms). */
  private readonly told = new Map<string, number>()
  /** When a packet last came from each node we suspect (ms). */
  private readonly contact = new Map<string, number>()

  constructor(private readonly host: RefreshHost) {}

  get enabled(): boolean {
    return this.host.config.staleSuspicionRefresh && this.host.config.failureDetector === 'lifeguard'
  }

  /** Rule 2: a rumour about us at an older incarnation than ours. */
  answerStaleRumour(from: TransportAddress, subject: string, incarnation: number): void {
    const { table, counters, config } = this.host
    if (!config.staleSuspicionRefresh || subject !== table.selfName || table.isLeaving()) return
    if (incarnation >= table.self().incarnation) return
    counters.staleRumoursAnswered++
    this.host.sendPacket({ to: from, messages: [encodeAlive(table.selfAlive())], piggyback: false, crc: false })
  }

  /** Rule 3: we just refuted a rumour `from` relayed and `accuser` started. */
  tellAccuser(from: TransportAddress, accuser: string): void {
    const { table, config } = this.host
    if (!config.staleSuspicionRefresh) return
    const msg = encodeAlive(table.selfAlive())
    const targets = new Set<TransportAddress>([from])
    const rec = table.get(accuser)
    if (rec !== undefined && accuser !== table.selfName) targets.add(this.host.addressOf(rec))
    for (const to of targets) this.host.sendPacket({ to, messages: [msg], piggyback: false, crc: false })
  }

  /** Rules 4 and 6: a packet from `sender` (after its messages were applied). */
  heardFrom(from: TransportAddress, sender: string): void {
    const { table, config } = this.host
    if (!config.staleSuspicionRefresh || table.isLeaving() || sender === table.selfName) return
    const rec = table.get(sender)
    if (rec === undefined || rec.state !== 'suspect') return
    this.contact.set(sender, this.host.env.now())
    this.tellSuspect(from, rec)
  }

  /** Delay until the first wake-up of a suspicion due at `deadlineMs` (rule 5's first check). */
  firstWake(deadlineMs: number): number {
    const now = this.host.env.now()
    if (!this.enabled) return Math.max(0, deadlineMs - now)
    return Math.max(0, deadlineMs - CHECKS * this.host.config.probeTimeoutMs - now)
  }

  /**
   * The suspicion timer of `subject` woke up. Returns the delay until it should wake again (after a
   * direct check or a deferral), or undefined to declare the node dead now.
   */
  wake(subject: string, startMs: number): number | undefined {
    if (!this.enabled) return undefined
    const { table, env, config, counters } = this.host
    const suspicion = table.suspicionOf(subject)
    const rec = table.get(subject)
    if (suspicion === undefined || rec === undefined || rec.state !== 'suspect') return undefined
    const now = env.now()
    const deadline = suspicion.deadlineMs()
    let due = deadline
    const heard = this.contact.get(subject)
    if (heard !== undefined && heard >= startMs) due = Math.max(due, Math.min(heard + suspicion.bounds.minMs, startMs + suspicion.bounds.maxMs))
    if (now >= due) return undefined
    if (now >= deadline) counters.deathsDeferred++
    const checksFrom = due - CHECKS * config.probeTimeoutMs
    if (now < checksFrom) return checksFrom - now
    counters.suspicionChecks++
    this.tellSuspect(this.host.addressOf(rec), rec, true)
    return Math.min(config.probeTimeoutMs, due - now)
  }

  /** Rule 5 for the phi detector: a check when φ will reach the threshold within the check window. */
  phiWake(rec: NodeRecord): void {
    const { config, counters } = this.host
    if (!config.staleSuspicionRefresh || config.failureDetector !== 'phi') return
    if (this.host.phiOf(rec.name, CHECKS * config.probeTimeoutMs) < config.phiThreshold) return
    counters.suspicionChecks++
    this.tellSuspect(this.host.addressOf(rec), rec, true)
  }

  /** Whether `name` sent us a packet at or after `sinceMs` while we suspected it (rule 6's contact). */
  heardSince(name: string, sinceMs: number): boolean {
    const heard = this.contact.get(name)
    return heard !== undefined && heard >= sinceMs
  }

  forget(subject: string): void {
    this.told.delete(subject)
    this.contact.delete(subject)
  }

  /** Nodes with refresh state (told or contact times). */
  size(): number {
    let n = this.told.size
    for (const name of this.contact.keys()) if (!this.told.has(name)) n++
    return n
  }

  clear(): void {
    this.told.clear()
    this.contact.clear()
  }

  /**
   * Sends our suspicion straight to the suspect. At most once per probe timeout (about a round
   * trip) per suspect unless `force`.
   */
  private tellSuspect(to: TransportAddress, rec: NodeRecord, force = false): void {
    const { env, config, table, counters } = this.host
    const now = env.now()
    const last = this.told.get(rec.name)
    if (!force && last !== undefined && now - last < config.probeTimeoutMs) return
    this.told.set(rec.name, now)
    counters.suspectsTold++
    const msg = encodeSuspect({ incarnation: rec.incarnation, node: rec.name, from: table.selfName })
    this.host.sendPacket({ to, messages: [msg], piggyback: false, crc: (rec.vsn[1] ?? 0) >= 5 })
  }
}
