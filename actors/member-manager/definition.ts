/** The member-manager actor: one definition for both placements (worker thread or inline). */
import { defineActor } from '../../src/runtime/define-actor.ts'
import type { MemberStatus, NodeChange, NodeInfo } from './protocol.ts'
import { MAX_NODE_CHANGES } from './protocol.ts'
import { createMemberManagerMachine } from './machine.ts'
import type { MemberManagerContext } from './machine.ts'

/** The largest user-event ring serf-events may carry (its eventBuffer is bounded far below this). */
const MAX_EVENT_SLOTS = 65_536

const STATUSES: ReadonlySet<string> = new Set<MemberStatus>(['none', 'alive', 'leaving', 'left', 'failed'])

/** One user-event ring slot as push/pull encodes it. */
function isEventSlot(s: unknown): boolean {
  if (typeof s !== 'object' || s === null) return false
  const slot = s as { LTime?: unknown; Events?: unknown }
  if (typeof slot.LTime !== 'bigint' || slot.LTime < 0n || slot.LTime >= 1n << 64n) return false
  if (slot.Events === null) return true
  return Array.isArray(slot.Events) && slot.Events.every((e: unknown) => typeof e === 'object' && e !== null && typeof (e as { Name?: unknown }).Name === 'string' && ((e as { Payload?: unknown }).Payload === null || (e as { Payload?: unknown }).Payload instanceof Uint8Array))
}

/** Why a NodeInfo from swim is unusable, or undefined when it is fine. */
function checkNode(n: NodeInfo | undefined): string | undefined {
  if (typeof n !== 'object' || n === null) return 'node must be an object'
  if (typeof n.name !== 'string' || n.name.length === 0) return 'node.name must be a non-empty string'
  if (!(n.addr instanceof Uint8Array) || (n.addr.length !== 4 && n.addr.length !== 16)) return 'node.addr must be 4 or 16 IP bytes'
  if (!Number.isInteger(n.port) || n.port < 0 || n.port > 65535) return 'node.port must be a u16'
  if (!(n.meta instanceof Uint8Array)) return 'node.meta must be a Uint8Array'
  if (n.vsn === undefined || n.vsn.length !== 6) return 'node.vsn must have 6 entries'
  if (!Number.isInteger(n.incarnation) || n.incarnation < 0) return 'node.incarnation must be a non-negative integer'
  return undefined
}

const CHANGE_KINDS: ReadonlySet<string> = new Set<NodeChange['kind']>(['joined', 'updated', 'left', 'state'])
const NODE_STATES: ReadonlySet<string> = new Set<NodeInfo['state']>(['alive', 'suspect', 'dead', 'left'])
const isSeq = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 1

/**
 * Why a batch of node changes is unusable (the first bad entry is named), or undefined. A refused
 * batch is a gap in swim's feed: member-manager asks for a resync at the next message.
 */
function checkChanges(changes: readonly NodeChange[] | undefined): string | undefined {
  if (!Array.isArray(changes)) return 'changes must be an array'
  if (changes.length > MAX_NODE_CHANGES) return `changes must hold at most ${MAX_NODE_CHANGES} entries (got ${changes.length})`
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]
    if (typeof c !== 'object' || c === null || !CHANGE_KINDS.has(c.kind)) return `changes[${i}].kind must be one of ${[...CHANGE_KINDS].join(', ')}`
    const bad = checkNode(c.node) ?? (NODE_STATES.has(c.node.state) ? undefined : `node.state must be one of ${[...NODE_STATES].join(', ')}`)
    if (bad !== undefined) return `changes[${i}].${bad}`
  }
  return undefined
}

/** Why the other claimant of a name conflict is unusable, or undefined when it is fine. */
function checkClaimant(o: { addr: Uint8Array; port: number } | undefined): string | undefined {
  if (typeof o !== 'object' || o === null) return 'other must be an object'
  if (!(o.addr instanceof Uint8Array) || (o.addr.length !== 4 && o.addr.length !== 16)) return 'other.addr must be 4 or 16 IP bytes'
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) return 'other.port must be a u16'
  return undefined
}

