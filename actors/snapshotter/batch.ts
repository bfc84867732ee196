/**
 * encodeBatch: record text to the chunks one append writes. With checksums on, the text is cut at
 * line ends into spans of at most MAX_SPAN_BYTES, each followed by its own checksum line
 * (checksum.ts). A bounded span keeps what one flipped byte can cost to at most that many bytes of
 * records, and no reader has to hold more than that to verify one (replay.ts verifies spans of any
 * length, as a file written before this bound may hold them).
 */
import { checksumLine, crc32 } from './checksum.ts'

/** Most record bytes under one checksum line (a line longer than this is a span by itself). */
export const MAX_SPAN_BYTES = 64 * 1024

const encoder = new TextEncoder()
const LF = 0x0a

/** The records as spans of whole lines, each followed by its checksum line (when `checksums`). */
export function encodeBatch(text: string, checksums: boolean, maxSpanBytes = MAX_SPAN_BYTES): Uint8Array[] {
  const body = encoder.encode(text)
  if (!checksums) return [body]
  const chunks: Uint8Array[] = []
  for (let start = 0; start < body.length; ) {
    let end = body.length
    if (end - start > maxSpanBytes) {
      // The last line end within the bound; a single longer line goes whole.
      const cut = body.lastIndexOf(LF, start + maxSpanBytes - 1)
      end = cut >= start ? cut + 1 : body.indexOf(LF, start) + 1 || body.length
    }
    const span = body.subarray(start, end)
    chunks.push(span, encoder.encode(checksumLine(crc32(span), span.length)))
    start = end
  }
  return chunks
}
