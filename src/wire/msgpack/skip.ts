/**
 * Skipping one msgpack value of any type, as go-msgpack does for map keys a struct does not know.
 * Nesting is bounded by the reader's maxDepth, and every declared length or item count is checked
 * against the bytes that remain before it is walked, so hostile input cannot make it loop long.
 * The header table itself is measure.ts's (one description of the format, shared with the stream scan).
 */
import { wireError } from '../errors.ts'
import { measureHeader } from './measure.ts'
import type { MsgpackReader } from './reader.ts'

export function skipValue(r: MsgpackReader, depth: number): void {
  if (depth > r.maxDepth) throw wireError('ERR_WIRE_TOO_DEEP', `msgpack nesting deeper than ${r.maxDepth}`)
  const h = measureHeader(r.buf, r.pos, r.end)
  if (h === undefined) throw wireError('ERR_WIRE_TRUNCATED', `skipped value runs past the end (${r.remaining} bytes left)`, { offset: r.pos })
  // Every value takes at least one byte: more items than bytes left cannot be there.
  if (h.children > r.end - h.end) throw wireError('ERR_WIRE_TRUNCATED', `container of ${h.children} items in ${r.end - h.end} bytes`, { offset: r.pos })
  r.pos = h.end
  for (let i = 0; i < h.children; i++) skipValue(r, depth + 1)
}
