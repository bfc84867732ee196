/**
 * What the package publishes, checked on the real thing: the build of tsconfig.build.json (compiled
 * without type checks, which are the typecheck's job) into a private folder under .tmp/ (git-ignored,
 * inside the repository so node resolves our node_modules from there), packed by `npm pack` with
 * the repository's own package.json "files", then installed by unpacking the tarball into a
 * node_modules folder and run.
 *
 * The simulator (sim/), the tests, the benches and the scripts are repository tools, not product:
 * none of it may be published, and nothing published may import it. `gossamer demo` is a verb of
 * the installed CLI (a user's first check that a cluster's actor threads start from the installed
 * files), so it (src/demo/) is published and must run from the install.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, posix, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runProcess, type ProcessResult } from './support/run-process.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Runs `cmd args` in `cwd`; killed after `timeoutMs` (code null then). */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<ProcessResult> {
  return runProcess(cmd, args, { cwd, timeoutMs })
}

/**
 * Published paths that must not be there: the repository's tools (a top-level sim/, test/, bench/,
 * scripts/ compiled into dist/), and the places the simulator and the demo used to live.
 */
export function unpublishable(paths: readonly string[]): string[] {
  const old = ['dist/src/sim/', 'dist/src/runtime/demo/', 'dist/src/cli/demo/']
  return paths.filter((p) => /^dist\/(sim|test|bench|scripts)\//.test(p) || old.some((dir) => p.startsWith(dir)))
}

/**
 * Relative module references of the published .js files that point at no published file: static
 * imports and re-exports, `import()`, and worker or task entries `new URL('./x.ts', import.meta.url)`
 * (a .ts entry is loaded as its .js in the build). `.mjs` URLs are the source-mode boot files,
 * which the build never uses.
 */
export function danglingReferences(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = []
  const re = /\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]|new URL\(\s*['"](\.{1,2}\/[^'"]+\.ts)['"]\s*,\s*import\.meta\.url/g
  for (const [path, text] of files) {
    if (!path.endsWith('.js')) continue
    // Doc comments show examples (`new URL('./worker.ts', import.meta.url)`): only code counts.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
    for (let m = re.exec(code); m !== null; m = re.exec(code)) {
      const spec = (m[1] ?? m[2] ?? m[3])!
      const target = posix.normalize(posix.join(posix.dirname(path), spec.replace(/\.ts$/, '.js')))
      if (!files.has(target)) out.push(`${path} -> ${spec}`)
    }
  }
  return out
}

let work = ''
let packed: string[] = []
const published = new Map<string, string>()
let installed = ''

beforeAll(async () => {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true })
  work = mkdtempSync(join(ROOT, '.tmp', 'package-test-'))
  const pkg = join(work, 'pkg')
  mkdirSync(pkg)
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'))
  copyFileSync(join(ROOT, 'README.md'), join(pkg, 'README.md'))
  // The real build config (its "include" comes with it), only the output moved.
  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ extends: join(ROOT, 'tsconfig.build.json'), compilerOptions: { noCheck: true, rootDir: ROOT, outDir: join(pkg, 'dist') } }))
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  // The build took 45 s on a loaded machine; these bounds only guard against a hang.
  const build = await run(process.execPath, [tsc, '-p', join(work, 'tsconfig.json')], ROOT, 240_000)
  if (build.code !== 0) throw new Error(`tsc failed (${build.code}):\n${build.stdout}${build.stderr}`)
  const pack = await run('npm', ['pack', '--json', '--ignore-scripts'], pkg, 60_000)
  if (pack.code !== 0) throw new Error(`npm pack failed (${pack.code}):\n${pack.stderr}`)
  const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  packed = info!.files.map((f) => f.path).sort()
  // Installed as npm would lay it out: node_modules/gossamer holds the tarball's package/ folder.
  installed = join(work, 'app', 'node_modules', 'gossamer')
  mkdirSync(installed, { recursive: true })
  // The app's own package.json: without it, the nearest one is the repository's ("gossamer"),
  // and `import('gossamer')` would resolve to the repository's dist/ by self-reference.
  writeFileSync(join(work, 'app', 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  const untar = await run('tar', ['-xzf', join(pkg, info!.filename), '-C', installed, '--strip-components=1'], work, 60_000)
  if (untar.code !== 0) throw new Error(`tar failed (${untar.code}):\n${untar.stderr}`)
  for (const p of packed) if (p.endsWith('.js')) published.set(p, readFileSync(join(installed, p), 'utf8'))
  for (const p of packed) if (!published.has(p)) published.set(p, '')
}, 330_000)

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true })
})

