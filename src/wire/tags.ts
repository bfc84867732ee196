/**
 * Serf tags in memberlist node Meta (spec §5.7): with Serf protocol ≥ 3, `0xFF` followed by a
 * msgpack map[string]string; before that, Meta is the raw `role` string. Decoding follows Go: empty
 * Meta, or a first byte other than 0xFF, means `{role: <Meta as text>}`.
 */
import { wireError } from './errors.ts'
import { MsgpackReader } from './msgpack/reader.ts'
import { MsgpackWriter } from './msgpack/writer.ts'

export const TAG_MAGIC_BYTE = 0xff
/** memberlist MetaMaxSize: Serf refuses tags whose encoding is larger. */
export const META_MAX_SIZE = 512

const UTF8 = new TextDecoder()

export type Tags = Record<string, string>

/** Decodes Meta into tags (a null-prototype record, safe for any key). */
export function decodeTags(meta: Uint8Array): Tags {
  const tags: Tags = Object.create(null) as Tags
  if (meta.length === 0 || meta[0] !== TAG_MAGIC_BYTE) {
    tags['role'] = UTF8.decode(meta)
    return tags
  }
  const r = new MsgpackReader(meta, 1)
  const n = r.mapHeader('tags') ?? 0
  for (let i = 0; i < n; i++) {
    const k = r.key()
    tags[k] = r.string(`tags.${k}`)
  }
  return tags
}

export interface EncodeTagsOptions {
  /** 'map' (0xFF form, Serf protocol ≥ 3: the default) or 'role' (old form: Meta = tags.role). */
  form?: 'map' | 'role'
}

/** Encodes tags as Meta, keys in byte-wise sorted order (Go's order is random; any order decodes). */
export function encodeTags(tags: Tags | ReadonlyMap<string, string>, options: EncodeTagsOptions = {}): Uint8Array {
  const entries = tags instanceof Map ? [...tags.entries()] : Object.entries(tags)
  let out: Uint8Array
  if (options.form === 'role') {
    const role = entries.find(([k]) => k === 'role')?.[1] ?? ''
    out = new TextEncoder().encode(role)
  } else {
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const w = new MsgpackWriter(64)
    w.byte(TAG_MAGIC_BYTE)
    w.mapHeader(entries.length)
    for (const [k, v] of entries) {
      w.string(k)
      w.string(v)
    }
    out = w.finish()
  }
  if (out.length > META_MAX_SIZE) throw wireError('ERR_WIRE_ENCODE', `encoded tags are ${out.length} bytes, the limit is ${META_MAX_SIZE}`)
  return out
}
