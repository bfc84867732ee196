/**
 * node scripts/bundle-cli.mjs [--no-minify] [--dist dist]
 *
 * The last step of `npm run build`: bundles the `gossamer` command (src/cli/main.ts and every
 * module it reaches in this package and its dependencies) with esbuild into the bin's own path,
 * dist/src/cli/main.js, plus chunks beside it for the verbs it loads lazily. tsc's output stays as
 * it is for everything else (the library, dist/src/index.js, and the actors' worker entries).
 *
 * Why: an inline agent loaded 337 modules (2.1 MB of JS source), and V8 keeps each module's
 * source string, module record and scope data. Bundled (minified) it loads
 * about 40 chunks; with the lazy loads of the same change, 0.75 MB of source. The bundle alone was
 * about 5 MB less resident memory for an inline agent (scripts/agent-rss.ts, 3 agents: 62.5 ->
 * 57.4 MB).
 *
 * What a bundle would break, and how this keeps it: a module that names a file beside itself
 * (`new URL('./worker.ts', import.meta.url)`: the actors' worker entries, compute tasks, the
 * version verb's package.json) would resolve from the bundle's folder instead of its own. Each
 * `import.meta.url` in this package's sources is rewritten to the URL of that module's tsc output
 * (dist/<same path>.js), so worker threads and compute tasks start from the same files as before.
 * Packages under node_modules keep their own `import.meta.url` uses (none of the bundled ones names
 * a file).
 *
 * CommonJS, in two stages: esbuild splits only ES modules into chunks, so stage 1 bundles as ES
 * modules into a scratch folder (dist/.bundle-esm, removed after) and stage 2 turns each chunk,
 * one file for one file, into CommonJS in the bin's folder (a relative `import` becomes
 * `require('./bundle-...js')`, `import()` a require in a promise, `import.meta.url` the chunk's own
 * URL), the source maps composed back to the .ts sources. Why: an ES-module entry starts Node's
 * ES-module loader (its modules, readline and fs/promises with it: about 2 MB resident on a bare
 * Node 20), which a CommonJS one never loads; a single CommonJS file without chunks would put every
 * lazily loaded verb and feature into the one script an agent compiles (measured 52.5-52.7 MB
 * against 50.8). Each shared module is still in exactly one chunk, so there is one copy of its
 * state and classes. dist/src/cli/package.json (no "type") makes Node read the bin's .js files as
 * CommonJS in a "type": "module" package; tsc's ES-module outputs beside them still load through
 * Node's syntax detection. Bundled CommonJS packages use the chunk's own `require` (msgpackr
 * loads its optional native addon through it).
 */
import { build } from 'esbuild'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { leanPinoPlugin, ownUrlPlugin, parseBuildArgs } from './esbuild-plugins.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function parseArgs(argv) {
  const out = parseBuildArgs(argv, 'bundle-cli')
  return { ...out, outdir: resolve(out.dist, 'src/cli') }
}

/**
 * Stage 2's input is stage 1's ES-module chunks: `import.meta.url` (the rewritten URLs of
 * ownUrlPlugin and packages' own uses) becomes the chunk file's URL from CommonJS's `__filename`.
 */
function commonJsChunkPlugin() {
  return {
    name: 'commonjs-chunk',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, async (a) => {
        const source = await readFile(a.path, 'utf8')
        return { contents: source.replaceAll('import.meta.url', 'require("node:url").pathToFileURL(__filename).href'), loader: 'js' }
      })
    },
  }
}

const args = parseArgs(process.argv.slice(2))
// Stage 1: one ES-module graph split into chunks (esbuild splits only ES modules), written to a
// scratch folder beside the output; stage 2 turns each chunk into CommonJS in the bin's folder.
const esmDir = resolve(args.dist, '.bundle-esm')
await rm(esmDir, { recursive: true, force: true })
await build({
  entryPoints: [resolve(ROOT, 'src/cli/main.ts')],
  outdir: esmDir,
  entryNames: '[name]',
  // Chunks sit beside the entry: every module's rewritten URL is relative to this one folder.
  chunkNames: 'bundle-[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Identifiers too: 0.5 MB less resident for an inline agent (agent-rss, 51.5 -> 51.0 MB); error
  // names are kept by pinErrorNames; stack traces name minified functions (the linked source map
  // maps them back: node --enable-source-maps).
  minifyWhitespace: args.minify,
  minifySyntax: args.minify,
  minifyIdentifiers: args.minify,
  sourcemap: 'linked',
  sourcesContent: true,
  plugins: [ownUrlPlugin(args.dist, args.outdir), leanPinoPlugin()],
  logLevel: 'warning',
  // pinErrorNames also gives a static name to error classes that declare their own (the same one,
  // and the class's own initializer runs last): not a defect.
  logOverride: { 'duplicate-class-member': 'silent' },
})
const chunks = (await readdir(esmDir)).filter((f) => f.endsWith('.js')).map((f) => resolve(esmDir, f))
const result = await build({
  entryPoints: chunks,
  outdir: args.outdir,
  entryNames: '[name]',
  bundle: false,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // A dynamic import() would start Node's ES-module loader: a lazy chunk is require()d instead,
  // still only when its verb or feature first needs it.
  supported: { 'dynamic-import': false },
  // ES modules run in strict mode; as CommonJS each chunk says so itself (esbuild does not always
  // keep the directive when it minifies).
  banner: { js: '"use strict";' },
  minifyWhitespace: args.minify,
  minifySyntax: args.minify,
  // The names CommonJS adds (import_bundle_chunk_X per required chunk, at each use) are local to
  // the chunk: short ones are less source kept in memory.
  minifyIdentifiers: args.minify,
  sourcemap: 'linked',
  sourcesContent: true,
  plugins: [commonJsChunkPlugin()],
  // Stage 1 already reported the warnings of the same code.
  logLevel: 'error',
  metafile: true,
})
await rm(esmDir, { recursive: true, force: true })
// The package is "type": "module", which would make Node read main.js as an ES module. This
// package.json gives dist/src/cli no type: Node 20.19+ then reads a .js file there as CommonJS
// (the bin and its chunks) and still loads tsc's ES-module outputs beside them (decode.js,
// verbs/*.js ...) by detecting their syntax, should anyone import those directly.
await writeFile(resolve(args.outdir, 'package.json'), `${JSON.stringify({ description: 'gossamer bin: CommonJS chunks (scripts/bundle-cli.mjs); no "type" on purpose' }, null, 2)}\n`)
const outputs = Object.entries(result.metafile.outputs).filter(([p]) => p.endsWith('.js'))
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0)
process.stdout.write(`bundle-cli: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB of JS in ${args.outdir}\n`)
