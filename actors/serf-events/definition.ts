/** The serf-events actor: one definition for both placements (worker thread or inline). */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { createSerfEventsMachine } from './machine.ts'
import type { MergeRemoteEventsMsg, SerfEventsMember } from './protocol.ts'

const STATUSES: ReadonlySet<string> = new Set(['none', 'alive', 'leaving', 'left', 'failed'])
const KINDS: ReadonlySet<string> = new Set(['member-join', 'member-leave', 'member-failed', 'member-update', 'member-reap'])
const isU8 = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 255
const isU64 = (n: unknown): boolean => typeof n === 'bigint' && n >= 0n && n < 1n << 64n

/** Why a member record is unusable (the field is named), or undefined. */
function checkMember(m: SerfEventsMember | undefined, at: string): string | undefined {
  if (typeof m !== 'object' || m === null) return `${at} must be an object`
  if (typeof m.name !== 'string' || m.name.length === 0) return `${at}.name must be a non-empty string`
  if (!(m.addr instanceof Uint8Array) || (m.addr.length !== 4 && m.addr.length !== 16)) return `${at}.addr must be 4 or 16 IP bytes`
  if (!Number.isInteger(m.port) || m.port < 0 || m.port > 65535) return `${at}.port must be a u16`
  if (typeof m.tags !== 'object' || m.tags === null || !Object.values(m.tags).every((v) => typeof v === 'string')) return `${at}.tags must be an object of strings`
  if (!STATUSES.has(m.status)) return `${at}.status must be one of ${[...STATUSES].join(', ')}`
  for (const f of ['protocolMin', 'protocolMax', 'protocolCur', 'delegateMin', 'delegateMax', 'delegateCur'] as const) if (!isU8(m[f])) return `${at}.${f} must be an integer in [0, 255]`
  return undefined
}

function checkMembers(members: SerfEventsMember[] | undefined): string | undefined {
  if (!Array.isArray(members)) return 'members must be an array'
  for (let i = 0; i < members.length; i++) {
    const bad = checkMember(members[i], `members[${i}]`)
    if (bad !== undefined) return bad
  }
  return undefined
}

function checkSlices(msg: MergeRemoteEventsMsg): string | undefined {
  if (!isU64(msg.eventLTime) || !isU64(msg.queryLTime)) return 'eventLTime and queryLTime must be u64 bigints'
  if (typeof msg.join !== 'boolean') return 'join must be a boolean'
  if (msg.events === null) return undefined
  if (!Array.isArray(msg.events)) return 'events must be an array of slots (or null)'
  for (let i = 0; i < msg.events.length; i++) {
    const s = msg.events[i]
    if (s === null) continue
    if (typeof s !== 'object' || !isU64(s.LTime)) return `events[${i}].LTime must be a u64 bigint`
    if (s.Events === null) continue
    if (!Array.isArray(s.Events) || !s.Events.every((e) => typeof e === 'object' && e !== null && typeof e.Name === 'string' && (e.Payload === null || e.Payload instanceof Uint8Array))) {
      return `events[${i}].Events must hold { Name: string, Payload: Uint8Array | null }`
    }
  }
  return undefined
}

export const serfEvents = defineActor({
  name: 'serf-events',
  machine: createSerfEventsMachine,
  worker: new URL('./worker.ts', import.meta.url),
  // The API's own checks (name, payload, sizes, filters) are the core's: they answer with Serf's
  // coded errors (ERR_EVENT_*, ERR_QUERY_*). Here only what would not reach the core intact.
  validate: (msg) => {
    switch (msg.type) {
      case 'serf.message':
        return msg.bytes instanceof Uint8Array ? undefined : 'bytes must be a Uint8Array'
      case 'serf.query-abort':
        return isU64(msg.ltime) && Number.isInteger(msg.id) ? undefined : 'ltime must be a u64 bigint and id an integer'
      case 'serf.respond':
        if (typeof msg.key !== 'string') return 'key must be the string key of a received query'
        return msg.payload === undefined || msg.payload === null || msg.payload instanceof Uint8Array ? undefined : 'payload must be a Uint8Array or null'
      case 'member.event':
        if (!KINDS.has(msg.event)) return `event must be one of ${[...KINDS].join(', ')}`
        return checkMembers(msg.members)
      case 'serf.members':
        if (msg.clocks !== undefined && (typeof msg.clocks !== 'object' || msg.clocks === null || !isU64(msg.clocks.eventLTime) || !isU64(msg.clocks.queryLTime))) return 'clocks must be { eventLTime, queryLTime } as u64 bigints'
        return checkMembers(msg.members)
      case 'serf.merge-remote-events':
        return checkSlices(msg)
      case 'serf.key-operation':
        if (!['install', 'use', 'remove', 'list'].includes(msg.kind)) return 'kind must be install, use, remove or list'
        return msg.key === undefined || typeof msg.key === 'string' ? undefined : 'key must be a base64 string'
      case 'serf.name-conflict':
        if (typeof msg.other !== 'object' || msg.other === null) return 'other must be { addr, port }'
        if (!(msg.other.addr instanceof Uint8Array) || (msg.other.addr.length !== 4 && msg.other.addr.length !== 16)) return 'other.addr must be 4 or 16 IP bytes'
        return Number.isInteger(msg.other.port) && msg.other.port >= 0 && msg.other.port <= 65535 ? undefined : 'other.port must be a u16'
      case 'serf.keyring-result':
        if (typeof msg.key !== 'string' || typeof msg.reply !== 'object' || msg.reply === null) return 'key must be a string and reply an object'
        return ['install', 'use', 'remove', 'list'].includes(msg.kind) ? undefined : 'kind must be install, use, remove or list'
      default:
        return undefined
    }
  },
})
