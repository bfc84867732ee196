/**
 * Where a bundled actor thread's code cache (code-cache.ts) is found by the actor's host: the boot
 * (worker-boot.ts) and the actor are two bundles with a module each of everything they import, so
 * the one object they share is a global under a registered symbol.
 */
import type { CodeCacheLog } from './code-cache.ts'

export const CODE_CACHE_SLOT = Symbol.for('gossamer.codeCache')

/** Sends this thread's code cache outcomes to `log`; nothing when the thread runs without one. */
export function attachCodeCacheLog(log: CodeCacheLog): void {
  const cache = (globalThis as Record<symbol, { attach(log: CodeCacheLog): void } | undefined>)[CODE_CACHE_SLOT]
  cache?.attach(log)
}
