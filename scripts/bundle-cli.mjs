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
import { dirname, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pinErrorNames } from './pin-error-names.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function parseArgs(argv) {
  // --dist: where tsc wrote the build (a test builds into a private folder).
  const out = { minify: true, dist: resolve(ROOT, 'dist') }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-minify') out.minify = false
    else if (argv[i] === '--dist' && argv[i + 1] !== undefined) out.dist = resolve(argv[++i])
    else throw new Error(`bundle-cli: unknown argument ${argv[i]}`)
  }
  return { ...out, outdir: resolve(out.dist, 'src/cli') }
}

/** Rewrites `import.meta.url` in this package's .ts sources to the URL of the module's dist .js. */
function ownUrlPlugin(dist, outdir) {
  return {
    name: 'own-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const rel = relative(ROOT, args.path)
        const source = pinErrorNames(await readFile(args.path, 'utf8'))
        if (rel.startsWith('..') || rel.split(sep).includes('node_modules') || !source.includes('import.meta.url')) return { contents: source, loader: 'ts' }
        const distFile = resolve(dist, rel.replace(/\.ts$/, '.js'))
        const fromBundle = relative(outdir, distFile).split(sep).join('/')
        const own = `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`
        return { contents: source.replaceAll('import.meta.url', own), loader: 'ts' }
      })
    },
  }
}

/**
 * Keeps pino from loading what Gossamer never uses (measured: node:worker_threads and node:assert
 * with their internal modules, about 0.2 MB resident on a bare Node 20; node:module, which loads
 * Node's ES-module loader with it, about 1 MB for an inline agent):
 * - pino/lib/transport.js (pino's transport threads: it requires node:module and `thread-stream`
 *   when pino loads) is src/cli/no-log-transport.ts: a transport asked for (pino.transport or the
 *   `transport` option) fails with ERR_LOG_TRANSPORT_UNAVAILABLE.
 * - sonic-boom's `assert`, called once to check a file descriptor, loads node:assert only when
 *   that check fails (then throws the same AssertionError).
 * - pino/lib/tools.js reads `isMainThread` from node:worker_threads when it loads, and uses it
 *   only for an asynchronous destination (ours are synchronous): it asks for it there instead.
 * A pino or sonic-boom release that changes these lines fails the build here, not at run time.
 */
function leanPinoPlugin() {
  const shim = 'gossamer-lean-pino'
  const fromPino = (a, dir) => a.importer.split(sep).join('/').includes(dir)
  return {
    name: 'lean-pino',
    setup(b) {
      b.onResolve({ filter: /^\.\/(lib\/)?transport$/ }, (a) => (fromPino(a, '/pino/') ? { path: 'transport', namespace: shim } : undefined))
      b.onResolve({ filter: /^assert$/ }, (a) => (fromPino(a, '/sonic-boom/') ? { path: 'assert', namespace: shim } : undefined))
      b.onLoad({ filter: /.*/, namespace: shim }, (a) => {
        if (a.path === 'transport') return { contents: `module.exports = require(${JSON.stringify(resolve(ROOT, 'src/cli/no-log-transport.ts'))}).noLogTransport`, loader: 'js', resolveDir: ROOT }
        return { contents: "module.exports = function assert(value, message) { if (!value) require('node:assert')(value, message) }", loader: 'js', resolveDir: ROOT }
      })
      b.onLoad({ filter: /[\\/]pino[\\/](pino|lib[\\/]tools)\.js$/ }, async (a) => {
        let source = await readFile(a.path, 'utf8')
        const transport = a.path.endsWith('pino.js') ? "require('./lib/transport')" : "require('./transport')"
        if (source.split(transport).length !== 2) throw new Error(`bundle-cli: ${a.path} no longer requires ${transport} once; revisit leanPinoPlugin`)
        if (a.path.endsWith('pino.js')) return { contents: source, loader: 'js' }
        const eager = "const { isMainThread } = require('worker_threads')"
        const use = '!opts.sync && isMainThread)'
        if (!source.includes(eager) || source.split(use).length !== 2 || source.split('isMainThread').length !== 3) throw new Error(`bundle-cli: ${a.path} no longer reads isMainThread as expected; revisit leanPinoPlugin`)
        source = source.replace(eager, "const isMainThread = () => require('worker_threads').isMainThread").replace(use, '!opts.sync && isMainThread())')
        return { contents: source, loader: 'js' }
      })
    },
  }
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
