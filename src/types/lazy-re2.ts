/**
 * RE2JS (the `re2js` package: Go's regexp syntax in linear time, for Serf's tag, name and status
 * filters), loaded at the first filter that needs it. Loading it builds its Unicode tables: +3.6 MB
 * resident on a bare Node 20, paid by every agent and node at start while most never compile a
 * filter (issue 13: an inline agent's RSS). A synchronous require of the package's CommonJS build,
 * so the callers stay synchronous; only its types are imported statically. node:module is taken at
 * that first call too: loading it loads Node's ES-module loader with it (lib/module.js requires
 * it), which the CommonJS `gossamer` bin otherwise never starts (~1 MB resident for an agent).
 */
import type { RE2JS as RE2JSClass } from 're2js'

export type RE2JS = RE2JSClass

let loaded: typeof RE2JSClass | undefined

/** The RE2JS class (the package is loaded on the first call). */
export function re2js(): typeof RE2JSClass {
  loaded ??= (process.getBuiltinModule('node:module').createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS
  return loaded
}
