/**
 * Tags in node Meta (spec §5.7). Serf protocol ≥ 3: `0xFF || msgpack(map[string]string)`, encoded as
 * Go writes it (raw-family strings); protocol < 3: the bare `role` tag. Decoding: empty Meta or a
 * first byte other than 0xFF means the old form, `{role: <Meta as text>}` (even for empty Meta, as
 * Serf does). Keys are written sorted so the same tags always give the same Meta bytes.
 */
import { ClusterError } from '../../src/errors/index.ts'
import { MsgpackReader } from '../../src/wire/msgpack/reader.ts'
import { MsgpackWriter } from '../../src/wire/msgpack/writer.ts'

export const TAG_MAGIC_BYTE = 0xff
/** Serf refuses node Meta (encoded tags) larger than memberlist's MetaMaxSize (bytes). */
export const META_MAX_SIZE = 512

/** Thrown when encoded tags exceed memberlist's 512-byte Meta limit. */
export class TagsTooLargeError extends ClusterError {
  static override name = 'TagsTooLargeError'
  constructor(size: number) {
    super('ERR_MEMBER_TAGS_TOO_LARGE', `encoded tags are ${size} bytes; node meta is limited to ${META_MAX_SIZE}`, { details: { size, limit: META_MAX_SIZE } })
  }
}

/** Thrown (or returned in counts) when a peer's Meta is not a valid tag map. */
export class MalformedTagsError extends ClusterError {
  static override name = 'MalformedTagsError'
  constructor(cause: unknown) {
    super('ERR_MEMBER_TAGS_MALFORMED', 'node meta is not a msgpack map of strings', { cause })
  }
}

const UTF8 = new TextEncoder()
const UTF8_DECODER = new TextDecoder()

/** Encodes tags into node Meta for the given Serf protocol version; throws TagsTooLargeError past 512 bytes. */
export function encodeTags(tags: Readonly<Record<string, string>>, protocolVersion: number): Uint8Array {
  let meta: Uint8Array
  if (protocolVersion < 3) {
    meta = UTF8.encode(tags['role'] ?? '')
  } else {
    const keys = Object.keys(tags).sort()
    const w = new MsgpackWriter(64)
    w.byte(TAG_MAGIC_BYTE)
    w.mapHeader(keys.length)
    for (const k of keys) {
      w.string(k)
      w.string(tags[k]!)
    }
    meta = w.finish()
  }
  if (meta.length > META_MAX_SIZE) throw new TagsTooLargeError(meta.length)
  return meta
}

/**
 * Decodes node Meta into tags. Serf logs a decode failure and keeps what it had decoded; we return
 * an error value instead of throwing so the caller counts it.
 */
export function decodeTags(meta: Uint8Array): { tags: Record<string, string>; error?: MalformedTagsError } {
  if (meta.length === 0 || meta[0] !== TAG_MAGIC_BYTE) return { tags: { role: UTF8_DECODER.decode(meta) } }
  const tags: Record<string, string> = {}
  try {
    const r = new MsgpackReader(meta, 1, meta.length)
    const n = r.mapHeader('tags') ?? 0
    for (let i = 0; i < n; i++) {
      const k = r.string('tag key')
      // defineProperty: a peer-chosen key such as "__proto__" must stay a plain own property.
      Object.defineProperty(tags, k, { value: r.string('tag value'), enumerable: true, writable: true, configurable: true })
    }
    return { tags }
  } catch (err) {
    return { tags, error: new MalformedTagsError(err) }
  }
}

/** Same keys and values. */
export function tagsEqual(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || a[k] !== b[k]) return false
  return true
}
