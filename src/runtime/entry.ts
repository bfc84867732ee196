/**
 * Where a worker thread starts. A `.ts` entry that exists on disk is source mode (tests, tsx): the
 * thread boots through boot.mjs, which registers tsx first. Otherwise the entry is the built `.js`
 * sibling (dist/), loaded directly.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface ResolvedEntry {
  /** What to pass to `new Worker(...)`. */
  file: URL
  /** The module the boot shim imports (source mode only). */
  tsEntry: string | undefined
}

const BOOT = new URL('./boot.mjs', import.meta.url)

export function resolveEntry(entry: URL): ResolvedEntry {
  if (entry.pathname.endsWith('.ts')) {
    if (existsSync(fileURLToPath(entry))) return { file: sourceBoot(), tsEntry: entry.href }
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
