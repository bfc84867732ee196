/**
 * The record stream of the snapshot soak (scripts/fuzz-snapshot.ts), with random access: record
 * `i` of run `r` is a pure function of (seed, r, i), so the child that sends it and the parent that
 * checks the replayed file agree without storing the stream.
 *
 * Record i sets member `n<m>` (m from a hash, over `members` names) alive at the address
 * `a.b.c.d:r` whose four octets are i, or not alive, or moves the member clock to
 * r·2^32 + i. An address names the record that wrote it, so the checker can tell which record a
 * replayed member comes from.
 */

export type SoakRecord =
  | { kind: 'member-alive'; name: string; addr: Uint8Array; port: number }
  | { kind: 'member-not-alive'; name: string }
  | { kind: 'clock'; ltime: bigint }

/** A 32-bit mix of three words (murmur3's finalizer over a combination). */
export function mix(a: number, b: number, c: number): number {
  let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d)) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

export interface StreamShape {
  seed: number
  run: number
  members: number
}

/** What record i does, as the checker needs it: kind and member index (no allocation). */
export function kindOf(s: StreamShape, i: number): 'alive' | 'dead' | 'clock' {
  const k = mix(s.seed, s.run, i) % 100
  return k < 85 ? 'alive' : k < 95 ? 'dead' : 'clock'
}

export function memberOf(s: StreamShape, i: number): number {
  return mix(s.seed ^ 0x5bd1e995, s.run, i) % s.members
}

export const clockOf = (s: StreamShape, i: number): bigint => (BigInt(s.run) << 32n) + BigInt(i)

/** The address text record i writes (Go's TCPAddr form, as the snapshotter writes it). */
export const addrText = (s: StreamShape, i: number): string => `${(i >>> 24) & 255}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}:${s.run}`

/** The record index an address of this run names, or -1 for an address of another run. */
export function indexOfAddr(s: StreamShape, addr: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+):(\d+)$/.exec(addr)
  if (m === null || Number(m[5]) !== s.run) return -1
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0
}

/** Record i as the message the child sends (one entry of a `snapshot.records`). */
export function recordOf(s: StreamShape, i: number): SoakRecord {
  const kind = kindOf(s, i)
  if (kind === 'clock') return { kind: 'clock', ltime: clockOf(s, i) }
  const name = `n${memberOf(s, i)}`
  if (kind === 'dead') return { kind: 'member-not-alive', name }
  return { kind: 'member-alive', name, addr: Uint8Array.of((i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255), port: s.run }
}

/** Burst sizes: log-uniform in [1000, maxBurst], from (seed, run, burst number). */
export function burstSize(s: StreamShape, burst: number, maxBurst: number): number {
  const u = mix(s.seed ^ 0x27d4eb2f, s.run, burst) / 2 ** 32
  const lo = Math.log(1000)
  const hi = Math.log(Math.max(1000, maxBurst))
  return Math.round(Math.exp(lo + u * (hi - lo)))
}
