/**
 * Where a worker thread starts. A `.ts` entry that exists on disk is source mode (tests, tsx): the
 * thread boots through boot.mjs, which registers tsx first. Otherwise, in the build (dist/): the
 * actor's bundle (`worker.cjs`, scripts/bundle-workers.mjs) through the code cache's boot
 * (code-cache/worker-boot.ts) when both were built, else the built `.js` sibling, loaded directly.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface ResolvedEntry {
  /** What to pass to `new Worker(...)`. */
  file: URL
  /** The module the boot shim imports (source mode only). */
  tsEntry: string | undefined
  /** The actor's bundle the code cache's boot runs (the build only, when it has one). */
  bundle?: string
}

const BOOT = new URL('./boot.mjs', import.meta.url)
const BUNDLE_BOOT = new URL('./code-cache/worker-boot.cjs', import.meta.url)

export function resolveEntry(entry: URL): ResolvedEntry {
  if (entry.pathname.endsWith('.ts')) {
    if (existsSync(fileURLToPath(entry))) return { file: sourceBoot(), tsEntry: entry.href }
    const bundle = fileURLToPath(entry.href.replace(/\.ts$/, '.cjs'))
    if (existsSync(bundle) && existsSync(fileURLToPath(BUNDLE_BOOT))) return { file: BUNDLE_BOOT, tsEntry: undefined, bundle }
    const js = new URL(entry.href.replace(/\.ts$/, '.js'))
    return { file: js, tsEntry: undefined }
  }
  return { file: entry, tsEntry: undefined }
}

/** The boot shim; in dist there is no boot.mjs next to this file, so use the source tree's copy. */
function sourceBoot(): URL {
  if (existsSync(fileURLToPath(BOOT))) return BOOT
  // dist/src/runtime/entry.js -> <root>/src/runtime/boot.mjs
  return new URL('../../../src/runtime/boot.mjs', import.meta.url)
}
