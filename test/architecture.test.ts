/**
 * The dependency rules of DESIGN.md and STYLE.md, checked on the import specifiers of the source
 * tree, so a boundary cannot erode silently:
 * - an actor's files other than worker.ts touch no threads, sockets, files, processes or pino;
 * - no machine or pure actor file reads wall-clock time or Math.random (time and randomness come
 *   through the runtime);
 * - an actor imports only another actor's protocol.ts;
 * - src/ and actors/ never import test/ or bench/.
 * Each rule is a function of a file graph (path, import specifiers, code). The real tree is
 * scanned into one, and must hold the files we know are there (a moved or emptied folder fails
 * instead of passing with nothing to check); a planted graph with one violation of each kind
 * proves every rule fires.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, posix, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const IO_MODULES = /^(node:)?(fs|fs\/promises|worker_threads|net|dgram|child_process|cluster|http|https|tls)$|^pino($|\/)/
const CLOCK_OR_RANDOM = /\bDate\.now\s*\(|\bMath\.random\s*\(|\bperformance\.now\s*\(|new Date\s*\(\s*\)/

/** One source file: its path from the repository root ('/'-separated), imports and code. */
interface SourceFile {
  path: string
  imports: string[]
  /** The text with comments removed, so a comment that names Date.now is not a violation. */
  code: string
}

/** Specifiers of `import … from`, `export … from`, `import '…'` and `import('…')`. */
function importsOf(text: string): string[] {
  const specs: string[] = []
  const re = /(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g
  for (let m = re.exec(text); m !== null; m = re.exec(text)) specs.push((m[1] ?? m[2] ?? m[3])!)
  return specs
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
}

function sourceFile(path: string, text: string): SourceFile {
  return { path, imports: importsOf(text), code: withoutComments(text) }
}

/** Every .ts file (not .d.ts) under ROOT/top. Throws if the folder is missing: nothing to check is a failure. */
function scan(top: string): SourceFile[] {
  const out: SourceFile[] = []
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(ROOT, rel))) {
      const child = posix.join(rel, name)
      if (statSync(join(ROOT, child)).isDirectory()) walk(child)
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(sourceFile(child, readFileSync(join(ROOT, child), 'utf8')))
    }
  }
  walk(top)
  return out
}

/** The repository path a relative specifier of `file` points at. */
const target = (file: SourceFile, spec: string): string => posix.normalize(posix.join(posix.dirname(file.path), spec))
const isActorFile = (f: SourceFile): boolean => f.path.startsWith('actors/')
/** Actor files other than worker.ts and the io/ folder: no I/O, no clock, no randomness. */
const isPureActorFile = (f: SourceFile): boolean => isActorFile(f) && posix.basename(f.path) !== 'worker.ts' && !f.path.split('/').includes('io')

const rules = {
  ioInPureActorFiles: (files: SourceFile[]): string[] =>
    files.filter(isPureActorFile).flatMap((f) => f.imports.filter((s) => IO_MODULES.test(s)).map((s) => `${f.path} imports ${s}`)),

  clockInPureActorFiles: (files: SourceFile[]): string[] => files.filter((f) => isPureActorFile(f) && CLOCK_OR_RANDOM.test(f.code)).map((f) => f.path),

  crossActorImports: (files: SourceFile[]): string[] =>
    files.filter(isActorFile).flatMap((f) => {
      const own = f.path.split('/')[1]
      return f.imports
        .filter((s) => s.startsWith('.'))
        .map((s) => target(f, s))
        .filter((t) => {
          const parts = t.split('/')
          return parts[0] === 'actors' && parts[1] !== own && parts[parts.length - 1] !== 'protocol.ts'
        })
        .map((t) => `${f.path} imports ${t}`)
    }),

  testOrBenchFromSource: (files: SourceFile[]): string[] =>
    files
      .filter((f) => f.path.startsWith('src/') || isActorFile(f))
      .flatMap((f) => f.imports.filter((s) => s.startsWith('.') && ['test', 'bench'].includes(target(f, s).split('/')[0]!)).map((s) => `${f.path} imports ${s}`)),
}

