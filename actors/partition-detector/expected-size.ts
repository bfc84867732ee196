/**
 * The detector's view of the membership: each other member's status as member-manager reported it,
 * and the expected cluster size. Expected is either configured (fixed) or the high-water mark of
 * alive members (this node included). The mark rises with every new alive count, is persisted by
 * the host (so a node restarting alone remembers that it belonged to a larger cluster and calls
 * itself a minority), and falls only when a member is *known* to be gone for good: a graceful leave
 * or a reap. A failure never lowers it: a failed member may be alive behind a partition, and
 * lowering the mark on failures is exactly how both sides of a split would each become a majority.
 * Pure data in, data out.
 */
export type ViewStatus = 'alive' | 'failed' | 'left'

export interface MembershipView {
  /** Other members by name (this node is not in it: it always counts itself alive). */
  readonly members: Readonly<Record<string, ViewStatus>>
  /** Members with status alive, this node included. */
  readonly alive: number
  /** The high-water mark (learned mode); kept in configured mode too, for the persisted record. */
  readonly highWater: number
}

export function createView(persistedHighWater: number | undefined): MembershipView {
  const hw = persistedHighWater !== undefined && Number.isSafeInteger(persistedHighWater) && persistedHighWater >= 1 ? persistedHighWater : 1
  return { members: {}, alive: 1, highWater: hw }
}

export function expectedOf(view: MembershipView, configured: number): number {
  return configured > 0 ? configured : view.highWater
}

/** What a member event did to the view; `unknown` = it named a member not in the state it needs. */
export type ViewChange = { view: MembershipView; changed: boolean; unknown: boolean }

export function memberJoined(view: MembershipView, name: string): ViewChange {
  const before = view.members[name]
  if (before === 'alive') return { view, changed: false, unknown: false }
  return withStatus(view, name, 'alive', false)
}

/** A failed member answering again (member-manager's join after failed). */
export function memberAliveAgain(view: MembershipView, name: string): ViewChange {
  if (view.members[name] !== 'failed') return view.members[name] === undefined ? { ...memberJoined(view, name), unknown: true } : { view, changed: false, unknown: true }
  return withStatus(view, name, 'alive', false)
}

export function memberFailed(view: MembershipView, name: string): ViewChange {
  const before = view.members[name]
  if (before === 'failed') return { view, changed: false, unknown: false }
  if (before === undefined) {
    // Heard of only as failed (e.g. from a push/pull after our restart): it counts for the mark.
    const next = withStatus(view, name, 'failed', false)
    return { ...next, view: { ...next.view, highWater: Math.max(next.view.highWater, next.view.alive + countFailed(next.view)) } }
  }
  return withStatus(view, name, 'failed', false)
}

/** A graceful leave: the member is gone on purpose, so the mark drops by one (not below the alive count). */
export function memberLeft(view: MembershipView, name: string): ViewChange {
  const before = view.members[name]
  if (before === 'left') return { view, changed: false, unknown: false }
  const next = withStatus(view, name, 'left', true)
  return { ...next, unknown: before === undefined }
}

/** A reap removes the member; a reaped failed member lowers the mark (a left one already did). */
export function memberReaped(view: MembershipView, name: string): ViewChange {
  const before = view.members[name]
  if (before === undefined) return { view, changed: false, unknown: true }
  const members = { ...view.members }
  delete members[name]
  const alive = view.alive - (before === 'alive' ? 1 : 0)
  const highWater = before === 'left' ? view.highWater : Math.max(alive, 1, view.highWater - 1)
  return { view: { members, alive, highWater }, changed: true, unknown: false }
}

export function memberCount(view: MembershipView): number {
  return Object.keys(view.members).length
}

function countFailed(view: MembershipView): number {
  let n = 0
  for (const s of Object.values(view.members)) if (s === 'failed') n++
  return n
}

function withStatus(view: MembershipView, name: string, status: ViewStatus, lowerMark: boolean): ViewChange {
  const before = view.members[name]
  const alive = view.alive - (before === 'alive' ? 1 : 0) + (status === 'alive' ? 1 : 0)
  const members = { ...view.members, [name]: status }
  let highWater = Math.max(view.highWater, alive)
  if (lowerMark) highWater = Math.max(alive, 1, highWater - 1)
  return { view: { members, alive, highWater }, changed: true, unknown: false }
}
