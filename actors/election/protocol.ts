/**
 * election protocol: what the election actor accepts and emits. The actor hosts one election
 * backend (backend.ts: `nats`, or `membership`, whose leases run in the actor's own context): asks to campaign for a group, resign, read the
 * view, and check a fencing token; every change of a followed group's leadership is emitted as
 * `election.changed` (and told to the `events` peer when one is named).
 *
 * This is the only file of the actor that other actors may import. The unions are APPEND-ONLY.
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { WireError } from '../../src/errors/index.ts'
import type { LeaderChange, LeaderView } from './backend.ts'
import type { MemberEventMsg } from '../member-manager/protocol.ts'
import type { PartitionChangedMsg } from '../partition-detector/protocol.ts'
import type { GossamerMessageIn } from '../swim/protocol.ts'

export type { LeaderChange, LeaderView } from './backend.ts'

/** Ask: stand for leader of `group`; the reply comes when this node wins (or the campaign ends without a win). */
export interface ElectionCampaignMsg {
  type: 'election.campaign'
  group: string
  replyTo?: ReplyTo<ElectionResultReply>
}

/** Ask or tell: stop standing for `group` (a leader releases the lease at once). */
export interface ElectionResignMsg {
  type: 'election.resign'
  group: string
  replyTo?: ReplyTo<ElectionResultReply>
}

/** Ask: the term must be the group's current one at the backend (a fencing check before a write). */
export interface ElectionFenceMsg {
  type: 'election.fence'
  group: string
  term: number
  replyTo?: ReplyTo<ElectionResultReply>
}

/** Ask: what this node knows of the group now; the group is followed from then on. */
export interface ElectionViewMsg {
  type: 'election.view'
  group: string
  replyTo?: ReplyTo<ElectionViewReply>
}

/** Internal (the backend's host in this thread): a change of a followed group. */
export interface ElectionChangeInMsg {
  type: 'election.change-in'
  change: LeaderChange
}

/** Internal (the backend's host): how an asked operation ended. */
export interface ElectionDoneMsg {
  type: 'election.done'
  op: 'campaign' | 'resign' | 'fence'
  group: string
  replyTo?: ReplyTo<ElectionResultReply> | undefined
  term?: number
  error?: WireError
}

/** Internal (the backend's host): the backend is open, or could not be opened (its coded error). */
export interface ElectionOpenedMsg {
  type: 'election.opened'
  error?: WireError
}

/** Internal (membership backend): a lease timer of `group` is due (one not armed, or not yet due, is counted and ignored). */
export interface ElectionTimerMsg {
  type: 'election.timer'
  group: string
  key: 'campaign' | 'campaign-timeout' | 'renew' | 'lease-end' | 'campaign-retry' | 'observed' | 'fence'
}

/**
 * Also accepted (the membership backend's inputs; the nats backend counts and ignores them):
 * member-manager's `member.event` (the Gossamer members and the expected size), the partition
 * detector's `partition.changed` (a minority leader steps down), and swim's `gossamer.message` on
 * the election channel (the leases' messages).
 */
export type ElectionInbound =
  | ElectionCampaignMsg
  | ElectionResignMsg
  | ElectionFenceMsg
  | ElectionViewMsg
  | ElectionChangeInMsg
  | ElectionDoneMsg
  | ElectionOpenedMsg
  | MemberEventMsg
  | PartitionChangedMsg
  | GossamerMessageIn
  | ElectionTimerMsg

/** The outcome of campaign (term: the one won), resign and fence (term: the one checked). */
export interface ElectionResultReply {
  type: 'election.result'
  op: 'campaign' | 'resign' | 'fence'
  group: string
  ok: boolean
  term?: number
  error?: WireError
}

export interface ElectionViewReply {
  type: 'election.view-reply'
  view: LeaderView
  /** opening: the backend is connecting; failed: it could not be opened (openError). */
  status: 'opening' | 'running' | 'failed'
  openError?: WireError
}

/** Emitted on every change of a followed group (and told to the `events` peer). */
export interface ElectionChangedMsg {
  type: 'election.changed'
  change: LeaderChange
}

export type ElectionOutbound = ElectionResultReply | ElectionViewReply | ElectionChangedMsg
