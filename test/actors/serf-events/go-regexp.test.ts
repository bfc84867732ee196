import { describe, expect, it } from 'vitest'
import { compileGoRegexp, MAX_BACKTRACK_CHOICES } from '../../../actors/serf-events/go-regexp.ts'

const match = (expr: string, value: string): boolean | string => {
  const r = compileGoRegexp(expr, 256)
  return r.ok ? r.regex.test(value) : r.reason
}

describe('go-regexp', () => {
  // Expected values are Go's regexp.MatchString(expr, value) (unanchored), from RE2's documented syntax.
  it.each([
    ['web', 'web-1', true],
    ['web', 'a-web', true], // unanchored
    ['^web$', 'web-1', false],
    ['^web-[0-9]+$', 'web-12', true],
    ['(?i)WEB', 'web', true],
    ['(?s)a.b', 'a\nb', true],
    ['a.b', 'a\nb', false],
    ['a.b', 'a\rb', true], // Go's . excludes only \n (JS's excludes \r too)
    ['a.b', 'a\u2028b', true],
    ['(?m)^b', 'a\rb', false], // Go's lines end at \n only
    ['(?m)a$', 'a\nb', true],
    ['(?m)a$', 'a\rb', false],
    ['(?ms)^a.b$', 'x\na\nb', true],
    ['(?m)^b$', 'a\nb', true],
    ['^b$', 'a\nb', false],
    ['\\Aab\\z', 'ab', true],
    ['\\Aab\\z', 'ab\n', false],
    ['[[:alpha:]]+[[:digit:]]', 'xy7', true],
    ['[[:upper:]]', 'abc', false],
    ['[]a]', ']', true],
    ['[^]a]', ']', false],
    ['a{2}', 'a{2}', false], // a repeat, not literal
    ['a{2}', 'aa', true],
    ['a{,2}', 'a{,2}', true], // not a repeat in RE2: literal braces
    ['x{', 'x{', true],
    ['\\Qa.b*\\E', 'a.b*', true],
    ['\\Qa.b\\E', 'axb', false],
    ['(?P<env>prod|dev)', 'dev', true],
    ['\\x{41}\\x42', 'AB', true],
    ['\\012', '\n', true],
    ['a\\sb', 'a\tb', true],
    ['a\\sb', 'a\u00a0b', false], // RE2 \s is ASCII only; JS \s would match NBSP
    ['\\d', '٣', false], // ASCII digits only
    ['\\.', 'x', false],
    ['\\.', '.', true],
    ['a|b', 'b', true],
    ['', 'anything', true],
    ['é+', 'éé', true], // one rune, as Go
    ['a*?b', 'aab', true],
  ])('MatchString(%j, %j) is %s', (expr, value, want) => {
    expect(match(expr, value)).toBe(want)
  })

  it.each([
    // What Go's regexp.Compile refuses.
    ['\\1', 'invalid'],
    ['(a)\\1', 'invalid'],
    ['(?=a)', 'invalid'],
    ['(?!a)', 'invalid'],
    ['(?<=a)b', 'invalid'],
    ['a**', 'invalid'],
    ['*a', 'invalid'],
    ['a{1001}', 'invalid'],
    ['a{3,2}', 'invalid'],
    ['(a', 'invalid'],
    ['a)', 'invalid'],
    ['[a', 'invalid'],
    ['a\\', 'invalid'],
    ['\\Z', 'invalid'],
    ['\\C', 'invalid'],
    ['[[:foo:]]', 'invalid'],
    // RE2 syntax we do not translate.
    ['\\pL', 'unsupported'],
    ['\\p{Greek}', 'unsupported'],
    ['a(?i)b', 'unsupported'],
    ['(?i:a)', 'unsupported'],
    ['(?U)a+', 'unsupported'],
    ['(?<n>a)', 'unsupported'],
    ['[[:^alpha:]]', 'unsupported'],
    ['[\\S]', 'unsupported'],
    // The backtracking screen.
    ['(a+)+$', 'backtracking'],
    ['(a*)*', 'backtracking'],
    ['(a|aa)*b', 'backtracking'],
    ['((a+))+', 'backtracking'],
    ['(x(a|b))+', 'backtracking'],
    ['.*.*x', 'backtracking'],
    ['.*foo.*', 'backtracking'],
    ['a{0,100}a{0,100}x', 'backtracking'],
    ['a?'.repeat(13), 'backtracking'],
  ])('refuses %j as %s', (expr, reason) => {
    const r = compileGoRegexp(expr, 256)
    expect(r.ok ? 'compiled' : r.reason).toBe(reason)
  })

  it.each(['.*foo', 'foo.*', '^[a-z0-9-]+$', '[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}', '(ab)+', '(?:web|db)-[0-9]+', 'a?'.repeat(12)])('accepts %j within the budget', (expr) => {
    expect(compileGoRegexp(expr, 256).ok).toBe(true)
  })

  it('counts choices as the screen says: one unbounded quantifier and a factor of 8 fit, a factor of 9 does not', () => {
    expect(MAX_BACKTRACK_CHOICES).toBe(8 * 513)
    expect(compileGoRegexp('a*b{0,7}', 256).ok).toBe(true)
    expect(compileGoRegexp('a*b{0,8}', 256).ok).toBe(false)
  })

  it('refuses an expression over the length cap, and a non-string', () => {
    expect(compileGoRegexp('a'.repeat(11), 10)).toMatchObject({ ok: false, reason: 'too-long' })
    expect(compileGoRegexp('a'.repeat(10), 10).ok).toBe(true)
    expect(compileGoRegexp(42 as never, 10)).toMatchObject({ ok: false, reason: 'invalid' })
  })
})
