/**
 * `gossamer agent`'s coordination settings (ours, not Serf's): the flags and config keys
 *   -election=membership|nats   (election)        run the partition detector, election and assignment
 *   -nats-server=HOST:PORT      (nats_servers)    repeatable; required with -election=nats
 *   -nats-bucket=NAME           (nats_bucket)     the election KV bucket (default gossamer-elections)
 *   -election-lease=DURATION    (election_lease)  the nats lease, the bucket's max age (default 5s)
 *   -expect=N                   (expect)          the expected cluster size (default: learned)
 *   -assign=GROUP=P[:WEIGHT]    (assign)          repeatable; take part in GROUP as a worker of P partitions
 *   -assign-window=DURATION     (assign_window)   the leader's cold-start, restart and planned-scale
 *                                                 windows and min rebalance interval (default parti's 30s/10s/10s/10s)
 * turned into createNode's CoordinationOptions and the agent's worker registrations. Each bad value
 * is an AgentConfigError naming its key; createNode checks the rest again (coordination-config.ts).
 */
import { AgentConfigError } from '../errors.ts'
import type { CoordinationOptions } from '../../node/api.ts'
import type { RawConfig } from './config-keys.ts'

export interface AgentAssign {
  group: string
  partitions: number
  weight: number
}

export interface AgentCoordination {
  coordination: CoordinationOptions | undefined
  assign: AgentAssign[]
}

export function agentCoordinationOf(raw: RawConfig): AgentCoordination {
  const election = raw.election ?? ''
  const assign = (raw.assign ?? []).map(parseAssign)
  if (election === '') {
    for (const key of ['nats_servers', 'nats_bucket', 'election_lease', 'expect', 'assign', 'assign_window'] as const) {
      const v = raw[key]
      if (v !== undefined && !(Array.isArray(v) && v.length === 0)) throw new AgentConfigError(`Config key '${key}' needs coordination: set election to membership or nats`, key)
    }
    return { coordination: undefined, assign: [] }
  }
  if (election !== 'membership' && election !== 'nats') throw new AgentConfigError(`Invalid election backend: ${election} (membership or nats)`, 'election')
  const expect = raw.expect ?? 0
  if (!Number.isInteger(expect) || expect < 0) throw new AgentConfigError(`Invalid expect: ${expect}. Must be 0 (learned) or more`, 'expect')
  const coordination: CoordinationOptions = { backend: election, ...(expect > 0 ? { expectedSize: expect } : {}) }
  const window = raw.assign_window
  if (window !== undefined) {
    if (!Number.isFinite(window) || window < 0) throw new AgentConfigError('Invalid assign_window: must not be negative', 'assign_window')
    const ms = Math.round(window)
    coordination.assignment = { coldStartWindowMs: ms, plannedScaleWindowMs: ms, restartWindowMs: ms, minRebalanceIntervalMs: ms }
  }
  if (election === 'nats') {
    const servers = raw.nats_servers ?? []
    if (servers.length === 0) throw new AgentConfigError('election=nats needs at least one nats server (-nats-server=HOST:PORT)', 'nats_servers')
    const lease = raw.election_lease
    if (lease !== undefined && (lease < 100 || !Number.isFinite(lease))) throw new AgentConfigError(`Invalid election_lease: must be at least 100ms`, 'election_lease')
    coordination.nats = { servers, ...(raw.nats_bucket === undefined || raw.nats_bucket === '' ? {} : { bucket: raw.nats_bucket }), ...(lease === undefined ? {} : { leaseMs: Math.round(lease) }) }
  } else if ((raw.nats_servers ?? []).length > 0 || raw.nats_bucket !== undefined || raw.election_lease !== undefined) {
    throw new AgentConfigError('nats settings are only for election=nats', 'nats_servers')
  }
  const seen = new Set<string>()
  for (const a of assign) {
    if (seen.has(a.group)) throw new AgentConfigError(`Invalid assign: group ${a.group} given twice`, 'assign')
    seen.add(a.group)
  }
  return { coordination, assign }
}

/** "GROUP=PARTITIONS[:WEIGHT]". */
function parseAssign(text: string): AgentAssign {
  const eq = text.lastIndexOf('=')
  const bad = (why: string) => new AgentConfigError(`Invalid assign: '${text}': ${why} (GROUP=PARTITIONS[:WEIGHT])`, 'assign')
  if (eq <= 0) throw bad('no group')
  const group = text.slice(0, eq)
  const [p, w, ...rest] = text.slice(eq + 1).split(':')
  if (rest.length > 0) throw bad('too many fields')
  if (!/^\d+$/.test(p ?? '')) throw bad('partitions must be a whole number')
  const partitions = Number(p)
  if (partitions < 1 || partitions > 1_000_000) throw bad('partitions must be in 1..1000000')
  const weight = w === undefined ? 1 : Number(w)
  if (w !== undefined && (w === '' || !Number.isFinite(weight) || weight < 0)) throw bad('weight must be a number >= 0 (0: draining)')
  return { group, partitions, weight }
}
