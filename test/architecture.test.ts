/**
 * The dependency rules of DESIGN.md and STYLE.md, checked on the import specifiers of the source
 * tree, so a boundary cannot erode silently:
 * - an actor's files other than worker.ts touch no threads, sockets, files, processes or pino;
 * - no machine or pure actor file reads wall-clock time or Math.random (time and randomness come
 *   through the runtime);
 * - an actor imports only another actor's protocol.ts;
 * - src/ and actors/ never import test/, bench/, scripts/ or the simulator (sim/), none of which
 *   is published;
 * - src/runtime, src/wire and src/transport never import actors/;
 * - nothing outside an actor imports its internals, only its public surface (PUBLIC_SURFACE);
 * - only an actor's worker.ts imports its io/ folder;
 * - no import cycles in src/, actors/ or sim/ (type-only imports count: they couple concepts too).
 * Each rule is a function of a file graph (path, import specifiers, code). The real tree is
 * scanned into one, and must hold the files we know are there (a moved or emptied folder fails
 * instead of passing with nothing to check); a planted graph with one violation of each kind
 * proves every rule fires. Violations that exist today in code being rewritten elsewhere are named
 * one by one in KNOWN_VIOLATIONS, so any new one fails, and an entry that no longer holds fails too.
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
      .flatMap((f) => f.imports.filter((s) => s.startsWith('.') && ['test', 'bench', 'scripts', 'sim'].includes(target(f, s).split('/')[0]!)).map((s) => `${f.path} imports ${s}`)),
}

/** The actor a repository path belongs to (`actors/<name>/...`), or undefined. */
const actorOf = (path: string): string | undefined => (path.startsWith('actors/') ? path.split('/')[1] : undefined)

/**
 * An actor's public surface, the files code outside the actor may import: its messages
 * (protocol.ts), how to spawn it (definition.ts), how to build and check its config (config.ts) and
 * its coded errors (errors.ts: callers match on their codes, as they do on ERR_INVALID_CONFIG).
 * Everything else is the actor's own.
 */
const PUBLIC_SURFACE = new Set(['protocol.ts', 'definition.ts', 'config.ts', 'errors.ts'])
/** Benches named otherwise than their actor. */
const BENCH_FOLDER: Record<string, string> = { snapshotter: 'snapshot' }
/**
 * An actor's own tests and benches (test/actors/<name>/, bench/<name>/ or bench/<name>.bench.ts)
 * test and measure its concept files and io/ modules directly, so they count as inside it.
 */
const isOwnTestOrBench = (path: string, actor: string): boolean => {
  const bench = BENCH_FOLDER[actor] ?? actor
  return path.startsWith(`test/actors/${actor}/`) || path.startsWith(`bench/${bench}/`) || path === `bench/${bench}.bench.ts`
}
const isInsideActor = (path: string, actor: string): boolean => path.startsWith(`actors/${actor}/`) || isOwnTestOrBench(path, actor)

/** Relative imports of a file as repository paths (type-only imports included: they couple concepts too). */
const relativeTargets = (f: SourceFile): string[] => [...new Set(f.imports.filter((s) => s.startsWith('.')).map((s) => target(f, s)))]

/** Folders that hold no actor knowledge: the runtime, the wire format and the transports. */
const ACTOR_FREE_LAYERS = ['src/runtime/', 'src/wire/', 'src/transport/']

/** The edges `a -> b` that lie on an import cycle: both ends in one strongly connected component. */
function cycleEdges(files: SourceFile[]): string[] {
  const known = new Set(files.map((f) => f.path))
  const edges = new Map(files.map((f) => [f.path, relativeTargets(f).filter((t) => known.has(t))]))
  // Tarjan's algorithm, iterative (the tree is deep enough to make recursion a worry on a small stack).
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const component = new Map<string, number>()
  let next = 0
  let components = 0
  for (const root of edges.keys()) {
    if (index.has(root)) continue
    const work: Array<{ node: string; i: number }> = [{ node: root, i: 0 }]
    index.set(root, next)
    low.set(root, next++)
    stack.push(root)
    onStack.add(root)
    while (work.length > 0) {
      const top = work[work.length - 1]!
      const out = edges.get(top.node)!
      if (top.i < out.length) {
        const to = out[top.i++]!
        if (!index.has(to)) {
          index.set(to, next)
          low.set(to, next++)
          stack.push(to)
          onStack.add(to)
          work.push({ node: to, i: 0 })
        } else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!))
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!))
      }
      if (low.get(top.node) === index.get(top.node)) {
        for (;;) {
          const n = stack.pop()!
          onStack.delete(n)
          component.set(n, components)
          if (n === top.node) break
        }
        components++
      }
    }
  }
  const out: string[] = []
  for (const [from, tos] of edges) for (const to of tos) if (component.get(from) === component.get(to)) out.push(`${from} -> ${to}`)
  return out.sort()
}

