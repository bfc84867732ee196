/**
 * member-manager's end of swim's node-change feed (NodesChangedMsg): follows its `seq` and says when
 * messages went missing, so the member table can be brought back in line with swim's (a resync)
 * instead of staying short for good. Pure data in, data out: the state lives in the machine's
 * context, so a persisted snapshot carries `lastSeq` across a restart.
 *
 * - seq = last + 1: in order.
 * - seq = 1: a feed that starts afresh (swim's thread was replaced); what the old one still owed is
 *   moot (a fresh swim rejoins and reports what it learns), so no resync.
 * - a message flagged `resync`: the start of a resync, which covers everything before it.
 * - anything else: a gap. One resync is asked for, unless one is already due (asked, and its first
 *   message not here yet): a burst of gaps asks once.
 */
import type { NodeFeedStats } from './protocol.ts'

export function freshNodeFeed(): NodeFeedStats {
  return { lastSeq: 0, messages: 0, changes: 0, gaps: 0, resyncRequests: 0, awaitingResync: false }
}

/** One feed message received: the next state, and whether to ask swim for a resync. */
export function receiveFeed(state: NodeFeedStats, seq: number, changes: number, resync: boolean): { next: NodeFeedStats; askResync: boolean } {
  const next: NodeFeedStats = { ...state, lastSeq: seq, messages: state.messages + 1, changes: state.changes + changes }
  if (resync || seq === 1) {
    next.awaitingResync = false
    return { next, askResync: false }
  }
  if (seq === state.lastSeq + 1) return { next, askResync: false }
  next.gaps++
  return { next, askResync: !state.awaitingResync }
}

/** A resync was asked for; `delivered`: swim's mailbox took the request (else the next gap asks again). */
export function resyncAsked(state: NodeFeedStats, delivered: boolean): NodeFeedStats {
  return { ...state, resyncRequests: state.resyncRequests + 1, awaitingResync: delivered }
}
