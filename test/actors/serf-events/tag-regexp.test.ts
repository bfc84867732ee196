import { describe, expect, it } from 'vitest'
import { checkTagRegexp, MAX_CACHED_KEY_CHARS, matchTagRegexp, TAG_REGEXP_CACHE_ENTRIES, tagRegexpCacheStats } from '../../../actors/serf-events/tag-regexp.ts'

const match = (expr: string, value: string): boolean | string => {
  const r = matchTagRegexp(expr, value, 256)
  return r.ok ? r.match : r.reason
}

describe('tag-regexp', () => {
  // Expected values are Go's regexp.MatchString(expr, value) (unanchored), from RE2's documented syntax.
  it.each([
    // What the brief of issue 12 lists: ordinary Go filters, unanchored.
    ['.*foo.*', 'a-foo-b', true],
    ['.*foo.*', 'fo', false],
    ['(a|b)+', 'xxbax', true],
    ['^(a|b)+$', 'abba', true],
    ['^(a|b)+$', 'abc', false],
    ['^web', 'web-1', true],
    ['^web', 'a-web', false],
    ['web', 'a-web', true], // unanchored
    ['^web$', 'web-1', false],
    ['\\pL', '7é', true],
    ['\\pL', '7-', false],
    ['\\p{Greek}', 'λ', true],
    ['(?i)WEB', 'web', true],
    ['(?P<n>x)', 'axb', true],
    ['(?P<env>prod|dev)', 'dev', true],
    // Flags anywhere and scoped, as Go has them.
    ['a(?i)b', 'aB', true],
    ['(?i:a)b', 'AB', false],
    ['(?U)a+', 'aaa', true],
    // Go's line terminator is \n only; . and (?m) follow it.
    ['(?s)a.b', 'a\nb', true],
    ['a.b', 'a\nb', false],
    ['a.b', 'a\rb', true],
    ['a.b', 'a\u2028b', true],
    ['(?m)^b', 'a\rb', false],
    ['(?m)a$', 'a\nb', true],
    ['(?m)^b$', 'a\nb', true],
    ['^b$', 'a\nb', false],
    ['\\Aab\\z', 'ab\n', false],
    // RE2 classes: ASCII \s and \d, POSIX classes, a leading ] is a literal.
    ['a\\sb', 'a\tb', true],
    ['a\\sb', 'a\u00a0b', false],
    ['\\d', '٣', false],
    ['[[:alpha:]]+[[:digit:]]', 'xy7', true],
    ['[[:^alpha:]]', 'ab1', true],
    ['[]a]', ']', true],
    ['\\bweb\\b', 'a web b', true],
    ['\\bweb\\b', 'webs', false],
    // Braces that are not a repeat are literals; \Q…\E quotes.
    ['a{2}', 'aa', true],
    ['a{,2}', 'a{,2}', true],
    ['x{', 'x{', true],
    ['\\Qa.b*\\E', 'a.b*', true],
    ['\\Qa.b\\E', 'axb', false],
    ['\\x{41}\\x42\\012', 'AB\n', true],
    ['', 'anything', true],
    ['a*?b', 'aab', true],
    // Runes, not UTF-16 units or bytes: Go decodes the UTF-8 value.
    ['^.$', '😀', true],
    ['^..$', 'é', false],
    ['^[^a]$', '😀', true],
    ['\\x{1F600}', 'x😀', true],
    ['é+', 'éé', true],
    ['(?i)É', 'é', true],
    ['(?i)k', '\u212a', true], // the Kelvin sign folds to k, as in Go
    // Our tag travels as UTF-8: a lone surrogate is U+FFFD on the wire, and matches as U+FFFD.
    ['^\\x{FFFD}$', '\ud800', true],
    ['^\\x{D800}$', '\ud800', false],
  ])('MatchString(%j, %j) is %s', (expr, value, want) => {
    expect(match(expr, value)).toBe(want)
  })

  it.each([
    // What Go's regexp.Compile refuses (RE2 has no backreferences or lookaround).
    ['\\1', 'invalid escape sequence: `\\1`'],
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['(?=a)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?!a)', 'invalid or unsupported Perl syntax: `(?!`'],
    ['(?<=a)b', 'invalid named capture'],
    ['a**', 'invalid nested repetition operator: `**`'],
    ['*a', 'missing argument to repetition operator: `*`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
    ['(a{500}){3}', 'invalid repeat count'],
    ['(a', 'missing closing ): `(a`'],
    ['a)', 'unexpected ): `a)`'],
    ['[a', 'missing closing ]: `[a`'],
    ['a\\', 'trailing backslash at end of expression'],
    ['\\Z', 'invalid escape sequence: `\\Z`'],
    ['\\C', 'invalid escape sequence: `\\C`'],
    ['[[:foo:]]', 'invalid character class range: `[:foo:]`'],
    ['(?P<n>a)(?P<n>b)', 'duplicate capture group name: `n`'],
  ])('refuses %j as invalid, with the parse error', (expr, error) => {
    const check = checkTagRegexp(expr, 256)
    expect(check).toMatchObject({ ok: false, reason: 'invalid' })
    expect(check.ok ? '' : check.message).toContain(error)
    expect(matchTagRegexp(expr, 'a', 256)).toEqual(check)
  })

  it('accepts pathological patterns (linear-time matching) and answers them as Go does', () => {
    const as = 'a'.repeat(512)
    for (const expr of ['(a*)*b', '.*.*.*x', '(a+)+$', '(a|aa)*c', '(x+x+)+y']) expect(checkTagRegexp(expr, 256), expr).toEqual({ ok: true })
    expect(match('(a*)*b', as)).toBe(false)
    expect(match('(a*)*b', `${as}b`)).toBe(true)
    expect(match('.*.*.*x', as)).toBe(false)
    expect(match('.*.*.*x', `${as}x`)).toBe(true)
    expect(match('^(a+)+$', as)).toBe(true)
    expect(match('^(a+)+$', `${as}!`)).toBe(false)
  })

  it('refuses an expression over the length cap, one with a lone surrogate, and a non-string', () => {
    expect(checkTagRegexp('a'.repeat(11), 10)).toMatchObject({ ok: false, reason: 'too-long' })
    expect(checkTagRegexp('a'.repeat(10), 10)).toEqual({ ok: true })
    expect(matchTagRegexp('a'.repeat(11), 'a', 10)).toMatchObject({ ok: false, reason: 'too-long' })
    expect(checkTagRegexp('web\udc00', 256)).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('lone surrogate at index 3') })
    expect(checkTagRegexp('web\ud83d', 256)).toMatchObject({ ok: false, reason: 'invalid' })
    expect(checkTagRegexp('web😀', 256)).toEqual({ ok: true }) // a pair is fine
    expect(checkTagRegexp(42 as never, 10)).toMatchObject({ ok: false, reason: 'invalid' })
  })

  it('memoises outcomes: a repeat is a hit with the same answer, and (expr, value) keys do not collide', () => {
    const before = tagRegexpCacheStats()
    expect(match('^ab$', 'c')).toBe(false)
    expect(match('^a', 'bc')).toBe(false)
    expect(match('^ab$', 'c')).toBe(false)
    expect(match('^a', 'bc')).toBe(false)
    const after = tagRegexpCacheStats()
    expect(after.misses - before.misses).toBe(2)
    expect(after.hits - before.hits).toBe(2)
    expect(after.capacity).toBe(TAG_REGEXP_CACHE_ENTRIES)
    expect(after.size).toBeLessThanOrEqual(TAG_REGEXP_CACHE_ENTRIES)
  })

  it('does not keep a key longer than MAX_CACHED_KEY_CHARS, and stays within its entries', () => {
    const long = 'v'.repeat(MAX_CACHED_KEY_CHARS)
    const before = tagRegexpCacheStats()
    expect(match('^v+$', long)).toBe(true)
    expect(match('^v+$', long)).toBe(true)
    const mid = tagRegexpCacheStats()
    expect([mid.hits, mid.misses]).toEqual([before.hits, before.misses]) // computed, never looked up
    for (let i = 0; i < TAG_REGEXP_CACHE_ENTRIES + 10; i++) match(`^x${i}$`, 'x')
    const after = tagRegexpCacheStats()
    expect(after.size).toBe(TAG_REGEXP_CACHE_ENTRIES)
    expect(after.evictions).toBeGreaterThanOrEqual(10)
  })
})
