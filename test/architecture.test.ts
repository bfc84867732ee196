/**
 * The dependency rules of DESIGN.md and STYLE.md, checked on the import specifiers of the source
 * tree, so a boundary cannot erode silently:
 * - an actor's files other than worker.ts touch no threads, sockets, files, processes or pino;
 * - no machine or pure actor file reads wall-clock time or Math.random (time and randomness come
 *   through the runtime);
 * - an actor imports only another actor's protocol.ts;
 * - src/ and actors/ never import test/ or bench/.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative, resolve, dirname, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const IO_MODULES = /^(node:)?(fs|fs\/promises|worker_threads|net|dgram|child_process|cluster|http|https|tls)$|^pino($|\/)/

function walk(dir: string): string[] {
  let out: string[] = []
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of names) {
    const full = join(dir, name)
    if (statSync(full).isDirectory()) out = out.concat(walk(full))
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full)
  }
  return out
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs: string[] = []
  const re = /(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g
  for (let m = re.exec(text); m !== null; m = re.exec(text)) specs.push((m[1] ?? m[2])!)
  return specs
}

/** Code text with comments removed, so a comment that names Date.now is not a violation. */
function codeOf(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
}

const actorFiles = walk(join(ROOT, 'actors'))
const pureActorFiles = actorFiles.filter((f) => !f.endsWith(`${sep}worker.ts`) && !/[\\/]io[\\/]/.test(f))

describe('architecture', () => {
  it('finds the source tree', () => {
    expect(walk(join(ROOT, 'src')).length).toBeGreaterThan(0)
  })

  it('keeps actor files other than worker.ts (and their io/ folder) free of I/O modules', () => {
    const bad = pureActorFiles.flatMap((f) =>
      importsOf(f)
        .filter((s) => IO_MODULES.test(s))
        .map((s) => `${relative(ROOT, f)} imports ${s}`),
    )
    expect(bad).toEqual([])
  })

  it('keeps wall-clock time and Math.random out of actor logic', () => {
    const bad = pureActorFiles
      .filter((f) => /\bDate\.now\s*\(|\bMath\.random\s*\(|\bperformance\.now\s*\(|new Date\s*\(\s*\)/.test(codeOf(f)))
      .map((f) => relative(ROOT, f))
    expect(bad).toEqual([])
  })

  it('lets an actor import only the protocol.ts of another actor', () => {
    const bad: string[] = []
    for (const f of actorFiles) {
      const own = relative(join(ROOT, 'actors'), f).split(sep)[0]
      for (const s of importsOf(f)) {
        if (!s.startsWith('.')) continue
        const target = relative(ROOT, resolve(dirname(f), s))
        const parts = target.split(sep)
        if (parts[0] === 'actors' && parts[1] !== own && parts[parts.length - 1] !== 'protocol.ts') {
          bad.push(`${relative(ROOT, f)} imports ${target}`)
        }
      }
    }
    expect(bad).toEqual([])
  })

  it('never imports test/ or bench/ from src/ or actors/', () => {
    const bad: string[] = []
    for (const f of [...walk(join(ROOT, 'src')), ...actorFiles]) {
      for (const s of importsOf(f)) {
        if (!s.startsWith('.')) continue
        const top = relative(ROOT, resolve(dirname(f), s)).split(sep)[0]
        if (top === 'test' || top === 'bench') bad.push(`${relative(ROOT, f)} imports ${s}`)
      }
    }
    expect(bad).toEqual([])
  })
})
