/**
 * Vivaldi config: one create + one validate (STYLE.md "Config"). The defaults are Serf's
 * `coordinate.DefaultConfig()` (spec §7), which every Serf agent runs with; a Gossamer node must
 * use the same ones, or its coordinates would not be comparable with the agents' (units: seconds).
 */
import { InvalidConfigError } from '../errors/cluster-error.ts'
import { knownFieldsOnly } from '../config/fields.ts'
import { checkInt, checkNumber } from '../config/values.ts'

export interface CoordinateConfig {
  /**
   * Euclidean dimensions of a coordinate. Serf: 8 (Ledlie et al. saw no gain past 7, plus the
   * height term). It is part of the protocol: a peer's coordinate of another length is refused.
   */
  dimensionality: number
  /** Error of a fresh coordinate and the ceiling of Error (dimensionless). Serf: 1.5. */
  vivaldiErrorMax: number
  /** Vivaldi c_e: how far one sample can move our Error (0..1]. Serf: 0.25. */
  vivaldiCE: number
  /** Vivaldi c_c: how far one sample can move our position (0..1]. Serf: 0.25. */
  vivaldiCC: number
  /** Samples of (rtt − raw distance) averaged into Adjustment; 0 turns the adjustment off. Serf: 20. */
  adjustmentWindowSize: number
  /** Floor of Height (seconds, > 0: the height term is what keeps two nodes at a distance). Serf: 10e-6. */
  heightMin: number
  /** RTT samples kept per peer; the update uses their median (rides out single blips). Serf: 3. */
  latencyFilterSize: number
  /** Gravity's scale (seconds): the pull back to the origin is (distance / rho)². Serf: 150. */
  gravityRho: number
  /**
   * Peers tracked at once, both their latency samples and their last coordinate (ours; Serf's maps
   * are unbounded and emptied only when a member is reaped). Past it the peer heard from least
   * recently is dropped and counted: its next sample is then used unfiltered, and RTTs to it are
   * unknown until its next ack. 16,384 is above the largest Serf clusters run.
   */
  maxPeers: number
}

export type CoordinateInit = Partial<CoordinateConfig>

export const DEFAULT_COORDINATE_CONFIG: Readonly<CoordinateConfig> = Object.freeze({
  dimensionality: 8,
  vivaldiErrorMax: 1.5,
  vivaldiCE: 0.25,
  vivaldiCC: 0.25,
  adjustmentWindowSize: 20,
  heightMin: 10e-6,
  latencyFilterSize: 3,
  gravityRho: 150,
  maxPeers: 16_384,
})

/** Upper bound on dimensionality: it also bounds what a decoded payload may hold (coordinate-codec.ts). */
export const MAX_DIMENSIONALITY = 64
/** Upper bounds of the two sample windows: a median or an average over more than this is no longer a filter. */
export const MAX_WINDOW = 1024

const FIELDS = Object.keys(DEFAULT_COORDINATE_CONFIG)

export function createCoordinateConfig(init?: CoordinateInit): CoordinateConfig {
  const given = knownFieldsOnly('coordinate', init, FIELDS)
  const config = { ...DEFAULT_COORDINATE_CONFIG }
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (config as Record<string, unknown>)[k] = v
  validateCoordinateConfig(config)
  return config
}

export function validateCoordinateConfig(config: CoordinateConfig): void {
  if (typeof config !== 'object' || config === null) throw new InvalidConfigError('coordinate', 'must be an object of config fields', { got: config })
  checkInt('coordinate.dimensionality', config.dimensionality, 1, MAX_DIMENSIONALITY)
  checkNumber('coordinate.vivaldiErrorMax', config.vivaldiErrorMax, { min: 0, exclusiveMin: true })
  checkNumber('coordinate.vivaldiCE', config.vivaldiCE, { min: 0, max: 1, exclusiveMin: true })
  checkNumber('coordinate.vivaldiCC', config.vivaldiCC, { min: 0, max: 1, exclusiveMin: true })
  checkInt('coordinate.adjustmentWindowSize', config.adjustmentWindowSize, 0, MAX_WINDOW)
  checkNumber('coordinate.heightMin', config.heightMin, { min: 0, exclusiveMin: true, unit: 's' })
  checkInt('coordinate.latencyFilterSize', config.latencyFilterSize, 1, MAX_WINDOW)
  checkNumber('coordinate.gravityRho', config.gravityRho, { min: 0, exclusiveMin: true, unit: 's' })
  checkInt('coordinate.maxPeers', config.maxPeers, 1, 1_000_000)
}
