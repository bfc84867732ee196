/**
 * memberlist's mergeRemoteState for a push/pull (push-pull.ts, both sides): the remote node states
 * are checked against our protocol versions first (verifyProtocol: one out of range rejects the
 * whole push/pull, counted), then merged into the node table with each outcome applied as a
 * push/pull's, and Serf's user state passed on unchanged. A state byte that is no node state is
 * skipped, counted as a refusal, as memberlist skips it.
 */
import type { PushPullStream } from '../../src/wire/stream.ts'
import type { PushNodeState } from './messages.ts'
import { verifyProtocol } from './node-table.ts'
import type { NodeTable, Outcome } from './node-table.ts'
import { fromWireState } from './packets.ts'
import type { SwimCounters } from './counters.ts'
import type { SuspicionCause } from './effects.ts'

/** What the merge needs from its node (push/pull's host provides it). */
export interface MergeHost {
  readonly table: NodeTable
  readonly env: { now(): number }
  /** The counters of the step running now. */
  readonly counters: SwimCounters
  apply(o: Outcome, cause?: SuspicionCause): void
  mergeRemoteUserState(bytes: Uint8Array, join: boolean): void
}

/** Merges a remote push/pull; returns the reason when its versions were rejected (nothing merged then). */
export function mergeRemoteState(host: MergeHost, msg: PushPullStream, join: boolean): string | undefined {
  const states: PushNodeState[] = []
  for (const s of msg.NodeStates) {
    const st = fromWireState(s)
    if (st !== undefined) states.push(st)
    else host.apply({ result: 'refused', reason: `pushNodeState.State ${s.State} is no node state (memberlist skips it)` })
  }
  const bad = verifyProtocol(host.table.records(), states)
  if (bad !== undefined) {
    host.counters.pushPullsRejected++
    return bad
  }
  for (const o of host.table.merge(states, host.env.now())) host.apply(o, 'push-pull')
  if (msg.UserState.length > 0) host.mergeRemoteUserState(msg.UserState, join)
  return undefined
}
