/**
 * Output bytes for packets (compound, CRC wrapper) that are sent at once and then dropped.
 *
 * V8 keeps a typed array of up to 64 bytes on its heap, but gives a larger one its own
 * off-heap ArrayBuffer: an allocation that costs 5-10 times more and weighs on the garbage
 * collector. Profiling the wire benchmark showed these allocations as the largest single cost of a
 * packet round trip. Like Node's Buffer pool, packets of 65 bytes to 2 KiB are therefore carved
 * from shared 8 KiB blocks: each is a view with its own byteOffset, so use byteOffset/byteLength
 * with `.buffer`, never transfer that buffer, and expect a structured clone to copy the block.
 * Message encoders (encodeMessage, encodeSerfMessage) do not use it: their outputs are retained in
 * broadcast queues and passed between actors, where an exact buffer is the better trade.
 */

/** Above this, V8 allocates off its heap (its typed_array_max_size_in_heap default). */
const ON_HEAP_MAX = 64
const BLOCK_BYTES = 8192
const POOLED_MAX = 2048

let block = new ArrayBuffer(BLOCK_BYTES)
let used = 0

/** Zero-filled bytes of length `n`, pooled when that is cheaper (see above). */
export function packetBytes(n: number): Uint8Array {
  if (n <= ON_HEAP_MAX || n > POOLED_MAX) return new Uint8Array(n)
  if (used + n > BLOCK_BYTES) {
    block = new ArrayBuffer(BLOCK_BYTES)
    used = 0
  }
  const out = new Uint8Array(block, used, n)
  used = (used + n + 7) & ~7
  return out
}
