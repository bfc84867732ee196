/**
 * Answering Serf's key queries (spec §5.10; Serf internal_query.go handleInstallKey / UseKey /
 * RemoveKey / ListKeys, sendKeyResponse, keyListResponseWithCorrectSize).
 *
 * Three pure steps, so the keyring (swim's) can be asked in between without the packet path
 * waiting on it:
 * 1. `parseKeyQuery(name, payload)`: which operation, and its key. Like Serf, the request body is
 *    read after skipping the first byte (Serf sends `[7]`, and does not check it); list-keys reads no
 *    body. A body that is not a msgpack `{Key}` is a coded error; answer it with
 *    `undecodableKeyRequestResponse()` (Serf answers `Result: false` too).
 * 2. the keyring's reply (`KeyringReply`, key-ring-ops.ts) → `toNodeKeyResponse(kind, reply)`:
 *    Serf's nodeKeyResponse `{Result, Message, Keys (base64), PrimaryKey (base64)}`.
 * 3. `encodeKeyResponse(resp, envelope, limit)`: `[8][msgpack {Keys, Message, PrimaryKey, Result}]`.
 *    For list-keys it trims the key list until the whole query response the node will send
 *    (`[5]{Flags 0, From, ID, LTime, Payload}`) fits `limit` (QueryResponseSizeLimit, 1024), exactly
 *    as Serf does: starting from limit/25 keys (minEncodedKeyLength 25) and going down one key at a
 *    time, with the message `truncated key list response, showing first N of M keys`. Like Serf it
 *    never tries an empty list: when one key does not fit either, it is a coded error and no answer.
 */
import { decodeStruct } from '../../src/wire/schema.ts'
import { MsgpackReader } from '../../src/wire/msgpack/reader.ts'
import { encodeSerfMessage, SERF_SCHEMAS } from '../../src/wire/serf.ts'
import type { SerfKeyResponse } from '../../src/wire/serf.ts'
import type { LamportTime } from '../member-manager/protocol.ts'
import { encodeKeyBase64 } from './key-base64.ts'
import { KeyError } from './key-errors.ts'
import type { KeyOperationKind, KeyringOp, KeyringReply } from './key-ring-ops.ts'

/** The internal query name of each key operation. */
export const KEY_QUERY_NAMES: Readonly<Record<KeyOperationKind, string>> = {
  install: '_serf_install-key',
  use: '_serf_use-key',
  remove: '_serf_remove-key',
  list: '_serf_list-keys',
}

/** Serf minEncodedKeyLength: the list is trimmed starting from limit / 25 keys. */
export const MIN_ENCODED_KEY_LENGTH = 25
/** Serf QueryResponseSizeLimit default, bytes. */
export const DEFAULT_RESPONSE_SIZE_LIMIT = 1024

/** The operation for a query name, or null when it is not a key query. */
export function keyQueryKind(name: string): KeyOperationKind | null {
  for (const kind of Object.keys(KEY_QUERY_NAMES) as KeyOperationKind[]) if (KEY_QUERY_NAMES[kind] === name) return kind
  return null
}

/** On failure `kind` is null when the name is not a key query, else the operation whose request did not decode. */
export type ParsedKeyQuery = { ok: true; op: KeyringOp } | { ok: false; kind: KeyOperationKind | null; error: KeyError }

/** Step 1: the key operation a `_serf_*-key(s)` query asks for. */
export function parseKeyQuery(name: string, payload: Uint8Array | null): ParsedKeyQuery {
  const kind = keyQueryKind(name)
  if (kind === null) {
    return { ok: false, kind: null, error: new KeyError('ERR_KEY_QUERY_UNKNOWN', `not a key query: ${JSON.stringify(name)}`, { name }) }
  }
  if (kind === 'list') return { ok: true, op: { kind } }
  const bad = (why: string) => ({ ok: false as const, kind, error: new KeyError('ERR_KEY_REQUEST_INVALID', `Failed to decode key request: ${why}`, { name, size: payload?.length ?? 0 }) })
  if (payload === null || payload.length < 2) return bad('the payload is shorter than a type byte and a body')
  let key: Uint8Array | null
  try {
    const body = decodeStruct(new MsgpackReader(payload, 1, payload.length), SERF_SCHEMAS.keyRequest)
    key = body['Key'] as Uint8Array | null
  } catch (err) {
    return bad(err instanceof Error ? err.message : String(err))
  }
  // Go decodes a nil Key as an empty slice: an empty key, which every keyring refuses or ignores.
  return { ok: true, op: { kind, key: key ?? new Uint8Array(0) } }
}

