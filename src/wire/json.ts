/**
 * The JSON view of decoded packets, streams and Serf messages (`gossamer decode`): Go's own type
 * and field names; wrappers keep their content under `inner`, compound under `parts`, memberlist
 * user messages (and push/pull user state) under `serf`; IPs as text, Meta as a `tags` object,
 * other bytes as hex, integers as numbers (decimal strings past 2^53). A nested payload that does
 * not decode becomes `{error: {code, message}}` next to its hex, never a failure of the whole.
 */
import { formatIp } from './address.ts'
import { decodeCoordinatePayload } from './coordinate.ts'
import { ClusterError } from '../errors/cluster-error.ts'
import { WireCodecError } from './errors.ts'
import { toHex } from './hex.ts'
import type { PacketNode } from './packet.ts'
import { decodeSerfMessage } from './serf.ts'
import type { SerfMessage } from './serf.ts'
import type { StreamNode } from './stream.ts'
import { decodeTags } from './tags.ts'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

/** Fields holding a net.IP. */
const IP_FIELDS = new Set(['Addr', 'SourceAddr', 'Target', 'IP'])
/** Internal queries whose payload is a keyRequest. */
const KEY_QUERIES = new Set(['_serf_install-key', '_serf_use-key', '_serf_remove-key', '_serf_list-keys'])

function obj(): JsonObject {
  return Object.create(null) as JsonObject
}

export function errorJson(err: unknown): JsonObject {
  const code = err instanceof ClusterError ? err.code : 'ERR_WIRE_INTERNAL'
  const message = err instanceof Error ? err.message : String(err)
  return { error: { code, message } }
}

function scalar(key: string, v: unknown): Json {
  if (v === null || v === undefined) return null
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v)
  if (typeof v === 'string' || typeof v === 'boolean') return v
  if (v instanceof Uint8Array) {
    if (IP_FIELDS.has(key) && (v.length === 4 || v.length === 16)) return formatIp(v)
    return toHex(v)
  }
  if (v instanceof Map) {
    const out = obj()
    for (const [k, item] of v as Map<string, unknown>) out[k] = scalar(k, item)
    return out
  }
  if (Array.isArray(v)) return v.map((item) => scalar(key, item))
  if (typeof v === 'object') return fields(v as Record<string, unknown>)
  return String(v)
}

/** Generic struct conversion, with Meta shown as tags. */
function fields(o: Record<string, unknown>, skip: ReadonlySet<string> = new Set()): JsonObject {
  const out = obj()
  for (const [k, v] of Object.entries(o)) {
    if (skip.has(k)) continue
    if (k === 'Meta' && v instanceof Uint8Array) {
      try {
        out['tags'] = scalar('tags', decodeTags(v) as unknown as Record<string, unknown>)
      } catch (err) {
        out['Meta'] = toHex(v)
        out['tags'] = errorJson(err)
      }
      continue
    }
    out[k] = scalar(k, v)
  }
  return out
}

/** Relays inside relays are shown this deep at most (Go forwards a relay's content, never unwraps twice). */
const MAX_RELAY_DEPTH = 8

function serfFromBytes(bytes: Uint8Array, depth = 0): Json {
  try {
    return serfToJson(decodeSerfMessage(bytes), depth)
  } catch (err) {
    return errorJson(err)
  }
}

