/**
 * What `gossamer agent` loads at start (issue 13: an inline agent's RSS budget is 50 MB, and a bare
 * Node 20 is 39 MB of it). Modules a node without a snapshot, a compute task or a metrics endpoint
 * never runs are loaded when first needed, not with the agent: each costs resident memory for its
 * code whether it runs or not (piscina ~1 MB with the rest, the snapshotter's ~110 KB of JS ~2 MB).
 *
 * Walks the static imports (not `import type`, not dynamic `import()`) from the agent verb's module
 * through the sources and checks what is reachable.
 */
import { readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** Every module (relative path) and package reached by static value imports from the entries. */
function staticGraph(...entries: string[]): { files: Set<string>; packages: Set<string>; builtins: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const builtins = new Set<string>()
  const stack = entries.map((e) => resolve(ROOT, e))
  while (stack.length > 0) {
    const file = stack.pop()!
    const rel = relative(ROOT, file)
    if (files.has(rel)) continue
    files.add(rel)
    const src = readFileSync(file, 'utf8')
    // `import x from '...'`, `import { a } from '...'`, `export { a } from '...'`, `import '...'`;
    // a whole-statement `import type` / `export type` loads nothing.
    for (const m of src.matchAll(/^(import|export)\s+(type\s)?(?:[\w*{][^;'"]*?from\s+)?['"]([^'"]+)['"]/gm)) {
      if (m[2] !== undefined) continue
      const spec = m[3]!
      // Relative imports name their file with its extension (STYLE.md); other quoted text is not one.
      if (spec.startsWith('.')) {
        if (/\.(ts|mjs|js)$/.test(spec)) stack.push(resolve(dirname(file), spec))
      }
      else if (spec.startsWith('node:')) builtins.add(spec)
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!)
    }
  }
  return { files, packages, builtins }
}

describe('gossamer agent: what loads at start', () => {
  // The verb's module turns V8's optimizing compiler off first (tiering.ts), then imports these two
  // at once: everything they reach loads with the agent.
  const { files, packages, builtins } = staticGraph('src/agent/cli.ts', 'src/agent/run-agent.ts', 'src/agent/deps.ts')

  it('reaches the node and its actors (the walk itself works)', () => {
    expect(files.has('src/node/create-node.ts')).toBe(true)
    expect(files.has('actors/swim/definition.ts')).toBe(true)
    expect(packages.has('xstate')).toBe(true)
  })

  it('does not load piscina, prom-client, elkjs or the NATS client before they are used', () => {
    for (const p of ['piscina', 'prom-client', 'elkjs', 'nats', '@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/kv']) expect(packages.has(p), p).toBe(false)
  })

  it('does not load re2js (Serf filters) or msgpackr (the election messages) before a filter or coordination needs them', () => {
    // re2js builds its Unicode tables when loaded: +3.6 MB resident on a bare Node 20; msgpackr
    // with its native addon +6.6 MB.
    expect(packages.has('re2js')).toBe(false)
    expect(packages.has('msgpackr')).toBe(false)
  })

  it('does not load node:crypto (only with a key) at start', () => {
    // +1.4 MB resident once loaded (measured on a bare Node 20 with the agent's other built-ins).
    // node:child_process is not checked: Node's own cluster module loads it once a socket binds.
    expect(builtins.has('node:os')).toBe(true)
    expect(builtins.has('node:crypto')).toBe(false)
  })

  it('does not load node:perf_hooks or node:zlib at start', () => {
    // perf_hooks brings eight more built-in modules; zlib about 0.2 MB (src/wire/crc.ts loads it
    // for inputs of 4 KiB and more only). Together with worker_threads, assert and dns (which the
    // agent cannot avoid: pino and dgram load them) 1.6 MB on a bare Node 20.
    expect(builtins.has('node:perf_hooks')).toBe(false)
    expect(builtins.has('node:zlib')).toBe(false)
  })

  it('does not load node:fs/promises or node:module at start', () => {
    // node:fs/promises brings readline, fs.Dir and the file watchers (~0.85 MB resident on a bare
    // Node 20): the agent's tags, keyring and config file reads take it at their first use.
    // node:module loads Node's ES-module loader, which the CommonJS bin otherwise never starts
    // (~1 MB with it): re2js is required through it at the first filter (src/types/lazy-re2.ts).
    // The bundle keeps pino's own use of node:module out (test/cli/bundle.test.ts).
    expect(builtins.has('node:fs/promises')).toBe(false)
    expect(builtins.has('node:module')).toBe(false)
  })

  it('does not load node:worker_threads at start (only a node with an actor in a thread needs it)', () => {
    // The runtime takes Worker from it when it starts a thread (worker-proxy.ts) and uses Node's
    // global MessageChannel; pino's own use is left out by the bundle (test/cli/bundle.test.ts).
    // With node:assert, about 0.2 MB resident on a bare Node 20.
    expect(builtins.has('node:worker_threads')).toBe(false)
  })

  it('does not load the snapshotter unless the node has a snapshot', () => {
    expect([...files].filter((f) => f.startsWith('actors/snapshotter/'))).toEqual([])
  })

  it('does not load the coordination actors (partition detector, election, assignment) unless coordination is on', () => {
    // Their config checks (actors/assignment/config.ts, the strategies' names) load with the node's
    // config validation; the actors themselves (definitions, machines) and the node's surface over
    // them load only with coordination on.
    const coordination = [...files].filter((f) => /^actors\/(partition-detector|election|assignment)\/(definition|machine)\.ts$/.test(f) || /^src\/node\/coordination(-surface)?\.ts$/.test(f))
    expect(coordination).toEqual([])
  })
})