describe('the published package', () => {
  it('holds the entry points: the library, its types, the bin, every actor worker, the demo', () => {
    for (const p of [
      'package.json',
      'README.md',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli/main.js',
      'dist/src/runtime/simulated-clock.js',
      'dist/src/cli/demo.js',
      'dist/src/demo/run-demo.js',
      'dist/actors/swim/worker.js',
      'dist/actors/gossip-queue/worker.js',
      'dist/actors/member-manager/worker.js',
      'dist/actors/snapshotter/worker.js',
    ]) {
      expect(packed, p).toContain(p)
    }
  })

  it('publishes no simulator, test, bench or script, and nothing under the old sim/, runtime/demo/ and cli/demo/ paths', () => {
    expect(unpublishable(packed)).toEqual([])
    expect(packed.filter((p) => /(^|\/)(sim-|scenario|runtime-cluster)/.test(p))).toEqual([])
  })

  it('has no published module that imports a file left out of the package', () => {
    expect(danglingReferences(published)).toEqual([])
  })

  it('ships source maps that carry their own sources (the .ts files are not published)', () => {
    const maps = packed.filter((p) => p.endsWith('.js.map'))
    expect(maps.length).toBeGreaterThan(0)
    const bare = maps.filter((p) => {
      const map = JSON.parse(readFileSync(join(installed, p), 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> }
      return map.sourcesContent?.length !== map.sources.length || map.sourcesContent.some((c) => typeof c !== 'string' || c === '')
    })
    expect(bare).toEqual([])
  })

  it("runs `gossamer demo` from the install: every node's worker threads start from the published files", async () => {
    // Three nodes, the short form: 10-20 s on a loaded machine; the bound only guards against a hang.
    const r = await run(process.execPath, [join(installed, 'dist/src/cli/main.js'), 'demo', '--fast', '--nodes', '3'], join(work, 'app'), 150_000)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/\] join +node-2\.\.node-3 started and joined node-1 in .*: all 3 nodes see 3 alive members/)
    expect(r.stdout).toMatch(/\] done +script complete/)
    expect(r.stdout).toMatch(/^stop: 2 nodes stopped in .*, every worker thread ended; snapshot folder removed$/m)
  }, 160_000)

  it('loads as `gossamer` from an app next to it, with the one simulated clock exported', async () => {
    const probe = "const g = await import('gossamer'); const c = new g.SimulatedClock(); c.setTimeout(() => {}, 5); c.advanceSync(5); console.log(typeof g.ActorSystem, c.fired)"
    const r = await run(process.execPath, ['--input-type=module', '-e', probe], join(work, 'app'), 30_000)
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toBe('function 1')
  })

  it('its checks fire on a planted package: the simulator or the old demo published, an import of a missing file', () => {
    expect(unpublishable(['dist/src/index.js', 'dist/sim/cluster.js', 'dist/src/sim/sim-clock.js', 'dist/src/runtime/demo/ping.worker.js', 'dist/test/x.test.js', 'dist/src/cli/demo/ping.worker.js', 'dist/src/cli/demo.js', 'dist/src/demo/script.js'])).toEqual([
      'dist/sim/cluster.js',
      'dist/src/sim/sim-clock.js',
      'dist/src/runtime/demo/ping.worker.js',
      'dist/test/x.test.js',
      'dist/src/cli/demo/ping.worker.js',
    ])
    const files = new Map([
      ['dist/src/a.js', "import { b } from './b.js'\nexport * from '../../sim/cluster.js'\nconst w = new URL('./w.ts', import.meta.url)\nconst boot = new URL('./boot.mjs', import.meta.url)\n"],
      ['dist/src/b.js', "/** e.g. `new URL('./doc-example.ts', import.meta.url)` */\nconst later = () => import('./gone.js') // not '../x.js'\nexport const b = 1\n"],
      ['dist/src/w.js', "import '../actors/x/worker.js'\n"],
      ['dist/src/a.d.ts', "import type { Z } from './missing.js'\n"],
    ])
    expect(danglingReferences(files)).toEqual(['dist/src/a.js -> ../../sim/cluster.js', 'dist/src/b.js -> ./gone.js', 'dist/src/w.js -> ../actors/x/worker.js'])
  })
})
