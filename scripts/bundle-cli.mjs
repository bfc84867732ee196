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
 * a file); CommonJS packages get a `require` from createRequire (msgpackr loads its optional
 * native addon through it).
 */
import { build } from 'esbuild'
import { readFile } from 'node:fs/promises'
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
 * with their internal modules, about 0.2 MB resident on a bare Node 20):
 * - `thread-stream` (pino's transport threads, required by pino/lib/transport.js when pino loads)
 *   is src/cli/no-log-transport.ts: a transport asked for fails with ERR_LOG_TRANSPORT_UNAVAILABLE.
 * - sonic-boom's `assert`, called once to check a file descriptor, loads node:assert only when
 *   that check fails (then throws the same AssertionError).
 * - pino/lib/tools.js reads `isMainThread` from node:worker_threads when it loads, and uses it
 *   only for an asynchronous destination (ours are synchronous): it asks for it there instead.
 * A pino or sonic-boom release that changes these lines fails the build here, not at run time.
 */
function leanPinoPlugin() {
  const shim = 'gossamer-lean-pino'
  return {
    name: 'lean-pino',
    setup(b) {
      b.onResolve({ filter: /^thread-stream$/ }, (a) => (a.importer.split(sep).join('/').includes('/pino/lib/') ? { path: 'thread-stream', namespace: shim } : undefined))
      b.onResolve({ filter: /^assert$/ }, (a) => (a.importer.split(sep).join('/').includes('/sonic-boom/') ? { path: 'assert', namespace: shim } : undefined))
      b.onLoad({ filter: /.*/, namespace: shim }, (a) => {
        if (a.path === 'thread-stream') return { contents: `module.exports = require(${JSON.stringify(resolve(ROOT, 'src/cli/no-log-transport.ts'))}).NoLogTransport`, loader: 'js', resolveDir: ROOT }
        return { contents: "module.exports = function assert(value, message) { if (!value) require('node:assert')(value, message) }", loader: 'js', resolveDir: ROOT }
      })
      b.onLoad({ filter: /[\\/]pino[\\/]lib[\\/]tools\.js$/ }, async (a) => {
        const source = await readFile(a.path, 'utf8')
        const eager = "const { isMainThread } = require('worker_threads')"
        const use = '!opts.sync && isMainThread)'
        if (!source.includes(eager) || source.split(use).length !== 2 || source.split('isMainThread').length !== 3) throw new Error(`bundle-cli: ${a.path} no longer reads isMainThread as expected; revisit leanPinoPlugin`)
        return { contents: source.replace(eager, "const isMainThread = () => require('worker_threads').isMainThread").replace(use, '!opts.sync && isMainThread())'), loader: 'js' }
      })
    },
  }
}

const args = parseArgs(process.argv.slice(2))
const result = await build({
  entryPoints: [resolve(ROOT, 'src/cli/main.ts')],
  outdir: args.outdir,
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
  banner: { js: "import { createRequire as __gossamerRequire } from 'node:module'; const require = __gossamerRequire(import.meta.url);" },
  plugins: [ownUrlPlugin(args.dist, args.outdir), leanPinoPlugin()],
  logLevel: 'warning',
  metafile: true,
})
const outputs = Object.entries(result.metafile.outputs).filter(([p]) => p.endsWith('.js'))
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0)
process.stdout.write(`bundle-cli: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB of JS in ${args.outdir}\n`)
