/**
 * The stable hash behind ring points and rendezvous scores: 64-bit FNV-1a (offset basis
 * 0xcbf29ce484222325, prime 2^40 + 0x1b3) kept as two 32-bit halves, folded to 32 bits through
 * murmur3's fmix32 finalizer. FNV-1a alone barely moves the high bits when only the last byte
 * changes (vnode 7 and vnode 8 of one worker would sit side by side on the ring); the finalizer
 * spreads every input bit over the point. Seeded, so every leader that shares the config's seed
 * computes the same ring. Pure, no allocation per byte.
 */

const UTF8 = new TextEncoder()

/** murmur3's 32-bit finalizer: full avalanche of a 32-bit word. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A running 64-bit FNV-1a state. `fork()` copies it, so a worker id is hashed once for all its vnodes. */
export class Fnv64 {
  hi: number
  lo: number

  /** Plain FNV-1a 64 from its offset basis (the seed-free form, checked against the published vectors). */
  constructor(hi = 0xcbf29ce4, lo = 0x84222325) {
    this.hi = hi >>> 0
    this.lo = lo >>> 0
  }

  /** The offset basis perturbed by a 32-bit seed: another seed, an unrelated ring. */
  static seeded(seed: number): Fnv64 {
    return new Fnv64(0xcbf29ce4 ^ fmix32((seed ^ 0x9e3779b9) >>> 0), 0x84222325 ^ fmix32(seed >>> 0))
  }

  fork(): Fnv64 {
    return new Fnv64(this.hi, this.lo)
  }

  /** Feeds one byte: xor into the low byte, then multiply by the prime modulo 2^64. */
  byte(b: number): this {
    const lo = (this.lo ^ (b & 0xff)) >>> 0
    // lo × 0x1b3 < 2^41: exact in a double; its top bits carry into the high word.
    const product = lo * 0x1b3
    const carry = Math.floor(product / 0x1_0000_0000)
    // × 2^40 moves lo into the high word shifted by 8; hi × 2^40 overflows out of 64 bits.
    this.hi = (Math.imul(this.hi, 0x1b3) + carry + (lo << 8)) >>> 0
    this.lo = product >>> 0
    return this
  }

  bytes(bytes: Uint8Array): this {
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i]!)
    return this
  }

  /** Feeds a 32-bit unsigned integer as four little-endian bytes. */
  u32(n: number): this {
    return this.byte(n).byte(n >>> 8).byte(n >>> 16).byte(n >>> 24)
  }

  /** The state folded to a well-mixed 32-bit value. */
  point(): number {
    return fmix32((this.hi ^ fmix32(this.lo)) >>> 0)
  }
}

/** Separates a worker id from what follows; 0xff never occurs in UTF-8, so no id is a prefix of another's input. */
const ID_END = 0xff
/** Tags a partition's input so it never equals a worker's. */
const PARTITION_TAG = 0xfe

/** The hash state after a worker id (and its terminator), to extend per vnode or per score. */
export function workerHash(id: string, seed: number): Fnv64 {
  return Fnv64.seeded(seed).bytes(UTF8.encode(id)).byte(ID_END)
}

/**
 * The point of `base` extended by the 32-bit little-endian `n`: the same value as
 * `base.fork().u32(n).point()`, without allocating (ring building and partition points run this
 * hundreds of thousands of times per assignment).
 */
export function pointAfterU32(baseHi: number, baseLo: number, n: number): number {
  let hi = baseHi
  let lo = baseLo
  for (let shift = 0; shift < 32; shift += 8) {
    const x = (lo ^ ((n >>> shift) & 0xff)) >>> 0
    const product = x * 0x1b3
    hi = (Math.imul(hi, 0x1b3) + ((product / 0x1_0000_0000) >>> 0) + (x << 8)) >>> 0
    lo = product >>> 0
  }
  return fmix32((hi ^ fmix32(lo)) >>> 0)
}

/** Ring point of vnode `index` of the worker whose id state is `base`. */
export function vnodePoint(base: Fnv64, index: number): number {
  return pointAfterU32(base.hi, base.lo, index)
}

/** The state partition points extend (seed, then the partition tag): compute once per assignment. */
export function partitionBase(seed: number): Fnv64 {
  return Fnv64.seeded(seed).byte(PARTITION_TAG)
}

/** Ring point of partition `p` (pass `partitionBase(seed)` when computing many). */
export function partitionPoint(p: number, seed: number, base: Fnv64 = partitionBase(seed)): number {
  return pointAfterU32(base.hi, base.lo, p)
}

/**
 * A 32-bit pseudo-random draw for the pair (partition, worker), for rendezvous scores: the
 * partition's point mixed with both halves of the worker's 64-bit id hash.
 */
export function pairDraw(partitionPt: number, workerHi: number, workerLo: number): number {
  return fmix32((fmix32((partitionPt ^ workerLo) >>> 0) ^ workerHi) >>> 0)
}
