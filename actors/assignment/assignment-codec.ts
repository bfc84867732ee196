/**
 * The compact, versioned encoding of an Assignment (for the assignment store and for workers):
 *
 *   0  'G' 'A'            magic
 *   2  u8  1              format version (a new layout gets a new number; decoders refuse unknown ones)
 *   3  u8  0              flags (reserved, must be 0)
 *   4  u32 lo, u32 hi     term     (little-endian halves of a safe integer)
 *   12 u32 lo, u32 hi     version
 *   20 u32                partitions (1..MAX_PARTITIONS)
 *   24 u32                worker count (1..65,535)
 *   28 per worker:        u8 id length (1..255), id (UTF-8), f64 weight   -- sorted by id
 *      owners:            u16 per partition, an index into the worker table
 *      u32                CRC-32 (IEEE) of everything before it
 *
 * Decoding is bounded: the byte limit is checked before anything is read, the claimed counts
 * against the bytes actually present before anything is allocated, and every field (checksum,
 * ranges, table order, owner indexes, exact length) before the value is returned. Anything else is
 * ERR_ASSIGNMENT_CORRUPT or ERR_ASSIGNMENT_OVERSIZED, never a crash or a partial value.
 */
import { crc32 } from '../../src/wire/crc.ts'
import { createAssignment, type Assignment } from './assignment.ts'
import { AssignmentDecodeError, AssignmentInputError } from './errors.ts'
import { MAX_PARTITIONS, MAX_WORKERS, type WorkerSpec } from './worker-spec.ts'

export const ASSIGNMENT_MAGIC_0 = 0x47
export const ASSIGNMENT_MAGIC_1 = 0x41
export const ASSIGNMENT_FORMAT_VERSION = 1
const HEADER_BYTES = 28
const CRC_BYTES = 4
/** Smallest table entry: a 1-byte id (length byte + id + f64 weight). */
const MIN_WORKER_BYTES = 1 + 1 + 8
/**
 * Default byte limit of encode and decode: 4 MiB holds MAX_PARTITIONS (2 MB of owners) with
 * thousands of workers, and stops a corrupt or hostile blob from claiming more.
 */
export const DEFAULT_MAX_ASSIGNMENT_BYTES = 4 * 1024 * 1024

const UTF8 = new TextEncoder()
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true })
const TWO_32 = 0x1_0000_0000

export function encodeAssignment(a: Assignment, options: { maxBytes?: number } = {}): Uint8Array {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ASSIGNMENT_BYTES
  const ids = a.workers.map((w) => UTF8.encode(w.id))
  let size = HEADER_BYTES + a.partitions * 2 + CRC_BYTES
  for (const id of ids) size += 1 + id.length + 8
  if (size > maxBytes) throw new AssignmentDecodeError('ERR_ASSIGNMENT_OVERSIZED', `the assignment encodes to ${size} bytes; the limit is ${maxBytes}`, { details: { size, maxBytes } })
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  out[0] = ASSIGNMENT_MAGIC_0
  out[1] = ASSIGNMENT_MAGIC_1
  out[2] = ASSIGNMENT_FORMAT_VERSION
  out[3] = 0
  writeCounter(view, 4, a.term)
  writeCounter(view, 12, a.version)
  view.setUint32(20, a.partitions, true)
  view.setUint32(24, a.workers.length, true)
  let off = HEADER_BYTES
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!
    out[off++] = id.length
    out.set(id, off)
    off += id.length
    view.setFloat64(off, a.workers[i]!.weight, true)
    off += 8
  }
  for (let p = 0; p < a.partitions; p++, off += 2) view.setUint16(off, a.owners[p]!, true)
  view.setUint32(off, crc32(out.subarray(0, off)), true)
  return out
}

export function decodeAssignment(bytes: Uint8Array, options: { maxBytes?: number } = {}): Assignment {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ASSIGNMENT_BYTES
  if (!(bytes instanceof Uint8Array)) throw corrupt('the assignment must be bytes')
  if (bytes.length > maxBytes) throw new AssignmentDecodeError('ERR_ASSIGNMENT_OVERSIZED', `the assignment is ${bytes.length} bytes; the limit is ${maxBytes}`, { details: { size: bytes.length, maxBytes } })
  if (bytes.length < HEADER_BYTES + MIN_WORKER_BYTES + 2 + CRC_BYTES) throw corrupt(`${bytes.length} bytes is shorter than any assignment`)
  if (bytes[0] !== ASSIGNMENT_MAGIC_0 || bytes[1] !== ASSIGNMENT_MAGIC_1) throw corrupt('bad magic')
  if (bytes[2] !== ASSIGNMENT_FORMAT_VERSION) throw corrupt(`unknown format version ${bytes[2]}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = bytes.length - CRC_BYTES
  if (view.getUint32(end, true) !== crc32(bytes.subarray(0, end))) throw corrupt('checksum mismatch')
  if (bytes[3] !== 0) throw corrupt(`unknown flags ${bytes[3]}`)
  const term = readCounter(view, 4, 'term')
  const version = readCounter(view, 12, 'version')
  const partitions = view.getUint32(20, true)
  const count = view.getUint32(24, true)
  if (partitions < 1 || partitions > MAX_PARTITIONS) throw corrupt(`partition count ${partitions} is outside 1..${MAX_PARTITIONS}`)
  if (count < 1 || count > MAX_WORKERS) throw corrupt(`worker count ${count} is outside 1..${MAX_WORKERS}`)
  // Claimed sizes against the bytes present, before allocating anything they size.
  if (HEADER_BYTES + count * MIN_WORKER_BYTES + partitions * 2 > end) throw corrupt('the counts claim more bytes than there are')
  const workers: WorkerSpec[] = []
  let off = HEADER_BYTES
  for (let i = 0; i < count; i++) {
    const len = bytes[off++]!
    if (len === 0 || off + len + 8 > end) throw corrupt(`worker #${i}: bad id length ${len}`)
    let id: string
    try {
      id = UTF8_STRICT.decode(bytes.subarray(off, off + len))
    } catch (err) {
      throw corrupt(`worker #${i}: id is not UTF-8`, err)
    }
    off += len
    workers.push({ id, weight: view.getFloat64(off, true) })
    off += 8
  }
  if (off + partitions * 2 !== end) throw corrupt(`${end - off} bytes of owners for ${partitions} partitions`)
  const owners = new Uint16Array(partitions)
  for (let p = 0; p < partitions; p++, off += 2) owners[p] = view.getUint16(off, true)
  try {
    return createAssignment({ version, term, partitions, workers, owners })
  } catch (err) {
    if (err instanceof AssignmentInputError) throw corrupt(err.message, err)
    throw err
  }
}

function writeCounter(view: DataView, off: number, n: number): void {
  view.setUint32(off, n % TWO_32, true)
  view.setUint32(off + 4, Math.floor(n / TWO_32), true)
}

function readCounter(view: DataView, off: number, field: string): number {
  const hi = view.getUint32(off + 4, true)
  // Above 2^53 - 1 the value is not a safe integer: refuse rather than round a fencing token.
  if (hi >= 0x20_0000) throw corrupt(`${field} is past 2^53 - 1`)
  return hi * TWO_32 + view.getUint32(off, true)
}

function corrupt(message: string, cause?: unknown): AssignmentDecodeError {
  return new AssignmentDecodeError('ERR_ASSIGNMENT_CORRUPT', `corrupt assignment: ${message}`, cause === undefined ? {} : { cause })
}