const seamRules = {
  /** src/runtime, src/wire and src/transport import nothing from actors/. */
  actorImportsFromLayers: (files: SourceFile[]): string[] =>
    files
      .filter((f) => ACTOR_FREE_LAYERS.some((l) => f.path.startsWith(l)))
      .flatMap((f) => relativeTargets(f).filter((t) => t.startsWith('actors/')).map((t) => `${f.path} -> ${t}`)),

  /** Code outside an actor imports only its public surface. */
  actorInternalsFromOutside: (files: SourceFile[]): string[] =>
    files.flatMap((f) =>
      relativeTargets(f)
        .filter((t) => {
          const actor = actorOf(t)
          return actor !== undefined && !isInsideActor(f.path, actor) && !(t.split('/').length === 3 && PUBLIC_SURFACE.has(posix.basename(t)))
        })
        .map((t) => `${f.path} -> ${t}`),
    ),

  /** An actor's io/ folder is imported by its worker.ts (and by io/ modules themselves) only. */
  ioFromOutsideWorker: (files: SourceFile[]): string[] =>
    files.flatMap((f) =>
      relativeTargets(f)
        .filter((t) => {
          const parts = t.split('/')
          if (parts[0] !== 'actors' || parts[2] !== 'io') return false
          const actor = parts[1]!
          return f.path !== `actors/${actor}/worker.ts` && !f.path.startsWith(`actors/${actor}/io/`) && !isOwnTestOrBench(f.path, actor)
        })
        .map((t) => `${f.path} -> ${t}`),
    ),

  importCycles: cycleEdges,
}

/**
 * Today's violations of the seam rules, one line each (`file -> import`), all in code that is being
 * rewritten in parallel (issue 11) or that is not the layout's to change. Each rule must report
 * exactly these and nothing new; when an entry stops being a violation the test says so, and the
 * entry goes. Shrink this list; never grow it without saying why next to the line.
 */