describe('architecture', () => {
  const src = scan('src')
  const actors = scan('actors')
  const tree = [...src, ...actors]
  const paths = new Set(tree.map((f) => f.path))

  it('scans the tree it means to: the known files of src/ and of every actor, each in its class', () => {
    for (const known of ['src/runtime/actor-system.ts', 'src/runtime/simulated-clock.ts', 'src/transport/net-transport.ts', 'src/wire/memberlist.ts']) {
      expect(paths, known).toContain(known)
    }
    for (const actor of ['gossip-queue', 'member-manager', 'snapshotter', 'swim']) {
      for (const file of ['machine.ts', 'protocol.ts', 'worker.ts', 'definition.ts']) expect(paths, `actors/${actor}/${file}`).toContain(`actors/${actor}/${file}`)
    }
    const pure = new Set(actors.filter(isPureActorFile).map((f) => f.path))
    expect(pure).toContain('actors/swim/machine.ts')
    expect(pure).toContain('actors/snapshotter/writer.ts')
    for (const notPure of ['actors/swim/worker.ts', 'actors/swim/io/node-net.ts', 'actors/snapshotter/io/node-disk.ts']) {
      expect(paths, notPure).toContain(notPure)
      expect(pure, notPure).not.toContain(notPure)
    }
    // The rules read something: the known machine imports its protocol and xstate.
    expect(tree.find((f) => f.path === 'actors/swim/machine.ts')!.imports).toContain('xstate')
  })

  it('refuses to scan a folder that is not there', () => {
    expect(() => scan('no-such-folder')).toThrow(/ENOENT/)
  })

  it('keeps actor files other than worker.ts (and their io/ folder) free of I/O modules', () => {
    expect(rules.ioInPureActorFiles(tree)).toEqual([])
  })

  it('keeps wall-clock time and Math.random out of actor logic', () => {
    expect(rules.clockInPureActorFiles(tree)).toEqual([])
  })

  it('lets an actor import only the protocol.ts of another actor', () => {
    expect(rules.crossActorImports(tree)).toEqual([])
  })

  it('never imports test/ or bench/ from src/ or actors/', () => {
    expect(rules.testOrBenchFromSource(tree)).toEqual([])
  })

  it('fires every rule on a planted graph, and only where the rule is broken', () => {
    const planted = [
      sourceFile('actors/alpha/machine.ts', "import { readFileSync } from 'node:fs'\nimport pino from 'pino'\nexport const at = Date.now()\n"),
      sourceFile('actors/alpha/rand.ts', "// Date.now() in a comment is fine\nexport const roll = () => Math.random()\n"),
      sourceFile('actors/alpha/clock.ts', 'export const t = () => performance.now()\nexport const d = () => new Date()\n'),
      sourceFile('actors/alpha/queue.ts', "import { x } from '../beta/machine.ts'\nimport type { P } from '../beta/protocol.ts'\nimport { y } from './machine.ts'\n"),
      sourceFile('actors/alpha/worker.ts', "import { parentPort } from 'node:worker_threads'\nconst at = Date.now()\n"),
      sourceFile('actors/alpha/io/disk.ts', "import { open } from 'node:fs/promises'\nimport { spawn } from 'child_process'\n"),
      sourceFile('actors/beta/protocol.ts', "import 'node:net'\nexport type P = { type: 'p' }\n"),
      sourceFile('actors/beta/machine.ts', "export const later = () => import('../../bench/heavy.ts')\nexport * from '../alpha/io/disk.ts'\n"),
      sourceFile('src/runtime/helper.ts', "import { h } from '../../test/support/h.ts'\nimport { s } from '../wire/index.ts'\n"),
    ]
    expect(rules.ioInPureActorFiles(planted)).toEqual(['actors/alpha/machine.ts imports node:fs', 'actors/alpha/machine.ts imports pino', 'actors/beta/protocol.ts imports node:net'])
    expect(rules.clockInPureActorFiles(planted)).toEqual(['actors/alpha/machine.ts', 'actors/alpha/rand.ts', 'actors/alpha/clock.ts'])
    expect(rules.crossActorImports(planted)).toEqual(['actors/alpha/queue.ts imports actors/beta/machine.ts', 'actors/beta/machine.ts imports actors/alpha/io/disk.ts'])
    expect(rules.testOrBenchFromSource(planted)).toEqual(['actors/beta/machine.ts imports ../../bench/heavy.ts', 'src/runtime/helper.ts imports ../../test/support/h.ts'])
  })
})