export const memberManager = defineActor({
  name: 'member-manager',
  machine: createMemberManagerMachine,
  worker: new URL('./worker.ts', import.meta.url),
  // The member table must survive a supervised restart (swim does not re-announce known nodes).
  // Persisted at most once a second: the context holds the core's state (version 2: since the
  // core returns effects; a version-1 record, of the old layout, is not restored). Immutable: the
  // core never writes its state in place (the table is a CowMap), so the record is kept by reference
  // instead of copied (a copy took seconds at 100,000 members). Our own tags persist at once
  // (urgentKey: the core replaces the tags object on a change, so identity tells): the members
  // come back from swim after a restart, but only this record knows the tags setTags set, and a
  // restart inside the throttle window would otherwise bring the old ones back.
  persist: { version: 2, throttleMs: 1000, immutable: true, urgentKey: (snap) => [(snap.context as MemberManagerContext).core.meta.tags] },
  validate: (msg) => {
    switch (msg.type) {
      case 'member.node-joined':
      case 'member.node-updated':
      case 'member.node-left':
        if (msg.seq !== undefined && !isSeq(msg.seq)) return 'seq must be an integer >= 1 when given'
        return checkNode(msg.node)
      case 'member.nodes-changed':
        if (!isSeq(msg.seq)) return 'seq must be an integer >= 1'
        if (msg.resync !== undefined && typeof msg.resync !== 'boolean') return 'resync must be a boolean when given'
        return checkChanges(msg.changes)
      case 'member.name-conflict': {
        const bad = checkNode(msg.existing)
        return bad === undefined ? checkClaimant(msg.other) : bad.replace(/^node/, 'existing')
      }
      case 'member.user-message':
        return msg.bytes instanceof Uint8Array ? undefined : 'bytes must be a Uint8Array'
      case 'member.merge-remote-state':
        if (!(msg.bytes instanceof Uint8Array)) return 'bytes must be a Uint8Array'
        return typeof msg.join === 'boolean' ? undefined : 'join must be a boolean'
      case 'member.local-state':
        return typeof msg.join === 'boolean' ? undefined : 'join must be a boolean'
      case 'member.members':
        if (msg.statuses === undefined) return undefined
        return Array.isArray(msg.statuses) && msg.statuses.every((s) => STATUSES.has(s)) ? undefined : `statuses must be an array of ${[...STATUSES].join(', ')}`
      case 'member.set-tags':
        if (typeof msg.tags !== 'object' || msg.tags === null) return 'tags must be an object of strings'
        return Object.values(msg.tags).every((v) => typeof v === 'string') ? undefined : 'every tag value must be a string'
      case 'member.event-state':
        if (typeof msg.eventLTime !== 'bigint' || typeof msg.queryLTime !== 'bigint' || msg.eventLTime < 0n || msg.queryLTime < 0n) return 'eventLTime and queryLTime must be non-negative bigints'
        if (!Array.isArray(msg.events) || msg.events.length > MAX_EVENT_SLOTS) return `events must be an array of at most ${MAX_EVENT_SLOTS} slots`
        // Encoded into every push/pull reply: a bad slot would fail there, so it is refused here.
        return msg.events.every((s) => s === null || isEventSlot(s)) ? undefined : 'events must hold null or { LTime: bigint, Events: null | { Name: string, Payload: Uint8Array | null }[] } slots'
      case 'member.force-leave':
        if (typeof msg.node !== 'string' || msg.node.length === 0) return 'node must be a non-empty node name'
        return msg.prune === undefined || typeof msg.prune === 'boolean' ? undefined : 'prune must be a boolean when given'
      case 'member.join-completed':
        if (!Number.isInteger(msg.numJoined) || msg.numJoined < 0) return 'numJoined must be a non-negative integer'
        return msg.reconnect === undefined || typeof msg.reconnect === 'boolean' ? undefined : 'reconnect must be a boolean when given'
      default:
        return undefined
    }
  },
})
