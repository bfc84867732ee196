/**
 * Election config for the `membership` backend (majority-granted leases): one create + one
 * validate (STYLE.md "Config"). Defaults follow spec/coordination-anchors.md §9 and §14: a lease of
 * 5-15 s renewed at a third of it (parti, Kubernetes). Every duration is in ms on the actor clock.
 *
 * The clock-drift margin. Voters measure their promise (leaseMs) from when they *receive* a request;
 * the leader measures its lease from when it *sent* it, so the network delay only shortens the
 * leader's view. Clock rates may differ by up to maxDriftRate (ρ) in either direction, so a voter's
 * leaseMs lasts at least leaseMs / (1 + ρ) true ms and a leader's L at most L / (1 − ρ). The
 * leader therefore believes its lease for
 *   leaderLeaseMs = floor(leaseMs × (1 − ρ) / (1 + ρ)) − stepDownMarginMs
 * of its own clock from the send: it has stepped down (in true time) before any voter of that
 * majority can grant anyone else. stepDownMarginMs also covers the host's timer lateness.
 */
import { InvalidConfigError } from '../../src/errors/index.ts'
import { knownFieldsOnly } from '../../src/config/fields.ts'
import { TIMER_MAX_MS, checkInt, checkNumber } from '../../src/config/values.ts'

export interface ElectionConfig {
  /** A voter's promise: no other candidate for this long after a grant (Kubernetes LeaseDuration is 15 s, parti 5 s). */
  leaseMs: number
  /** The leader renews every leaseMs × renewFraction (1/3: parti, Kubernetes' 10 s of 15 s leaves two tries). */
  renewFraction: number
  /** Bound on clock *rate* error between any two nodes' clocks, as a fraction (0.01 = 1%; NTP-disciplined clocks are ~1e-4). */
  maxDriftRate: number
  /** Extra safety margin subtracted from the leader's lease (host timer lateness, processing), in ms. */
  stepDownMarginMs: number
  /** How long a campaign waits for grants before giving up (and releasing its own vote). */
  campaignTimeoutMs: number
  /** A follower whose promise expired waits a random 0..campaignJitterMs before campaigning (fewer split votes). */
  campaignJitterMs: number
  /** Bound on the peers a candidate asks (the member table's size); more are refused and counted. */
  maxPeers: number
}

export type ElectionInit = Partial<ElectionConfig>

export const DEFAULT_ELECTION_CONFIG: Readonly<ElectionConfig> = Object.freeze({
  leaseMs: 10_000,
  renewFraction: 1 / 3,
  maxDriftRate: 0.01,
  stepDownMarginMs: 100,
  campaignTimeoutMs: 1_000,
  campaignJitterMs: 2_000,
  maxPeers: 10_000,
})

const FIELDS = Object.keys(DEFAULT_ELECTION_CONFIG)

export function createElectionConfig(init?: ElectionInit): ElectionConfig {
  const given = knownFieldsOnly('election', init, FIELDS)
  const config = { ...DEFAULT_ELECTION_CONFIG } as ElectionConfig
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v
  validateElectionConfig(config)
  return config
}

export function validateElectionConfig(config: ElectionConfig): void {
  checkInt('election.leaseMs', config.leaseMs, 100, TIMER_MAX_MS, 'ms')
  checkNumber('election.renewFraction', config.renewFraction, { min: 0.05, max: 0.5 })
  checkNumber('election.maxDriftRate', config.maxDriftRate, { min: 0, max: 0.1 })
  checkInt('election.stepDownMarginMs', config.stepDownMarginMs, 0, TIMER_MAX_MS, 'ms')
  checkInt('election.campaignTimeoutMs', config.campaignTimeoutMs, 1, TIMER_MAX_MS, 'ms')
  checkInt('election.campaignJitterMs', config.campaignJitterMs, 0, TIMER_MAX_MS, 'ms')
  checkInt('election.maxPeers', config.maxPeers, 1, 1_000_000)
  // The leader must get at least one renewal in before its lease ends, or it could never keep it.
  if (leaderLeaseMs(config) <= renewIntervalMs(config)) {
    throw new InvalidConfigError('election.stepDownMarginMs', `leaves the leader a lease of ${leaderLeaseMs(config)} ms, not more than the renew interval ${renewIntervalMs(config)} ms`)
  }
  if (config.campaignTimeoutMs >= leaderLeaseMs(config)) {
    throw new InvalidConfigError('election.campaignTimeoutMs', `must be < the leader's lease (${leaderLeaseMs(config)} ms)`)
  }
}

/** How long (own clock, from the request's send) a leader believes its lease: see the header. */
export function leaderLeaseMs(config: ElectionConfig): number {
  const rho = config.maxDriftRate
  return Math.floor((config.leaseMs * (1 - rho)) / (1 + rho)) - config.stepDownMarginMs
}

export function renewIntervalMs(config: ElectionConfig): number {
  return Math.max(1, Math.floor(config.leaseMs * config.renewFraction))
}
