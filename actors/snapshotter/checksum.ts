/**
 * Checksum comment lines: `# gossamer-crc32 <8 hex> <byte count>`. Serf skips every line that
 * starts with `#`, so a file that carries them still replays in `serf agent`. Each one covers the
 * `<byte count>` bytes just before it (the records of one written batch, never a line of another
 * writer that appended to the same file), so a reader can tell a clean span from a corrupt one.
 * CRC-32 is IEEE 802.3 (the zlib/Go `hash/crc32` IEEE polynomial), computed by src/wire/crc.ts.
 */
import { crc32 as wireCrc32 } from '../../src/wire/crc.ts'

/** crc32 of bytes[start, end): the project's one CRC-32/IEEE (src/wire/crc.ts, zlib's). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return wireCrc32(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end))
}

export const CHECKSUM_PREFIX = '# gossamer-crc32 '
const CHECKSUM_RE = /^# gossamer-crc32 ([0-9a-f]{8}) ([0-9]{1,12})$/

/** checksumLine formats the comment line that covers `length` bytes with CRC `crc`. */
export function checksumLine(crc: number, length: number): string {
  return `${CHECKSUM_PREFIX}${crc.toString(16).padStart(8, '0')} ${length}\n`
}

/** parseChecksumLine reads a checksum comment (without its `\n`), or undefined if it is not one. */
export function parseChecksumLine(line: string): { crc: number; length: number } | undefined {
  if (!line.startsWith(CHECKSUM_PREFIX)) return undefined
  const m = CHECKSUM_RE.exec(line)
  if (m === null) return undefined
  return { crc: parseInt(m[1]!, 16), length: Number(m[2]) }
}
