/** CRC-32/IEEE (the zlib polynomial) for memberlist's hasCrc wrapper, via node:zlib (Node 20.15+). */
import { crc32 as zlibCrc32 } from 'node:zlib'

export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes) >>> 0
}
