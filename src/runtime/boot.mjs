// Source-mode worker entry: Node 20 has no type stripping and ignores `--import tsx` in a Worker's
// execArgv, so register tsx's ESM loader here, then load the actor's TypeScript entry.
import { register } from 'tsx/esm/api'
import { workerData } from 'node:worker_threads'

register()
await import(workerData.__entry)
