/**
 * swim's files import each other without cycles (type-only imports included): the concept files
 * (probe, push/pull, suspicion refresh) declare the narrow host they need instead of importing the
 * node that holds them. The check runs on a planted cycle first, so it can fail.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const SWIM = join(ROOT, 'actors/swim')

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
}

/** Relative imports and re-exports of a source text (static, `import type` and dynamic alike). */
function importsOf(source: string): string[] {
  const out: string[] = []
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) out.push(m[1]!)
  for (const m of source.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) out.push(m[1]!)
  return out
}

/** The import graph of `files` (edges only between the files given). */
function graphOf(files: string[]): Map<string, string[]> {
  const set = new Set(files)
  return new Map(files.map((f) => [f, importsOf(readFileSync(f, 'utf8')).map((spec) => resolve(dirname(f), spec)).filter((t) => set.has(t))]))
}

/** Every cycle's path (first node repeated at the end), found by depth-first search. */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (n: string): void => {
    state.set(n, 'open')
    stack.push(n)
    for (const next of graph.get(n) ?? []) {
      const s = state.get(next)
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (s === undefined) visit(next)
    }
    stack.pop()
    state.set(n, 'done')
  }
  for (const n of graph.keys()) if (!state.has(n)) visit(n)
  return cycles
}

describe("swim's import graph", () => {
  it('the check finds a planted cycle, type-only imports included', () => {
    const planted = new Map([
      ['node.ts', ['probe.ts', 'table.ts']],
      ['probe.ts', ['table.ts', 'node.ts']],
      ['table.ts', []],
    ])
    expect(cyclesOf(planted)).toEqual([['node.ts', 'probe.ts', 'node.ts']])
    expect(importsOf("import type { SwimNode } from './swim-node.ts'\nexport { x } from './x.ts'")).toEqual(['./swim-node.ts', './x.ts'])
  })

  it('has no cycle, and no concept file imports the node', () => {
    const graph = graphOf(filesUnder(SWIM))
    expect(graph.size).toBeGreaterThan(20)
    const named = cyclesOf(graph).map((c) => c.map((f) => relative(ROOT, f)).join(' -> '))
    expect(named).toEqual([])
    for (const concept of ['probe.ts', 'push-pull.ts', 'suspicion-refresh.ts']) {
      expect(graph.get(join(SWIM, concept))).not.toContain(join(SWIM, 'swim-node.ts'))
    }
  })
})
