/**
 * Config of the election's `nats` backend: one create + one validate (STYLE.md "Config"), errors
 * naming the field. The lease is the KV bucket's max age (ttlMs): the server removes the key ttlMs
 * after its last write, by its own clock, and only then may anyone create it again.
 *
 * The leader's side. A write the leader *sent* at t (its clock) is stored at t' ≥ t, so the key
 * lives until at least t' + ttlMs ≥ t + ttlMs in true time, give or take the clock *rates* (maxDriftRate,
 * ρ, between the server's and the leader's clocks). The leader believes its lease for
 *   leaderLeaseMs = floor(ttlMs × (1 − ρ) / (1 + ρ)) − stepDownMarginMs
 * of its own clock from the send of its last successful create or update, and steps down on its own
 * timer when that ends (it cannot renew: NATS lost, a renew conflict): before the server can let
 * anyone else create the key. stepDownMarginMs covers the host's timer lateness.
 *
 * The followers' side (seed 003: followers that never competed). On 2.9 a watcher is told of a
 * delete but not of an expiry, so a follower competes on a watched delete AND on a timer: ttlMs +
 * competeSlackMs after the last write it saw, then every pollMs while the key is still there.
 * Defaults follow spec/coordination-anchors.md §9 and §14 (TTL 5-15 s renewed at TTL/3); the
 * failover bench uses 1 s.
 */
import { InvalidConfigError } from '../../src/errors/index.ts'
import { knownFieldsOnly } from '../../src/config/fields.ts'
import { TIMER_MAX_MS, checkInt, checkNumber, checkString } from '../../src/config/values.ts'

export interface NatsElectionConfig {
  /** NATS server URLs (`nats://host:port`), tried in order. */
  servers: string[]
  /** The JetStream KV bucket (created by the operator, or by ensureElectionBucket); its max age must equal ttlMs. */
  bucket: string
  /** The lease: the bucket's max age, in ms. */
  ttlMs: number
  /** The leader renews every ttlMs × renewFraction (1/3: parti, Kubernetes). */
  renewFraction: number
  /** Bound on the clock rate error between the leader's and the server's clocks (0.01 = 1%). */
  maxDriftRate: number
  /** Subtracted from the leader's lease (timer lateness, processing), ms. */
  stepDownMarginMs: number
  /** A follower competes this long after the key should have expired (server timer granularity), ms. */
  competeSlackMs: number
  /** While a key that should have expired is still there, a follower tries again every pollMs, ms. */
  pollMs: number
  /** Backoff after a failed request (NATS unreachable): from this, doubling up to maxBackoffMs. */
  backoffMs: number
  maxBackoffMs: number
  /** How long one KV request may take before it counts as failed, ms. */
  requestTimeoutMs: number
  /** How long the first connection may take before ERR_ELECTION_NATS_UNREACHABLE, ms. */
  connectTimeoutMs: number
}

export type NatsElectionInit = Partial<NatsElectionConfig> & Pick<NatsElectionConfig, 'servers' | 'bucket'>

export const DEFAULT_NATS_ELECTION_CONFIG: Readonly<Omit<NatsElectionConfig, 'servers' | 'bucket'>> = Object.freeze({
  ttlMs: 5_000,
  renewFraction: 1 / 3,
  maxDriftRate: 0.01,
  stepDownMarginMs: 50,
  competeSlackMs: 20,
  pollMs: 50,
  backoffMs: 100,
  maxBackoffMs: 5_000,
  requestTimeoutMs: 2_000,
  connectTimeoutMs: 2_000,
})

const FIELDS = ['servers', 'bucket', ...Object.keys(DEFAULT_NATS_ELECTION_CONFIG)]

export function createNatsElectionConfig(init: NatsElectionInit): NatsElectionConfig {
  const given = knownFieldsOnly('election.nats', init, FIELDS)
  const config = { ...DEFAULT_NATS_ELECTION_CONFIG } as NatsElectionConfig
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v
  validateNatsElectionConfig(config)
  return config
}

/** JetStream's own rule for a bucket name: letters, digits, `-` and `_`. */
const BUCKET_NAME = /^[A-Za-z0-9_-]{1,64}$/

export function validateNatsElectionConfig(config: NatsElectionConfig): void {
  if (!Array.isArray(config.servers) || config.servers.length === 0) throw new InvalidConfigError('election.nats.servers', 'must be a non-empty array of nats://host:port URLs', { got: config.servers })
  config.servers.forEach((s, i) => checkString(`election.nats.servers[${i}]`, s, { nonEmpty: true }))
  checkString('election.nats.bucket', config.bucket, { nonEmpty: true })
  if (!BUCKET_NAME.test(config.bucket)) throw new InvalidConfigError('election.nats.bucket', 'must be 1-64 letters, digits, - or _', { got: config.bucket })
  checkInt('election.nats.ttlMs', config.ttlMs, 100, TIMER_MAX_MS, 'ms')
  checkNumber('election.nats.renewFraction', config.renewFraction, { min: 0.05, max: 0.5 })
  checkNumber('election.nats.maxDriftRate', config.maxDriftRate, { min: 0, max: 0.1 })
  checkInt('election.nats.stepDownMarginMs', config.stepDownMarginMs, 0, TIMER_MAX_MS, 'ms')
  checkInt('election.nats.competeSlackMs', config.competeSlackMs, 0, TIMER_MAX_MS, 'ms')
  checkInt('election.nats.pollMs', config.pollMs, 1, TIMER_MAX_MS, 'ms')
  checkInt('election.nats.backoffMs', config.backoffMs, 1, TIMER_MAX_MS, 'ms')
  checkInt('election.nats.maxBackoffMs', config.maxBackoffMs, config.backoffMs, TIMER_MAX_MS, 'ms')
  checkInt('election.nats.requestTimeoutMs', config.requestTimeoutMs, 1, TIMER_MAX_MS, 'ms')
  checkInt('election.nats.connectTimeoutMs', config.connectTimeoutMs, 1, TIMER_MAX_MS, 'ms')
  if (natsLeaderLeaseMs(config) <= natsRenewIntervalMs(config)) {
    throw new InvalidConfigError('election.nats.stepDownMarginMs', `leaves the leader a lease of ${natsLeaderLeaseMs(config)} ms, not more than the renew interval ${natsRenewIntervalMs(config)} ms`)
  }
}

/** How long (own clock, from the send of its last successful write) a leader believes its lease. */
export function natsLeaderLeaseMs(config: Pick<NatsElectionConfig, 'ttlMs' | 'maxDriftRate' | 'stepDownMarginMs'>): number {
  const rho = config.maxDriftRate
  return Math.floor((config.ttlMs * (1 - rho)) / (1 + rho)) - config.stepDownMarginMs
}

export function natsRenewIntervalMs(config: Pick<NatsElectionConfig, 'ttlMs' | 'renewFraction'>): number {
  return Math.max(1, Math.floor(config.ttlMs * config.renewFraction))
}
