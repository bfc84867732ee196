/**
 * Command-line helpers the benches and sweeps share (each bench's own flags stay in its file).
 */

/** The word after `flag` in `argv` (`--k 5` gives '5'), or undefined when the flag is absent. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag)
  return i >= 0 ? argv[i + 1] : undefined
}

/** A seed list as the sweeps take it: `1-200`, `3,7,9` or both (`1-5,9`), in the order written. */
export function parseSeeds(s: string): number[] {
  const out: number[] = []
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map(Number)
    if (b === undefined) out.push(a!)
    else for (let i = a!; i <= b; i++) out.push(i)
  }
  return out
}
