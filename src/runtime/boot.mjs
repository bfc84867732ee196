// Source-mode worker entry. Node 20 has no type stripping and ignores `--import tsx` in a Worker's
// execArgv, so the thread compiles the actor's TypeScript itself. It uses tsx's CommonJS hook,
// which compiles in this thread: tsx's ESM hook (module.register) would start a loader thread for
// every worker, a second V8 isolate that costs ~17 MB of RSS per actor and only ever compiles. tsx
// turns the entry's ES module syntax into CommonJS (import.meta.url included), so an actor's worker
// entry and what it imports must not use top-level await (none does; the built dist/ JS loads as
// ES modules with no loader at all).
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/cjs/api'

const require = createRequire(import.meta.url)
register()
require(fileURLToPath(workerData.__entry))
// A file missing from tsx's cache was compiled by esbuild's synchronous API, which keeps a helper
// thread (another isolate) alive for the life of this one: everything is loaded now, so end it.
// esbuild is resolved from tsx's own folder (it is tsx's dependency, not ours).
void createRequire(require.resolve('tsx/cjs/api'))('esbuild').stop()