/** JSON of a Serf message. */
export function serfToJson(msg: SerfMessage, depth = 0): JsonObject {
  switch (msg.type) {
    case 'relay': {
      const out = fields(msg as unknown as Record<string, unknown>, new Set(['Message']))
      out['inner'] =
        depth >= MAX_RELAY_DEPTH
          ? errorJson(new WireCodecError('ERR_WIRE_TOO_DEEP', `relays nested deeper than ${MAX_RELAY_DEPTH}`))
          : serfFromBytes(msg.Message, depth + 1)
      return out
    }
    case 'query': {
      const out = fields(msg as unknown as Record<string, unknown>)
      if (KEY_QUERIES.has(msg.Name) && msg.Payload !== null && msg.Payload.length > 0) out['request'] = serfFromBytes(msg.Payload)
      return out
    }
    case 'queryResponse': {
      const out = fields(msg as unknown as Record<string, unknown>)
      // Internal query responses (conflict, key) are Serf messages; a user payload may look alike.
      const p = msg.Payload
      if (p !== null && p.length > 0 && (p[0] === 6 || p[0] === 8)) {
        try {
          out['response'] = serfToJson(decodeSerfMessage(p))
        } catch {
          // not a Serf message: the hex Payload says it all
        }
      }
      return out
    }
    default:
      return fields(msg as unknown as Record<string, unknown>)
  }
}

/** JSON of a decoded packet or stream tree. */
export function toJson(node: PacketNode | StreamNode): JsonObject {
  switch (node.type) {
    case 'compound':
      return { type: 'compound', parts: node.parts.map(toJson), truncated: node.truncated }
    case 'compress':
      return { type: 'compress', Algo: node.Algo, inner: toJson(node.inner) }
    case 'hasCrc':
      return { type: 'hasCrc', crc: node.crc.toString(16).padStart(8, '0'), inner: toJson(node.inner) }
    case 'encrypt':
      return { type: 'encrypt', vsn: node.vsn, keyIndex: node.keyIndex, nonce: toHex(node.nonce), inner: toJson(node.inner) }
    case 'invalid':
      return { type: 'invalid', error: { code: node.code, message: node.message }, bytes: toHex(node.bytes) }
    case 'user': {
      const out = obj()
      out['type'] = 'user'
      if ('UserMsgLen' in node) out['UserMsgLen'] = node.UserMsgLen
      const serf = serfFromBytes(node.Payload)
      if (serf !== null && typeof serf === 'object' && 'error' in serf) out['Payload'] = toHex(node.Payload)
      out['serf'] = serf
      return out
    }
    case 'ack': {
      const out = fields(node as unknown as Record<string, unknown>)
      if (node.Payload !== null && node.Payload.length > 0) {
        try {
          out['coordinate'] = scalar('coordinate', decodeCoordinatePayload(node.Payload))
        } catch (err) {
          out['coordinate'] = errorJson(err)
        }
      }
      return out
    }
    case 'pushPull': {
      const out = fields(node as unknown as Record<string, unknown>, new Set(['UserState']))
      if (node.UserState.length > 0) {
        const serf = serfFromBytes(node.UserState)
        if (serf !== null && typeof serf === 'object' && 'error' in serf) out['UserState'] = toHex(node.UserState)
        out['serf'] = serf
      }
      return out
    }
    default:
      return fields(node as unknown as Record<string, unknown>)
  }
}

/** One nested error in a decoded tree's JSON: where it is (e.g. `parts[1].serf`) and its code. */
export interface JsonErrorAt {
  path: string
  code: string
  message: string
}

function isErrorObject(v: Json | undefined): v is { code: string; message: Json } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v['code'] === 'string'
}

/**
 * Every `{error: {code, message}}` inside a JSON view (invalid compound parts, Serf payloads, tags
 * or coordinates that did not decode), in document order. Empty when everything decoded.
 */
export function jsonErrors(json: Json, path = ''): JsonErrorAt[] {
  const found: JsonErrorAt[] = []
  const walk = (v: Json, at: string): void => {
    if (v === null || typeof v !== 'object') return
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${at}[${i}]`))
      return
    }
    for (const [k, item] of Object.entries(v)) {
      if (k === 'error' && isErrorObject(item)) {
        found.push({ path: at === '' ? '.' : at, code: item.code, message: String(item.message) })
        continue
      }
      walk(item, at === '' ? k : `${at}.${k}`)
    }
  }
  walk(json, path)
  return found
}
