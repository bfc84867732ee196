/**
 * node scripts/bundle-workers.mjs [--no-minify] [--dist dist]
 *
 * A step of `npm run build`, after bundle-cli.mjs: bundles each actor's thread entry
 * (actors/<name>/worker.ts and every module it reaches) with esbuild into one CommonJS file,
 * dist/actors/<name>/worker.cjs, and the code cache's boot (src/runtime/code-cache/worker-boot.ts)
 * into dist/src/runtime/code-cache/worker-boot.cjs. The runtime starts an actor's thread from its
 * bundle when both exist (src/runtime/entry.ts); tsc's ES-module outputs stay beside them.
 *
 * Why: the boot compiles the bundle through `vm.Script` with V8's code cache (code-cache.ts),
 * which needs one script per thread (Node 20 caches neither ES modules nor `require`). One bundle
 * is also one script to load instead of 70-145 of the package's ES modules (swim's thread the
 * most) and xstate's through Node's ES-module loader per thread: 8-9 MB less RSS for a workers agent.
 *
 * `import.meta.url` in this package's sources is rewritten to the URL of the module's tsc output
 * (ownUrlPlugin, as for the bin): the actors' definitions and compute tasks name files beside them.
 */
import { build } from 'esbuild'
import { readdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { leanPinoPlugin, ownUrlPlugin, parseBuildArgs } from './esbuild-plugins.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** What `import.meta.url` becomes in a CommonJS bundle: the bundle file's own URL (set by the banner). */
const URL_NAME = '__gossamerModuleUrl'


async function bundle(entry, outfile, args) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // import() would start Node's ES-module loader in the thread; every module is in the bundle.
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': URL_NAME },
    banner: { js: `"use strict";var ${URL_NAME}=require("node:url").pathToFileURL(__filename).href;` },
    // As the bin: less source kept in memory per thread; error names are kept by pinErrorNames
    // (ownUrlPlugin), and the linked source map maps stack traces back (node --enable-source-maps).
    minifyWhitespace: args.minify,
    minifySyntax: args.minify,
    minifyIdentifiers: args.minify,
    sourcemap: 'linked',
    sourcesContent: true,
    plugins: [ownUrlPlugin(args.dist, dirname(outfile)), leanPinoPlugin()],
    logLevel: 'warning',
    // pinErrorNames also names error classes that declare their own name (the same one): not a defect.
    logOverride: { 'duplicate-class-member': 'silent' },
    metafile: true,
  })
  return Object.entries(result.metafile.outputs).filter(([p]) => p.endsWith('.cjs')).reduce((n, [, o]) => n + o.bytes, 0)
}

const args = parseBuildArgs(process.argv.slice(2), 'bundle-workers')
const actors = []
for (const name of (await readdir(resolve(ROOT, 'actors'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
  const entry = resolve(ROOT, 'actors', name, 'worker.ts')
  if ((await readdir(resolve(ROOT, 'actors', name))).includes('worker.ts')) actors.push({ name, entry })
}
let bytes = await bundle(resolve(ROOT, 'src/runtime/code-cache/worker-boot.ts'), resolve(args.dist, 'src/runtime/code-cache/worker-boot.cjs'), args)
for (const { name, entry } of actors) bytes += await bundle(entry, resolve(args.dist, 'actors', name, 'worker.cjs'), args)
process.stdout.write(`bundle-workers: ${actors.length} actors and the boot, ${(bytes / 1024).toFixed(0)} KiB of JS\n`)
