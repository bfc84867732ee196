/**
 * Checksum comment lines: `# gossamer-crc32 <8 hex> <byte count>`. Serf skips every line that
 * starts with `#`, so a file that carries them still replays in `serf agent`. Each one covers the
 * `<byte count>` bytes just before it (the records of one written batch, never a line of another
 * writer that appended to the same file), so a reader can tell a clean span from a corrupt one.
 * CRC-32 is IEEE 802.3 (the zlib/Go `hash/crc32` IEEE polynomial), table driven, pure.
 */

const TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
})()

/** crc32 of bytes[start, end), continuing from `seed` (0 for a fresh checksum). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number {
  let c = ~seed
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
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
