/**
 * Serf query filters (spec §5.2): each entry of a query's Filters is `[filter type][msgpack]`,
 * type 0 a list of node names, type 1 a tag name and a regular expression. A filter Go cannot
 * parse makes Go skip the query; we keep it raw so it re-encodes unchanged.
 */
import { MsgpackReader } from './msgpack/reader.ts'
import { MsgpackWriter } from './msgpack/writer.ts'
import { decodeStruct, defineStruct, encodeStruct } from './schema.ts'
import type { Struct } from './schema.ts'

/** A query filter: `[0][[]string]` node names or `[1][{Expr, Tag}]`; anything else kept raw. */
export type QueryFilter =
  | { type: 'node'; Nodes: string[] }
  | { type: 'tag'; Tag: string; Expr: string }
  | { type: 'unknown'; Raw: Uint8Array }
const FILTER_NODE = 0
const FILTER_TAG = 1

/** The body of a tag filter (Go's filterTag). */
export const TAG_FILTER = defineStruct('filterTag', [
  { name: 'Tag', type: 'str' },
  { name: 'Expr', type: 'str' },
])

export function encodeFilter(f: QueryFilter): Uint8Array {
  if (f.type === 'unknown') return f.Raw
  const w = new MsgpackWriter(64)
  if (f.type === 'node') {
    w.byte(FILTER_NODE)
    w.arrayHeader(f.Nodes.length)
    for (const n of f.Nodes) w.string(n)
  } else {
    w.byte(FILTER_TAG)
    encodeStruct(w, TAG_FILTER, f as unknown as Struct)
  }
  return w.finish()
}

/** Decodes one filter; a filter Go could not parse is kept raw (Go then skips the query). */
export function decodeFilter(raw: Uint8Array): QueryFilter {
  try {
    if (raw.length > 0 && raw[0] === FILTER_NODE) {
      const r = new MsgpackReader(raw, 1)
      const n = r.arrayHeader('filter nodes') ?? 0
      const Nodes: string[] = []
      for (let i = 0; i < n; i++) Nodes.push(r.string('filter node'))
      return { type: 'node', Nodes }
    }
    if (raw.length > 0 && raw[0] === FILTER_TAG) {
      const s = decodeStruct(new MsgpackReader(raw, 1), TAG_FILTER)
      return { type: 'tag', Tag: s['Tag'] as string, Expr: s['Expr'] as string }
    }
  } catch {
    // fall through: kept raw, like an unknown filter type
  }
  return { type: 'unknown', Raw: raw }
}