const KNOWN_VIOLATIONS: Record<'actorInternalsFromOutside' | 'ioFromOutsideWorker' | 'importCycles', readonly string[]> = {
  actorInternalsFromOutside: [
    // The simulator drives the protocol cores in one thread (SimCluster) and names swim's node
    // states: it follows swim's, gossip-queue's and member-manager's cores as they become step().
    'sim/cluster.ts -> actors/swim/messages.ts',
    'sim/cluster.ts -> actors/swim/node-table.ts',
    'sim/runtime-cluster.ts -> actors/swim/messages.ts',
    'sim/runtime-node.ts -> actors/swim/io/swim-io.ts',
    'sim/scenario-cluster.ts -> actors/swim/messages.ts',
    'sim/scenario.ts -> actors/swim/messages.ts',
    'sim/sim-node.ts -> actors/gossip-queue/queue-set.ts',
    'sim/sim-node.ts -> actors/member-manager/member-layer.ts',
    // serf-events' core behind ports, as member-manager's MemberLayer just above (issue 12).
    'sim/sim-node.ts -> actors/serf-events/event-layer.ts',
    'sim/sim-node.ts -> actors/swim/messages.ts',
    'sim/sim-node.ts -> actors/swim/ports.ts',
    'sim/sim-node.ts -> actors/swim/send-pipeline.ts',
    'sim/sim-node.ts -> actors/swim/swim-node.ts',
    // The package root exports swim's inline transport (swimIo); the CLI replays snapshot files.
    'src/index.ts -> actors/swim/io/swim-io.ts',
    // createNode's inline placement hosts swim and the snapshotter in the caller's thread on the
    // real socket and file system: the implementations their worker.ts hosts them with.
    'src/node/compose.ts -> actors/snapshotter/io/node-platform.ts',
    'src/node/compose.ts -> actors/swim/io/node-net.ts',
    // The same for the coordination actors (issue 14): the mark file, the election's nats backend
    // and the assignment store, as their worker.ts hosts them (provideMarkStore lives in the machine).
    'src/node/coordination.ts -> actors/assignment/io/provide-store.ts',
    'src/node/coordination.ts -> actors/election/io/election-backend.ts',
    'src/node/coordination.ts -> actors/partition-detector/io/mark-file.ts',
    'src/node/coordination.ts -> actors/partition-detector/machine.ts',
    'src/cli/snapshot.ts -> actors/snapshotter/io/node-disk.ts',
    'src/cli/snapshot.ts -> actors/snapshotter/replay.ts',
    // Tests outside an actor's own folder.
    'test/actors/member-manager/push-pull-convergence.test.ts -> actors/swim/io/swim-io.ts',
    'test/actors/member-manager/support/push-pull-peer.ts -> actors/swim/messages.ts',
    'test/actors/member-manager/support/push-pull-peer.ts -> actors/swim/packets.ts',
    // swim's tests build leases with gossip-queue's own queue, so their lease is the real one.
    'test/actors/swim/support/lease-producer.ts -> actors/gossip-queue/transmit-queue.ts',
    'test/actors/swim/support/net-node.ts -> actors/gossip-queue/queue-set.ts',
    'test/actors/swim/support/net-node.ts -> actors/member-manager/member-layer.ts',
    'test/cli/snapshot.test.ts -> actors/snapshotter/checksum.ts',
    'test/cli/snapshot.test.ts -> actors/snapshotter/io/node-disk.ts',
    'test/fixtures/snapshot/kill-child.ts -> actors/snapshotter/io/node-disk.ts',
    'test/fixtures/snapshot/kill-child.ts -> actors/snapshotter/io/node-platform.ts',
    'test/fixtures/snapshot/kill-child.ts -> actors/snapshotter/writer.ts',
    'test/sim/hostile-inbound.property.test.ts -> actors/swim/packets.ts',
    'test/sim/runtime-inline.test.ts -> actors/swim/io/swim-io.ts',
    'test/sim/support/hostile-arbitraries.ts -> actors/swim/acceptance.ts',
    'test/sim/support/hostile-arbitraries.ts -> actors/swim/messages.ts',
    // Soak scripts (an actor's own benches count as inside it).
    'scripts/fuzz-node-inputs.ts -> actors/swim/acceptance.ts',
    'scripts/fuzz-node-inputs.ts -> actors/swim/messages.ts',
    'scripts/fuzz-node-peer.ts -> actors/swim/packets.ts',
    'scripts/fuzz-node-target.ts -> actors/swim/swim-context.ts',
    'scripts/fuzz-snapshot-check.ts -> actors/snapshotter/replay.ts',
    'scripts/fuzz-snapshot-child.ts -> actors/snapshotter/io/node-platform.ts',
    'scripts/fuzz-snapshot.ts -> actors/snapshotter/replay.ts',
  ],
  ioFromOutsideWorker: [
    // The same imports as in actorInternalsFromOutside, seen by this rule.
    'sim/runtime-node.ts -> actors/swim/io/swim-io.ts',
    'src/index.ts -> actors/swim/io/swim-io.ts',
    'src/node/compose.ts -> actors/snapshotter/io/node-platform.ts',
    'src/node/compose.ts -> actors/swim/io/node-net.ts',
    'src/node/coordination.ts -> actors/assignment/io/provide-store.ts',
    'src/node/coordination.ts -> actors/election/io/election-backend.ts',
    'src/node/coordination.ts -> actors/partition-detector/io/mark-file.ts',
    'src/cli/snapshot.ts -> actors/snapshotter/io/node-disk.ts',
    'test/actors/member-manager/push-pull-convergence.test.ts -> actors/swim/io/swim-io.ts',
    'test/cli/snapshot.test.ts -> actors/snapshotter/io/node-disk.ts',
    'test/fixtures/snapshot/kill-child.ts -> actors/snapshotter/io/node-disk.ts',
    'test/fixtures/snapshot/kill-child.ts -> actors/snapshotter/io/node-platform.ts',
    'test/sim/runtime-inline.test.ts -> actors/swim/io/swim-io.ts',
    'scripts/fuzz-snapshot-child.ts -> actors/snapshotter/io/node-platform.ts',
  ],
  importCycles: [
    // The runtime's option and definition types refer to each other.
    'src/runtime/define-actor.ts -> src/runtime/options.ts',
    'src/runtime/define-actor.ts -> src/runtime/types.ts',
    'src/runtime/options.ts -> src/runtime/types.ts',
    'src/runtime/types.ts -> src/runtime/define-actor.ts',
    'src/runtime/types.ts -> src/runtime/options.ts',
    // msgpack's reader skips unknown values, and the skipper reads headers with the reader.
    'src/wire/msgpack/reader.ts -> src/wire/msgpack/skip.ts',
    'src/wire/msgpack/skip.ts -> src/wire/msgpack/reader.ts',
  ],
}

