/**
 * "Did you mean …?" for a misspelled config field: the known name nearest to the given one by edit
 * distance (optimal string alignment: insertions, deletions, substitutions and swaps of two
 * neighbours, case ignored), if it is near enough to be a slip rather than another word.
 */

/** Longest name compared (ours are under 40 characters); longer input gets no suggestion. */
const MAX_NAME = 64

/**
 * The closest of `known` to `name`, or undefined when none is within the allowed distance: 1 edit
 * for names up to 4 characters, 2 up to 8, 3 beyond (so `probeIntervall` finds `probeIntervalMs`,
 * and `port` does not become `path`). Ties go to the earlier entry of `known`.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME) return undefined
  const allowed = name.length <= 4 ? 1 : name.length <= 8 ? 2 : 3
  const lower = name.toLowerCase()
  let best: string | undefined
  let bestDistance = allowed + 1
  for (const candidate of known) {
    if (Math.abs(candidate.length - name.length) >= bestDistance) continue
    const d = editDistance(lower, candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

/** Optimal string alignment distance between a and b (Damerau-Levenshtein without re-edits). */
export function editDistance(a: string, b: string): number {
  // Three rows suffice: the swap rule looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0)
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  let row = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1)
      row[j] = d
    }
    ;[before, prev, row] = [prev, row, before]
  }
  return prev[b.length]!
}
