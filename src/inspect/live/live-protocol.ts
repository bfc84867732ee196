/**
 * What the live page's server sends its pages over Server-Sent Events: one JSON object per `data:`
 * line, a discriminated union on `type` (append-only). The page script (page-script.ts) reads these.
 */

/** An actor as the page shows it. */
export interface ActorView {
  id: string
  /** The state as one line: 'running', 'running.probing', 'a.x, b.y' for regions. */
  state: string
  /** Ids of the chart's active states (ancestors included); empty without a chart. */
  active: string[]
  /** Transitions seen since the page server started watching. */
  transitions: number
  /** The last event processed. */
  event: string
  /** When (the actor's clock, ms). */
  at: number
}

/** One transition in the stream; `skipped`: transitions of this actor not listed before this one (throttled). */
export interface TransitionRecord {
  seq: number
  actor: string
  event: string
  state: string
  at: number
  skipped?: number
}

/** An actor's runtime figures and its own counters. */
export interface ActorFigures {
  id: string
  status: string
  mailboxDepth: number
  restarts: number
  overflows: number
  /** Numeric counters the actor exposes (flattened: 'streams.accepted'), in its order. */
  counters: Array<[string, number | string]>
}

export interface MemberRow {
  name: string
  addr: string
  status: string
  tags: Record<string, string>
}

/** The page server's own accounting (shown in the page's footer, served at /stats.json). */
export interface LiveServerStats {
  clients: number
  /** Clients accepted since start. */
  accepted: number
  /** Clients refused with a 503 (over maxClients). */
  refused: number
  /** Clients dropped because they did not read (their buffer passed clientBufferBytes). */
  dropped: number
  observed: number
  coalesced: number
  untracked: number
  /** Failed reads of the actors' figures or the members (the node stopping, an ask timing out). */
  pollErrors: number
  /** Whether the runtime's inspection is on (only while a client is connected). */
  inspecting: boolean
  bytesSent: number
}

export type LiveMsg =
  | { type: 'snapshot'; node: string; address: string; actors: ActorView[]; transitions: TransitionRecord[]; figures: ActorFigures[]; members: MemberRow[] | null; server: LiveServerStats }
  | UpdateMsg
  | { type: 'figures'; figures: ActorFigures[]; server: LiveServerStats }
  | { type: 'members'; members: MemberRow[] }

export interface UpdateMsg {
  type: 'update'
  actors: ActorView[]
  transitions: TransitionRecord[]
  /** Transitions left out of this update's list by the per-actor throttle. */
  coalesced: number
}
