/**
 * CRC-32/IEEE (the zlib polynomial, reflected 0xEDB88320) for memberlist's hasCrc wrapper, the
 * assignment codec and the snapshot's checksum lines.
 *
 * Inputs under NATIVE_MIN_BYTES (memberlist's packets, at most a UDP datagram) are computed here
 * with a 1 KiB table; longer ones go to node:zlib's native crc32 (Node 20.15+), loaded on first
 * use. Why not zlib for all: loading node:zlib costs an agent about 0.2 MB of resident memory
 * (its module and bindings), and an idle agent only ever checks small packets.
 */

/** From this many bytes on, node:zlib's crc32 (native, far faster on large inputs) is used. */
export const NATIVE_MIN_BYTES = 4096

const TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

let zlibCrc32: ((data: Uint8Array) => number) | undefined

export function crc32(bytes: Uint8Array): number {
  if (bytes.length >= NATIVE_MIN_BYTES) {
    zlibCrc32 ??= process.getBuiltinModule('node:zlib').crc32
    return zlibCrc32(bytes) >>> 0
  }
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
