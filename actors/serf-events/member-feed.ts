/**
 * The member feed: serf-events' view of the members, kept from member-manager's member events
 * (and its table, told whole at start). What it serves: our own tags (query filters), our own
 * address (a query's Addr:Port), relay candidates (every member, all statuses, as Serf's
 * kRandomMembers draws from), and memberlist's NumMembers (alive or leaving: the default query
 * timeout and how many acks and responses a query collects). Pure; a change returns a new feed.
 */
import type { MemberEventKind } from './effects.ts'
import type { SerfEventsMember } from './protocol.ts'
import type { RelayCandidate } from './relay.ts'

export interface MemberFeed {
  members: ReadonlyMap<string, SerfEventsMember>
}

/** A copy that shares nothing with the sender's record. */
function copy(m: SerfEventsMember): SerfEventsMember {
  return { ...m, addr: m.addr.slice(), tags: { ...m.tags } }
}

/** A member event applied: reap erases, every other kind records the member as the event carries it. */
export function applyMemberEvent(feed: MemberFeed, event: MemberEventKind, members: readonly SerfEventsMember[]): MemberFeed {
  if (members.length === 0) return feed
  const next = new Map(feed.members)
  for (const m of members) {
    if (event === 'member-reap') next.delete(m.name)
    else next.set(m.name, copy(m))
  }
  return { members: next }
}

/** member-manager's whole table: the new view. */
export function replaceMembers(members: readonly SerfEventsMember[]): MemberFeed {
  return { members: new Map(members.map((m) => [m.name, copy(m)])) }
}

export function selfOf(feed: MemberFeed, name: string): SerfEventsMember | undefined {
  return feed.members.get(name)
}

/** memberlist NumMembers: members not dead or left (ourselves included), at least 1. */
export function numMembers(feed: MemberFeed): number {
  let n = 0
  for (const m of feed.members.values()) if (m.status === 'alive' || m.status === 'leaving') n++
  return Math.max(1, n)
}

/** Built once per feed version (a feed is never changed in place), so a message costs no O(N) copy. */
const candidates = new WeakMap<MemberFeed, RelayCandidate[]>()

export function relayCandidates(feed: MemberFeed): readonly RelayCandidate[] {
  let out = candidates.get(feed)
  if (out === undefined) {
    out = []
    for (const m of feed.members.values()) out.push({ name: m.name, addr: m.addr, port: m.port, status: m.status, protocolMax: m.protocolMax })
    candidates.set(feed, out)
  }
  return out
}
