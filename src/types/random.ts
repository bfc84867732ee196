/**
 * Seeded randomness for actors. Machines never call Math.random: they get a RandomSource from the
 * runtime, so a simulation with the same seed makes the same choices. The generator is
 * xoshiro128** (32-bit state words, period 2^128 - 1), seeded through splitmix32 so that nearby
 * seeds give unrelated streams.
 */
export interface RandomSource {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [0, n); n must be a positive integer. */
  int(n: number): number
  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[]
  /** An independent stream derived from this one and `label` (e.g. one per actor). */
  fork(label: string): RandomSource
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** FNV-1a hash of a label, to derive per-actor seeds that do not depend on spawn order. */
export function hashLabel(label: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0
  return h >>> 0
}

export function createSeededRandom(seed: number): RandomSource {
  const init = splitmix32(seed)
  let a = init()
  let b = init()
  let c = init()
  let d = init()
  if ((a | b | c | d) === 0) a = 1 // the all-zero state is a fixed point
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0
    const t = (b << 9) >>> 0
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c = (c ^ t) >>> 0
    d = rotl(d >>> 0, 11)
    return result
  }
  const source: RandomSource = {
    next: () => nextU32() / 0x1_0000_0000,
    int: (n) => Math.floor((nextU32() / 0x1_0000_0000) * n),
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = source.int(i + 1)
        const tmp = items[i]!
        items[i] = items[j]!
        items[j] = tmp
      }
      return items
    },
    fork: (label) => createSeededRandom((nextU32() ^ hashLabel(label)) >>> 0),
  }
  return source
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
