/**
 * createNode's `coordination` option, checked in one place (resolveNodeConfig calls this): the
 * backend, the expected size, the `nats` servers, bucket and lease, and the calculator's windows,
 * each bad value an InvalidConfigError naming `coordination.<field>`. The actors' own configs
 * check the rest again where they are created.
 */
import { InvalidConfigError } from '../errors/index.ts'
import { knownFieldsOnly } from '../config/fields.ts'
import { checkInt, checkNumber, checkOneOf, checkString, TIMER_MAX_MS } from '../config/values.ts'
import { createAssignmentConfig } from '../../actors/assignment/config.ts'
import type { AssignmentTiming, CoordinationOptions } from './api.ts'

/** The election bucket when none is named; the assignments go to `<bucket>-assignments`. */
export const DEFAULT_ELECTION_BUCKET = 'gossamer-elections'
/** The nats lease (the bucket's max age) when none is given: the nats backend's default, 5 s. */
export const DEFAULT_NATS_LEASE_MS = 5_000

export interface CoordinationConfig {
  backend: 'membership' | 'nats'
  /** 0: learned (the high-water mark of alive members). */
  expectedSize: number
  nats: { servers: string[]; bucket: string; assignmentBucket: string; leaseMs: number } | undefined
  assignment: AssignmentTiming
}

const BUCKET = /^[A-Za-z0-9_-]{1,52}$/

/** The calculator's windows a node may set (ms). */
const TIMING_FIELDS = ['coldStartWindowMs', 'plannedScaleWindowMs', 'restartWindowMs', 'emergencyGraceMs', 'minRebalanceIntervalMs'] as const

export function resolveCoordination(value: CoordinationOptions | undefined): CoordinationConfig | undefined {
  if (value === undefined) return undefined
  const o = knownFieldsOnly('coordination', value, ['expectedSize', 'backend', 'nats', 'assignment'])
  const backend = o['backend'] ?? 'membership'
  checkOneOf('coordination.backend', backend, ['membership', 'nats'] as const)
  const expectedSize = o['expectedSize'] ?? 0
  checkInt('coordination.expectedSize', expectedSize, 0, 100_000)
  let nats: CoordinationConfig['nats']
  if (backend === 'nats') {
    if (o['nats'] === undefined) throw new InvalidConfigError('coordination.nats', "is required with backend 'nats' ({ servers: [\"host:port\"] })")
    const n = knownFieldsOnly('coordination.nats', o['nats'], ['servers', 'bucket', 'leaseMs'])
    const servers = n['servers']
    if (!Array.isArray(servers) || servers.length === 0) throw new InvalidConfigError('coordination.nats.servers', 'must be a non-empty array of "host:port"', { got: servers })
    const urls = servers.map((s: unknown, i) => {
      checkString(`coordination.nats.servers[${i}]`, s, { nonEmpty: true })
      return /^[a-z]+:\/\//.test(s) ? s : `nats://${s}`
    })
    const bucket = n['bucket'] ?? DEFAULT_ELECTION_BUCKET
    checkString('coordination.nats.bucket', bucket, { nonEmpty: true })
    if (!BUCKET.test(bucket)) throw new InvalidConfigError('coordination.nats.bucket', 'must be 1-52 letters, digits, - or _', { got: bucket })
    const leaseMs = n['leaseMs'] ?? DEFAULT_NATS_LEASE_MS
    checkInt('coordination.nats.leaseMs', leaseMs, 100, TIMER_MAX_MS, 'ms')
    nats = { servers: urls, bucket, assignmentBucket: `${bucket}-assignments`, leaseMs }
  } else if (o['nats'] !== undefined) throw new InvalidConfigError('coordination.nats', "is only for backend 'nats'")
  const t = knownFieldsOnly('coordination.assignment', o['assignment'] ?? {}, [...TIMING_FIELDS, 'maxMovesFraction', 'maxMovesPerRound'])
  const assignment: AssignmentTiming = {}
  for (const k of TIMING_FIELDS) {
    const v = t[k]
    if (v === undefined) continue
    checkInt(`coordination.assignment.${k}`, v, 0, TIMER_MAX_MS, 'ms')
    assignment[k] = v as number
  }
  // The per-round move cap (parti's): a fraction of the partitions (0 < f <= 1), and an absolute
  // bound (0: none); their ranges are the calculator's, checked with the rest just below.
  if (t['maxMovesFraction'] !== undefined) {
    checkNumber('coordination.assignment.maxMovesFraction', t['maxMovesFraction'])
    assignment.maxMovesFraction = t['maxMovesFraction']
  }
  if (t['maxMovesPerRound'] !== undefined) {
    checkNumber('coordination.assignment.maxMovesPerRound', t['maxMovesPerRound'])
    assignment.maxMovesPerRound = t['maxMovesPerRound']
  }
  try {
    // The calculator's own ordering rules (cold start >= planned scale), checked now.
    createAssignmentConfig({ partitions: 1, ...assignment })
  } catch (err) {
    if (err instanceof InvalidConfigError) throw new InvalidConfigError(String(err.details?.['field'] ?? 'assignment').replace(/^assignment\./, 'coordination.assignment.'), err.message.replace(/^assignment\.\S+ /, ''), { cause: err })
    throw err
  }
  return { backend, expectedSize, nats, assignment }
}
