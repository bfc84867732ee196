/**
 * Go regular expressions for query tag filters (spec §5.9: `regexp.MatchString(Expr, value)`,
 * unanchored), on re2js: RE2's parser and matchers in pure JS, so the syntax Go accepts is accepted
 * (`.*foo.*`, `(a|b)+`, `\pL`, `(?i:…)`), what RE2 refuses is refused (backreferences, lookaround,
 * `\C`, `\Z`, repeats above 1000), and matching takes time linear in the value, so a peer's
 * `(a*)*b` cannot stall us as it would JS's backtracking RegExp. The syntax is current Go's:
 * `(?<name>…)` is accepted as in Go 1.22+, though an agent built with an older Go refuses it (and
 * skips such a query, as it skips any filter it cannot compile).
 *
 * - Go matches on the bytes of the UTF-8 string, so the value is matched as UTF-8 bytes: our tag
 *   as the cluster sees it (a lone surrogate travels as U+FFFD, and matches as U+FFFD).
 * - The expression must be well-formed UTF-16: the wire would carry a lone surrogate as U+FFFD, a
 *   different expression from the one the caller wrote, so it is refused ('invalid').
 * - Length cap ('too-long', config maxFilterExprLength, characters): Serf has none, but the whole
 *   encoded query must fit querySizeLimit (1024 bytes by default), which bounds it anyway. Ours
 *   bounds the work a peer can ask for: compiling and the first match cost time and memory in the
 *   program size, which `{n}` repeats multiply (measured: 0.15-1 s for a new 250-character
 *   `(\pL|\pN|\pP){1000}…` against 512 bytes, on a loaded 2-core machine; an ordinary filter,
 *   5-150 µs). Matching stays linear in the value.
 *
 * Compiling costs 10-100 times a match (measured: 5-115 µs vs 0.2-3 µs for ordinary filters; two
 * tag filters per query, 100-165 µs uncached vs 2.4-4.1 µs cached), and a query's filters are
 * checked when it is built and then evaluated on every node, ours included, with the same tag
 * values each time. So results are memoised in a bounded LRU: the outcome of
 * (expression) for checks and of (expression, value) for matches. Verdicts, not compiled programs:
 * re2js keeps a lazy DFA per program (up to 8 MiB each), so a cache of programs could hold
 * hundreds of MiB; a verdict is a few bytes plus its key. It lives in the module (one per worker
 * thread) because it is a memo of a pure function, not state: a hit and a miss give the same answer.
 */
import { re2js, type RE2JS } from '../../src/types/lazy-re2.ts'
import { BoundedLru } from './bounded-lru.ts'
import type { BoundedLruStats } from './bounded-lru.ts'

export type TagRegexpRefusal = 'too-long' | 'invalid'
export type TagRegexpRefused = { ok: false; reason: TagRegexpRefusal; message: string }
export type TagRegexpCheck = { ok: true } | TagRegexpRefused
export type TagRegexpMatch = { ok: true; match: boolean } | TagRegexpRefused

/** Outcomes kept (each key ≤ MAX_CACHED_KEY_CHARS): at most about 256 × 2 KiB of keys. */
export const TAG_REGEXP_CACHE_ENTRIES = 256
/** Longer keys (expression + value) are computed every time and not kept, so the cache's size is bounded by entries × this. */
export const MAX_CACHED_KEY_CHARS = 1024

const UTF8 = new TextEncoder()
const cache = new BoundedLru<TagRegexpCheck | TagRegexpMatch>(TAG_REGEXP_CACHE_ENTRIES)

/** The module's cache counters (hits, misses, evictions, size), for measurement. */
export const tagRegexpCacheStats = (): BoundedLruStats => cache.stats()

/** Whether `expr` compiles as Go would compile it (and is within the length cap). Never throws. */
export function checkTagRegexp(expr: string, maxLength: number): TagRegexpCheck {
  const pre = screen(expr, maxLength)
  if (pre !== null) return pre
  return memo(`c${expr}`, () => {
    const c = compile(expr)
    return c.ok ? { ok: true } : c
  })
}

/** Go's `regexp.MatchString(expr, value)`: unanchored, on the UTF-8 bytes of `value`. Never throws. */
export function matchTagRegexp(expr: string, value: string, maxLength: number): TagRegexpMatch {
  const pre = screen(expr, maxLength)
  if (pre !== null) return pre
  // The expression's length prefixes it, so ("ab", "c") and ("a", "bc") are different keys.
  return memo(`m${expr.length}:${expr}${value}`, () => {
    const c = compile(expr)
    if (!c.ok) return c
    try {
      return { ok: true, match: c.re.test(UTF8.encode(value)) }
    } catch (err) {
      // re2js throws only on an internal fault while matching; that filter cannot be evaluated.
      return { ok: false, reason: 'invalid', message: `matching failed: ${err instanceof Error ? err.message : String(err)}` }
    }
  })
}

/** The checks made before any compiling (not cached: they cost less than a lookup). */
function screen(expr: unknown, maxLength: number): TagRegexpRefused | null {
  if (typeof expr !== 'string') return { ok: false, reason: 'invalid', message: 'expression must be a string' }
  if (expr.length > maxLength) return { ok: false, reason: 'too-long', message: `expression is ${expr.length} characters, over the limit of ${maxLength}` }
  const at = loneSurrogateAt(expr)
  if (at >= 0) return { ok: false, reason: 'invalid', message: `expression has a lone surrogate at index ${at} (not well-formed UTF-16; the wire would carry U+FFFD)` }
  return null
}

function compile(expr: string): { ok: true; re: RE2JS } | TagRegexpRefused {
  try {
    return { ok: true, re: re2js().compile(expr) }
  } catch (err) {
    // RE2JSSyntaxException's message is Go's: "error parsing regexp: invalid escape sequence: `\1`".
    return { ok: false, reason: 'invalid', message: err instanceof Error ? err.message : String(err) }
  }
}

function memo<T extends TagRegexpCheck | TagRegexpMatch>(key: string, compute: () => T): T {
  if (key.length > MAX_CACHED_KEY_CHARS) return compute()
  const hit = cache.get(key)
  if (hit !== undefined) return hit as T
  const value = compute()
  Object.freeze(value) // every later caller shares this object
  cache.set(key, value)
  return value
}

/** Index of the first unpaired UTF-16 surrogate, or -1. */
function loneSurrogateAt(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    const next = s.charCodeAt(i + 1)
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++
      continue
    }
    return i
  }
  return -1
}
