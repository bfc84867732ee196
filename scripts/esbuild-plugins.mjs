/**
 * What the build's bundles share: the `gossamer` bin (bundle-cli.mjs) and the actors' worker
 * bundles (bundle-workers.mjs) take the same arguments and use the same esbuild plugins.
 */
import { readFile } from 'node:fs/promises'
import { dirname, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pinErrorNames } from './pin-error-names.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** `[--no-minify] [--dist dist]`: --dist is where tsc wrote the build (a test builds into a private folder). */
export function parseBuildArgs(argv, script) {
  const out = { minify: true, dist: resolve(ROOT, 'dist') }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-minify') out.minify = false
    else if (argv[i] === '--dist' && argv[i + 1] !== undefined) out.dist = resolve(argv[++i])
    else throw new Error(`${script}: unknown argument ${argv[i]}`)
  }
  return out
}

/** Rewrites `import.meta.url` in this package's .ts sources to the URL of the module's dist .js. */
export function ownUrlPlugin(dist, outdir) {
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
export function leanPinoPlugin() {
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
