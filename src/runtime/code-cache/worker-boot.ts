/**
 * Thread entry of an actor built as one bundle (dist/actors/<name>/worker.cjs, scripts/bundle-workers.mjs):
 * compiles the bundle through `vm.Script` with its code cache (code-cache.ts) and runs it as the
 * CommonJS module it is. Built by the same script into dist/src/runtime/code-cache/worker-boot.cjs;
 * entry.ts starts it when the bundle exists.
 *
 * Why not `require(bundle)`: Node 20's CommonJS loader takes no cached data, and the cache has to
 * be made from the very script object V8 compiled (`script.createCachedData()` after the actor ran,
 * so that it holds the functions compiled since).
 *
 * The workerData (frames.ts WorkerBoot) names the bundle (`__bundle`) and, when the system has a
 * code cache folder, the folder (`__codeCache`). The actor's host attaches its logger to the cache
 * (attachCodeCacheLog) so what happened to it reaches the thread's log.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname } from 'node:path'
import { Script } from 'node:vm'
import { workerData } from 'node:worker_threads'
import { CodeCache } from './code-cache.ts'
import { CODE_CACHE_SLOT } from './slot.ts'

// The wrapper is on a line of its own, and lineOffset -1 keeps the bundle's own line numbers (its source map's).
const HEAD = '(function (exports, require, module, __filename, __dirname) {\n'
const TAIL = '\n})'

const boot = workerData as { __bundle?: unknown; __codeCache?: unknown }
if (typeof boot?.__bundle !== 'string') throw new Error('worker-boot: workerData.__bundle must name the actor bundle to run')
const file = boot.__bundle
const source = readFileSync(file, 'utf8')
// dist/actors/<name>/worker.cjs: the cache file is named after the actor's folder.
const cache = typeof boot.__codeCache === 'string' ? new CodeCache(boot.__codeCache, basename(dirname(file)), source) : undefined
const cachedData = cache?.read()
const script = new Script(HEAD + source + TAIL, { filename: file, lineOffset: -1, ...(cachedData === undefined ? {} : { cachedData }) })
if (cache !== undefined) {
  cache.compiled(script.cachedDataRejected)
  ;(globalThis as Record<symbol, unknown>)[CODE_CACHE_SLOT] = cache
}
const module = { exports: {} as unknown }
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void
run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file))
// After the bundle ran (the actor's host has started): the offers come from this script object.
cache?.schedule(script)
