/**
 * The election actor's core, pure: requests in, effects out. The backend (and its decisions about
 * the lease) lives in the actor's thread, reached through `backend` effects; this core keeps what
 * the actor answers from and counts: the open status, the view of every followed group, the
 * requests that wait for the backend to open (bounded), and the counters.
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { WireError } from '../../src/errors/index.ts'
import type { LeaderView } from './backend.ts'
import type { Term } from './term.ts'
import type { ElectionChangedMsg, ElectionDoneMsg, ElectionInbound, ElectionResultReply, ElectionViewReply } from './protocol.ts'

/** Requests held while the backend opens; more are refused with ERR_ELECTION_BUSY. */
export const MAX_QUEUED = 1024

type Request = Extract<ElectionInbound, { type: 'election.campaign' | 'election.resign' | 'election.fence' | 'election.view' }>

export interface ElectionActorStats {
  campaigns: number
  wins: number
  resigns: number
  fences: number
  fencesRefused: number
  changes: number
  /** Requests refused: the backend failed to open, or the queue was full while it opened. */
  refused: number
  /** election.changed tells to the events peer not delivered. */
  undelivered: number
  /** Membership-backend inputs (member.event, partition.changed, gossamer.message, election.timer) told to a nats election. */
  ignored: number
}

export interface ElectionActorState {
  readonly self: string
  readonly status: 'opening' | 'running' | 'failed'
  readonly openError: WireError | null
  readonly views: Readonly<Record<string, LeaderView>>
  readonly queued: readonly Request[]
  readonly eventsPeer: string | null
  readonly stats: ElectionActorStats
}

export type ElectionActorEffect =
  | { type: 'backend'; op: 'campaign' | 'resign' | 'fence'; group: string; term?: number; replyTo?: ReplyTo<ElectionResultReply> | undefined }
  | { type: 'follow'; group: string }
  | { type: 'reply'; to: ReplyTo<ElectionResultReply> | ReplyTo<ElectionViewReply> | undefined; msg: ElectionResultReply | ElectionViewReply }
  | { type: 'emit'; msg: ElectionChangedMsg }

export function initialElectionActor(self: string, eventsPeer: string | null): ElectionActorState {
  return { self, status: 'opening', openError: null, views: {}, queued: [], eventsPeer, stats: { campaigns: 0, wins: 0, resigns: 0, fences: 0, fencesRefused: 0, changes: 0, refused: 0, undelivered: 0, ignored: 0 } }
}

export function stepElectionActor(state: ElectionActorState, input: ElectionInbound): { state: ElectionActorState; effects: ElectionActorEffect[] } {
  const s = { ...state, stats: { ...state.stats } }
  const fx: ElectionActorEffect[] = []
  switch (input.type) {
    case 'election.opened':
      if (input.error === undefined) {
        s.status = 'running'
        const queued = s.queued
        s.queued = []
        for (const r of queued) request(s, fx, r)
      } else {
        s.status = 'failed'
        s.openError = input.error
        const queued = s.queued
        s.queued = []
        for (const r of queued) request(s, fx, r)
      }
      break
    case 'election.change-in': {
      const c = input.change
      s.views = { ...s.views, [c.group]: { group: c.group, leader: c.leader, term: c.term, isSelf: c.isSelf } }
      s.stats.changes++
      fx.push({ type: 'emit', msg: { type: 'election.changed', change: c } })
      break
    }
    case 'election.done':
      done(s, fx, input)
      break
    case 'election.campaign':
    case 'election.resign':
    case 'election.fence':
    case 'election.view':
      request(s, fx, input)
      break
    default:
      // The membership backend's inputs (members, partition status, its messages and timers):
      // the machine gives them to that backend; here (nats) they have no use.
      s.stats.ignored++
  }
  return { state: s, effects: fx }
}

type Mutable = { -readonly [K in keyof ElectionActorState]: ElectionActorState[K] } & { stats: ElectionActorStats }

function request(s: Mutable, fx: ElectionActorEffect[], r: Request): void {
  if (r.type === 'election.view') {
    const view = s.views[r.group] ?? { group: r.group, leader: null, term: 0 as Term, isSelf: false }
    fx.push({ type: 'reply', to: r.replyTo, msg: { type: 'election.view-reply', view, status: s.status, ...(s.openError === null ? {} : { openError: s.openError }) } })
    if (s.status === 'running' && s.views[r.group] === undefined) follow(s, fx, r.group)
    return
  }
  const op = r.type === 'election.campaign' ? 'campaign' : r.type === 'election.resign' ? 'resign' : 'fence'
  if (s.status === 'opening') {
    if (s.queued.length >= MAX_QUEUED) {
      s.stats.refused++
      fx.push({ type: 'reply', to: r.replyTo, msg: { type: 'election.result', op, group: r.group, ok: false, error: { code: 'ERR_ELECTION_BUSY', message: `more than ${MAX_QUEUED} requests wait for the backend to open` } } })
      return
    }
    s.queued = [...s.queued, r]
    return
  }
  if (s.status === 'failed') {
    s.stats.refused++
    fx.push({ type: 'reply', to: r.replyTo, msg: { type: 'election.result', op, group: r.group, ok: false, error: s.openError ?? { code: 'ERR_ELECTION_CLOSED', message: 'no backend' } } })
    return
  }
  if (op === 'campaign') s.stats.campaigns++
  if (op === 'resign') s.stats.resigns++
  if (op === 'fence') s.stats.fences++
  if (s.views[r.group] === undefined) follow(s, fx, r.group)
  fx.push({ type: 'backend', op, group: r.group, ...(r.type === 'election.fence' ? { term: r.term } : {}), replyTo: r.replyTo })
}

function follow(s: Mutable, fx: ElectionActorEffect[], group: string): void {
  s.views = { ...s.views, [group]: { group, leader: null, term: 0 as Term, isSelf: false } }
  fx.push({ type: 'follow', group })
}

function done(s: Mutable, fx: ElectionActorEffect[], d: ElectionDoneMsg): void {
  if (d.error !== undefined) {
    if (d.op === 'fence') s.stats.fencesRefused++
  } else if (d.op === 'campaign') s.stats.wins++
  fx.push({
    type: 'reply',
    to: d.replyTo,
    msg: { type: 'election.result', op: d.op, group: d.group, ok: d.error === undefined, ...(d.term === undefined ? {} : { term: d.term }), ...(d.error === undefined ? {} : { error: d.error }) },
  })
}
