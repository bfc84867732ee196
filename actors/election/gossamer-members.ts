/**
 * The membership backend's voters: the Gossamer members (those advertising GOSSAMER_TAG) as
 * member-manager's `member.event`s describe them, and the expected size a majority is taken of.
 * A member is alive or failed; a failed one still counts toward the expected size (a failure may
 * be a partition: the other side must not lead with a majority of fewer), a graceful leave or a
 * reap removes it. Pure.
 */
import { GOSSAMER_TAG } from '../../src/wire/gossamer-message.ts'

/** Gossamer members other than this node, by name. */
export type GossamerMembers = Readonly<Record<string, 'alive' | 'failed'>>

/** A member as member-manager's `member.event` carries it (only these fields are read). */
export interface MemberSeen {
  name: string
  status: string
  tags: Readonly<Record<string, string>>
}

/** The table after one `member.event`; `dropped`: new members beyond `maxMembers`, not kept. */
export function applyMemberEvent(table: GossamerMembers, event: string, seen: readonly MemberSeen[], self: string, maxMembers: number): { table: GossamerMembers; dropped: number } {
  const next: Record<string, 'alive' | 'failed'> = { ...table }
  let dropped = 0
  for (const m of seen) {
    if (typeof m?.name !== 'string' || m.name === self) continue
    const gossamer = m.tags !== null && typeof m.tags === 'object' && typeof m.tags[GOSSAMER_TAG] === 'string'
    if (event === 'member-leave' || event === 'member-reap' || !gossamer) delete next[m.name]
    else if (event === 'member-failed' || m.status === 'failed') {
      if (next[m.name] !== undefined) next[m.name] = 'failed'
    } else if (m.status === 'alive') {
      if (next[m.name] === undefined && Object.keys(next).length >= maxMembers) {
        dropped++
        continue
      }
      next[m.name] = 'alive'
    }
  }
  return { table: next, dropped }
}

/**
 * The peers to ask (alive Gossamer members) and the expected size a majority is taken of: the
 * larger of this node and every Gossamer member known alive or failed, and the partition
 * detector's expected size (it remembers the cluster across restarts, and can be configured: a
 * node that has not yet heard of its peers must not lead alone). In a mixed cluster the detector
 * counts Serf agents too, which only makes the majority larger (safe; a Gossamer minority of a
 * mixed cluster cannot lead).
 */
export function votersOf(table: GossamerMembers, detectorExpected: number): { peers: string[]; expected: number } {
  const names = Object.keys(table)
  return { peers: names.filter((n) => table[n] === 'alive').sort(), expected: Math.max(1 + names.length, detectorExpected) }
}