/** What a rule reports beyond its known violations. */
const beyondKnown = (rule: keyof typeof KNOWN_VIOLATIONS, found: string[]): string[] => found.filter((v) => !KNOWN_VIOLATIONS[rule].includes(v))

describe('architecture', () => {
  const src = scan('src')
  const actors = scan('actors')
  const tree = [...src, ...actors]
  const paths = new Set(tree.map((f) => f.path))
  const sim = scan('sim')
  /** Everything that can import an actor: the product, the simulator, tests, benches and scripts. */
  const everything = [...tree, ...sim, ...scan('test'), ...scan('bench'), ...scan('scripts')]
  const importers = new Set(everything.map((f) => f.path))

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

  it('scans the simulator where it lives now, and the tests, benches and scripts that import actors', () => {
    for (const known of ['sim/cluster.ts', 'sim/sim-node.ts', 'test/sim/scenarios.test.ts', 'bench/cluster/run-case.ts', 'scripts/fuzz-node.ts', 'test/actors/swim/probe.test.ts']) {
      expect(importers, known).toContain(known)
    }
    expect([...importers].filter((p) => p.startsWith('src/sim/') || p.startsWith('src/runtime/demo/'))).toEqual([])
    // The rules see imports of actors from each kind of importer.
    expect(everything.find((f) => f.path === 'sim/sim-node.ts')!.imports).toContain('../actors/swim/swim-node.ts')
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

  it('keeps the runtime, the wire format and the transports free of actor imports', () => {
    expect(seamRules.actorImportsFromLayers(everything)).toEqual([])
  })

  it('lets code outside an actor import only its protocol, definition, config and errors', () => {
    expect(beyondKnown('actorInternalsFromOutside', seamRules.actorInternalsFromOutside(everything))).toEqual([])
  })

  it("lets only an actor's worker.ts (and its io/ modules, tests and benches) import its io/ folder", () => {
    expect(beyondKnown('ioFromOutsideWorker', seamRules.ioFromOutsideWorker(everything))).toEqual([])
  })

  it('has no import cycle in src/, actors/ or sim/', () => {
    expect(beyondKnown('importCycles', seamRules.importCycles([...tree, ...sim]))).toEqual([])
  })

  it('names in its known violations only what is still violated (fixed ones leave the list)', () => {
    const found = {
      actorInternalsFromOutside: seamRules.actorInternalsFromOutside(everything),
      ioFromOutsideWorker: seamRules.ioFromOutsideWorker(everything),
      importCycles: seamRules.importCycles([...tree, ...sim]),
    }
    for (const rule of Object.keys(KNOWN_VIOLATIONS) as Array<keyof typeof KNOWN_VIOLATIONS>) {
      expect(KNOWN_VIOLATIONS[rule].filter((v) => !found[rule].includes(v)), rule).toEqual([])
      expect(new Set(KNOWN_VIOLATIONS[rule]).size, `${rule} lists an entry twice`).toBe(KNOWN_VIOLATIONS[rule].length)
    }
  })

  it('fires the seam rules on a planted graph, and only where a rule is broken', () => {
    const planted = [
      // The layers: a runtime file that reaches into an actor, a wire file that imports only src/.
      sourceFile('src/runtime/host.ts', "import type { SwimIn } from '../../actors/swim/protocol.ts'\nimport { x } from './link.ts'\n"),
      sourceFile('src/transport/udp.ts', "export { y } from '../../actors/swim/io/node-net.ts'\n"),
      sourceFile('src/wire/codec.ts', "import { z } from '../types/random.ts'\n"),
      sourceFile('src/runtime/link.ts', "import { host } from './host.ts'\n"),
      // Public surface, internals, io/.
      sourceFile('src/index.ts', "export { swim } from '../actors/swim/definition.ts'\nexport { createSwimConfig } from '../actors/swim/config.ts'\nexport { E } from '../actors/swim/errors.ts'\nexport { SwimNode } from '../actors/swim/swim-node.ts'\n"),
      sourceFile('sim/node.ts', "import { probe } from '../actors/swim/probe.ts'\nimport type { P } from '../actors/swim/protocol.ts'\nimport { deep } from '../actors/swim/strategies/config.ts'\n"),
      sourceFile('test/actors/swim/probe.test.ts', "import { probe } from '../../../actors/swim/probe.ts'\nimport { net } from '../../../actors/swim/io/node-net.ts'\nimport { q } from '../../../actors/gossip-queue/queue-set.ts'\n"),
      sourceFile('bench/snapshot/b.ts', "import { w } from '../../actors/snapshotter/writer.ts'\nimport { d } from '../../actors/snapshotter/io/node-disk.ts'\n"),
      sourceFile('bench/gossip-queue.bench.ts', "import { t } from '../actors/gossip-queue/transmit-queue.ts'\n"),
      sourceFile('actors/swim/worker.ts', "import { net } from './io/node-net.ts'\n"),
      sourceFile('actors/swim/io/node-net.ts', "import { slot } from './slot.ts'\n"),
      sourceFile('actors/swim/io/slot.ts', 'export const slot = 1\n'),
      sourceFile('actors/swim/machine.ts', "import { slot } from './io/slot.ts'\nimport { probe } from './probe.ts'\n"),
      // A cycle of three (one edge type-only), a self-import, and a chain that is not a cycle.
      sourceFile('actors/swim/probe.ts', "import type { Node } from './swim-node.ts'\n"),
      sourceFile('actors/swim/swim-node.ts', "import { table } from './table.ts'\n"),
      sourceFile('actors/swim/table.ts', "import { probe } from './probe.ts'\nimport { m } from './messages.ts'\n"),
      sourceFile('actors/swim/messages.ts', "import { again } from './messages.ts'\n"),
      sourceFile('actors/swim/protocol.ts', "import type { M } from './messages.ts'\n"),
    ]
    expect(seamRules.actorImportsFromLayers(planted)).toEqual(['src/runtime/host.ts -> actors/swim/protocol.ts', 'src/transport/udp.ts -> actors/swim/io/node-net.ts'])
    expect(seamRules.actorInternalsFromOutside(planted)).toEqual([
      'src/transport/udp.ts -> actors/swim/io/node-net.ts',
      'src/index.ts -> actors/swim/swim-node.ts',
      'sim/node.ts -> actors/swim/probe.ts',
      'sim/node.ts -> actors/swim/strategies/config.ts',
      'test/actors/swim/probe.test.ts -> actors/gossip-queue/queue-set.ts',
    ])
    expect(seamRules.ioFromOutsideWorker(planted)).toEqual(['src/transport/udp.ts -> actors/swim/io/node-net.ts', 'actors/swim/machine.ts -> actors/swim/io/slot.ts'])
    expect(seamRules.importCycles(planted)).toEqual([
      'actors/swim/messages.ts -> actors/swim/messages.ts',
      'actors/swim/probe.ts -> actors/swim/swim-node.ts',
      'actors/swim/swim-node.ts -> actors/swim/table.ts',
      'actors/swim/table.ts -> actors/swim/probe.ts',
      'src/runtime/host.ts -> src/runtime/link.ts',
      'src/runtime/link.ts -> src/runtime/host.ts',
    ])
    // The known-violation filter lets through only what it names.
    expect(beyondKnown('importCycles', ['src/wire/msgpack/reader.ts -> src/wire/msgpack/skip.ts', 'sim/a.ts -> sim/b.ts'])).toEqual(['sim/a.ts -> sim/b.ts'])
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
      sourceFile('src/cli/sim.ts', "import { SimCluster } from '../../sim/cluster.ts'\nimport { fuzz } from '../../scripts/fuzz.ts'\n"),
    ]
    expect(rules.ioInPureActorFiles(planted)).toEqual(['actors/alpha/machine.ts imports node:fs', 'actors/alpha/machine.ts imports pino', 'actors/beta/protocol.ts imports node:net'])
    expect(rules.clockInPureActorFiles(planted)).toEqual(['actors/alpha/machine.ts', 'actors/alpha/rand.ts', 'actors/alpha/clock.ts'])
    expect(rules.crossActorImports(planted)).toEqual(['actors/alpha/queue.ts imports actors/beta/machine.ts', 'actors/beta/machine.ts imports actors/alpha/io/disk.ts'])
    expect(rules.testOrBenchFromSource(planted)).toEqual([
      'actors/beta/machine.ts imports ../../bench/heavy.ts',
      'src/runtime/helper.ts imports ../../test/support/h.ts',
      'src/cli/sim.ts imports ../../sim/cluster.ts',
      'src/cli/sim.ts imports ../../scripts/fuzz.ts',
    ])
  })
})