/** Step 2: Serf's nodeKeyResponse for the keyring's reply. */
export function toNodeKeyResponse(kind: KeyOperationKind, reply: KeyringReply): SerfKeyResponse {
  if (!reply.ok) return { type: 'keyResponse', Result: false, Message: reply.message, Keys: null, PrimaryKey: '' }
  if (kind !== 'list') return { type: 'keyResponse', Result: true, Message: '', Keys: null, PrimaryKey: '' }
  const keys = (reply.keys ?? []).map(encodeKeyBase64)
  return { type: 'keyResponse', Result: true, Message: '', Keys: keys.length === 0 ? null : keys, PrimaryKey: reply.primary === undefined ? '' : encodeKeyBase64(reply.primary) }
}

/**
 * The answer to a request that did not decode (Serf: `Result: false` and an empty Message). We put
 * the reason in Message so the operator running `serf keys` sees it; a Go originator prints it as is.
 */
export function undecodableKeyRequestResponse(error: KeyError): SerfKeyResponse {
  return { type: 'keyResponse', Result: false, Message: error.message, Keys: null, PrimaryKey: '' }
}

/** Who answers, and to which query: the fields of the query response that carries the payload. */
export interface ResponseEnvelope {
  ltime: LamportTime
  id: number
  /** Our node name (the response's From). */
  from: string
}

export type EncodedKeyResponse =
  | { ok: true; payload: Uint8Array; response: SerfKeyResponse; truncated: { shown: number; total: number } | null }
  | { ok: false; error: KeyError }

/** Step 3: the response payload, trimmed for list-keys so its query response fits `limit`. */
export function encodeKeyResponse(kind: KeyOperationKind, resp: SerfKeyResponse, envelope: ResponseEnvelope, limit = DEFAULT_RESPONSE_SIZE_LIMIT): EncodedKeyResponse {
  const fits = (payload: Uint8Array) => envelopeSize(envelope, payload) <= limit
  if (kind !== 'list') {
    const payload = encodeSerfMessage(resp)
    if (fits(payload)) return { ok: true, payload, response: resp, truncated: null }
    return { ok: false, error: tooLarge(envelope, limit, envelopeSize(envelope, payload)) }
  }
  // Serf's loop, step for step (see the header): i goes from min(limit/25, n) down to 0.
  const all = resp.Keys ?? []
  const total = all.length
  let current = resp
  let size = 0
  for (let i = Math.min(Math.floor(limit / MIN_ENCODED_KEY_LENGTH), total); i >= 0; i--) {
    const payload = encodeSerfMessage(current)
    size = envelopeSize(envelope, payload)
    if (size <= limit) {
      const shown = current.Keys?.length ?? 0
      return { ok: true, payload, response: current, truncated: shown < total ? { shown, total } : null }
    }
    current = { ...current, Keys: all.slice(0, i), Message: `truncated key list response, showing first ${i} of ${total} keys` }
  }
  return { ok: false, error: tooLarge(envelope, limit, size) }
}

function envelopeSize(envelope: ResponseEnvelope, payload: Uint8Array): number {
  return encodeSerfMessage({ type: 'queryResponse', LTime: envelope.ltime, ID: envelope.id, From: envelope.from, Flags: 0, Payload: payload }).length
}

function tooLarge(envelope: ResponseEnvelope, limit: number, size: number): KeyError {
  return new KeyError('ERR_KEY_RESPONSE_TOO_LARGE', `Failed to truncate response so that it fits into message (response exceeds limit of ${limit} bytes)`, { from: envelope.from, size, limit })
}

/**
 * All three steps at once against a synchronous keyring: the response payload for key query
 * `name`, or the coded error when even a trimmed response cannot be sent (Serf logs and sends
 * nothing). A request that does not decode is answered with `Result: false`.
 */
export function answerKeyQuery(
  name: string,
  payload: Uint8Array | null,
  runOp: (op: KeyringOp) => KeyringReply,
  envelope: ResponseEnvelope,
  limit = DEFAULT_RESPONSE_SIZE_LIMIT,
): EncodedKeyResponse & { requestError: KeyError | null } {
  const parsed = parseKeyQuery(name, payload)
  if (!parsed.ok) {
    if (parsed.kind === null) return { ok: false, error: parsed.error, requestError: parsed.error }
    return { ...encodeKeyResponse(parsed.kind, undecodableKeyRequestResponse(parsed.error), envelope, limit), requestError: parsed.error }
  }
  const reply = runOp(parsed.op)
  return { ...encodeKeyResponse(parsed.op.kind, toNodeKeyResponse(parsed.op.kind, reply), envelope, limit), requestError: null }
}
