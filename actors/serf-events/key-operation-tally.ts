/**
 * The cluster-wide key operation, second half (Serf KeyManager.streamKeyResp and the checks after
 * it): the originator counts the answers to its key query and reports Serf's KeyResponse.
 *
 * - `numNodes` is memberlist's NumMembers when the query was sent (members neither dead nor left,
 *   ourselves included: we answer our own query too);
 * - each answer counts in NumResp; one that is not `[8]…` → NumErr, message
 *   `Invalid key query response type: [8 131 …]` (Go's %v of the bytes); one that does not decode →
 *   NumErr, `Failed to decode key query response: […]`; `Result: false` → NumErr and its Message;
 *   `Result: true` with a Message (a truncated list) → the message, not an error;
 * - list-keys: each listed key counts once per answer (`Keys`: base64 → nodes holding it);
 * - answers are deduped by sender (counted in `duplicates`); once NumResp reaches NumNodes the
 *   operation is complete (Serf returns early) and later answers are counted in `late`, not used;
 * - at the end (complete, or the query's deadline): the error text is
 *   `NumErr/NumNodes nodes reported failure` if any node failed, else
 *   `NumResp/NumNodes nodes reported success` if some did not answer, else none.
 * Pure: plain data in and out; the caller feeds answers as they arrive.
 */
import type { KeyResponse } from '../../src/node/api.ts'
import { decodeSerfMessage } from '../../src/wire/serf.ts'
import type { KeyOperationKind } from './key-ring-ops.ts'

export interface KeyTally {
  kind: KeyOperationKind
  numNodes: number
  numResp: number
  numErr: number
  /** Node → message, in arrival order. */
  messages: ReadonlyMap<string, string>
  /** list only: base64 key → answers listing it. */
  keys: ReadonlyMap<string, number>
  /** Senders already counted. */
  answered: ReadonlySet<string>
  duplicates: number
  /** Answers after the operation was complete. */
  late: number
}

export type KeyAnswerOutcome = 'ok' | 'failed' | 'malformed' | 'duplicate' | 'late'

export function startKeyTally(kind: KeyOperationKind, numNodes: number): KeyTally {
  return { kind, numNodes: Math.max(0, numNodes), numResp: 0, numErr: 0, messages: new Map(), keys: new Map(), answered: new Set(), duplicates: 0, late: 0 }
}

/** True once every member answered: the caller may finish without waiting for the deadline. */
export function keyTallyComplete(t: KeyTally): boolean {
  return t.numResp >= t.numNodes
}

/** One answer (the response payload of node `from`). */
export function addKeyAnswer(t: KeyTally, from: string, payload: Uint8Array | null): { tally: KeyTally; outcome: KeyAnswerOutcome } {
  if (keyTallyComplete(t)) return { tally: { ...t, late: t.late + 1 }, outcome: 'late' }
  if (t.answered.has(from)) return { tally: { ...t, duplicates: t.duplicates + 1 }, outcome: 'duplicate' }
  const answered = new Set(t.answered).add(from)
  const messages = new Map(t.messages)
  const base = { ...t, answered, messages, numResp: t.numResp + 1 }
  if (payload === null || payload.length < 1 || payload[0] !== 8) {
    messages.set(from, `Invalid key query response type: ${goBytes(payload)}`)
    return { tally: { ...base, numErr: t.numErr + 1 }, outcome: 'malformed' }
  }
  let resp
  try {
    const m = decodeSerfMessage(payload)
    if (m.type !== 'keyResponse') throw new Error('not a key response')
    resp = m
  } catch {
    messages.set(from, `Failed to decode key query response: ${goBytes(payload)}`)
    return { tally: { ...base, numErr: t.numErr + 1 }, outcome: 'malformed' }
  }
  if (!resp.Result || resp.Message.length > 0) messages.set(from, resp.Message)
  let keys = t.keys
  if (t.kind === 'list' && resp.Keys !== null && resp.Keys.length > 0) {
    const next = new Map(t.keys)
    for (const k of resp.Keys) next.set(k, (next.get(k) ?? 0) + 1)
    keys = next
  }
  if (!resp.Result) return { tally: { ...base, keys, numErr: t.numErr + 1 }, outcome: 'failed' }
  return { tally: { ...base, keys }, outcome: 'ok' }
}

/** The operation's result: Serf's KeyResponse and the RPC error text (null: full success). */
export function finishKeyTally(t: KeyTally): { response: KeyResponse; error: string | null } {
  // Object.fromEntries defines own properties, so a node named "__proto__" stays a plain key.
  const response: KeyResponse = { messages: Object.fromEntries(t.messages), numNodes: t.numNodes, numErr: t.numErr, numResp: t.numResp }
  if (t.kind === 'list') response.keys = Object.fromEntries(t.keys)
  let error: string | null = null
  if (t.numErr !== 0) error = `${t.numErr}/${t.numNodes} nodes reported failure`
  else if (t.numResp !== t.numNodes) error = `${t.numResp}/${t.numNodes} nodes reported success`
  return { response, error }
}

/** Go's `%v` of a []byte: `[8 131 164]`; nil and empty print `[]`. At most 64 bytes, then `…`. */
export function goBytes(b: Uint8Array | null): string {
  if (b === null) return '[]'
  const shown = Array.from(b.subarray(0, 64)).join(' ')
  return b.length > 64 ? `[${shown} …]` : `[${shown}]`
}
