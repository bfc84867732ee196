/**
 * The cluster-wide key operation, first half (what `serf keys -install/-use/-remove/-list` runs;
 * Serf KeyManager.handleKeyRequest): from the operator's base64 key to the internal query to send.
 *
 * - the key text is decoded with Go's base64 rules; a bad text fails before any query, with Go's
 *   message (`illegal base64 data at input byte N`) and a KeyResponse whose NumNodes is 0, as the
 *   RPC returns it;
 * - list-keys sends an empty key (`[7]{Key: ""}`, as Go encodes an empty non-nil slice);
 * - the query: name `_serf_install-key` etc., payload `[7][msgpack {Key}]`, Serf's default query
 *   parameters (no ack, the default timeout, no filters); relayFactor 0 unless the caller sets it
 *   (Serf's KeyRequestOptions.RelayFactor).
 *
 * Size check (`checkSize`, default true): Serf sends a key of any decoded size and lets every node
 * refuse it (`key size must be 16, 24 or 32 bytes` from each, `N/N nodes reported failure`), which
 * costs a cluster-wide query to learn that a 10-byte key is wrong. We refuse it here with a coded
 * ERR_KEY_SIZE and the same text, NumNodes 0. Pass `checkSize: false` for Serf's behaviour.
 */
import type { KeyResponse } from '../../src/node/api.ts'
import { encodeSerfMessage } from '../../src/wire/serf.ts'
import { parseKeyText } from './key-base64.ts'
import type { KeyError } from './key-errors.ts'
import { KEY_QUERY_NAMES } from './key-query-responder.ts'
import type { KeyOperationKind } from './key-ring-ops.ts'

export interface KeyQueryPlan {
  kind: KeyOperationKind
  /** The internal query's name (`_serf_install-key`, …). */
  name: string
  /** `[7][msgpack {Key}]`. */
  payload: Uint8Array
  relayFactor: number
}

export type PreparedKeyOperation = { ok: true; plan: KeyQueryPlan } | { ok: false; error: KeyError; response: KeyResponse }

/**
 * Prepare `kind` with `base64Key` (ignored for list). On failure, `response` is what the RPC
 * returns beside the error text (NumNodes 0, no messages).
 */
export function prepareKeyOperation(kind: KeyOperationKind, base64Key: string | null, opts: { checkSize?: boolean; relayFactor?: number } = {}): PreparedKeyOperation {
  let key: Uint8Array = new Uint8Array(0)
  if (kind !== 'list') {
    const parsed = parseKeyText(base64Key ?? '', { checkSize: opts.checkSize !== false })
    if (!parsed.ok) return { ok: false, error: parsed.error, response: emptyKeyResponse(kind) }
    key = parsed.key
  }
  const payload = encodeSerfMessage({ type: 'keyRequest', Key: key })
  return { ok: true, plan: { kind, name: KEY_QUERY_NAMES[kind], payload, relayFactor: opts.relayFactor ?? 0 } }
}

/** The KeyResponse of an operation that never reached the cluster. */
export function emptyKeyResponse(kind: KeyOperationKind): KeyResponse {
  return kind === 'list' ? { messages: {}, keys: {}, numNodes: 0, numErr: 0, numResp: 0 } : { messages: {}, numNodes: 0, numErr: 0, numResp: 0 }
}
