/**
 * Go regular expressions (RE2 syntax, `regexp.MatchString`: unanchored) run on JS RegExp, for query
 * tag filters (spec §5.9). The expression is translated token by token into a `u`-mode JS source:
 *
 * - RE2 syntax JS lacks is rewritten: `\A` `\z` (text start/end), `\Q…\E` literals, `(?P<name>…)`,
 *   POSIX classes `[[:alpha:]]`, `\s` (RE2: ASCII `[\t\n\f\r ]` only), `\x{263a}`, octal `\012`,
 *   `\a`, leading flags `(?ims)`, a `]` first in a class (literal in RE2, empty class in JS), a `{`
 *   that is not a repeat (literal in RE2), and `.` and (?m)'s `^` `$` (Go's only line terminator is
 *   `\n`; JS's are also `\r`, U+2028, U+2029). Every other literal that is not a letter or digit is
 *   written as `\u{…}`, so no character changes meaning between the two dialects.
 * - What RE2 refuses is refused ('invalid'), as Go's regexp.Compile would: backreferences,
 *   lookaround, `\Z`, `\C`, repeat counts above 1000, `**`, unbalanced parentheses or brackets.
 * - RE2 syntax we do not translate is refused as 'unsupported' (Go would accept it): Unicode
 *   classes `\pL`, flag groups after the start or scoped `(?i:…)`, `(?U)`, `(?<name>…)` (Go 1.22+;
 *   the Debian 0.9.4 agent's Go refuses it), `[[:^alpha:]]`, `\S` inside a class, code points
 *   above U+FFFF written as `\x{…}`.
 *
 * Backtracking: RE2 is linear in the input; V8's irregexp backtracks, so `(a+)+$` on "aaaa…b" is
 * exponential, and even `.*.*x` costs about 0.5 s on 512 characters (measured: every start
 * position times n² splits). No time budget is possible in pure code, so a syntactic screen refuses
 * ('backtracking'): a quantified group that itself contains a quantifier or an alternation, and
 * any expression whose quantifiers multiply to more than MAX_BACKTRACK_CHOICES ways of splitting
 * the input, counting each quantifier as (max − min + 1) choices and an unbounded one as
 * VALUE_LENGTH_BOUND + 1 (tag values live in node Meta, at most 512 bytes). So one `.*` passes, and
 * `.*foo.*` does not: as matching is unanchored, write `foo`. A linear-time matcher (an NFA
 * simulation, as RE2 does) would lift this; it is not built yet.
 */

export type GoRegexpRefusal = 'too-long' | 'invalid' | 'unsupported' | 'backtracking'
export type GoRegexpResult = { ok: true; regex: RegExp } | { ok: false; reason: GoRegexpRefusal; message: string }

/** Longest input a tag filter sees: a tag value inside node Meta (≤ 512 bytes), in characters. */
export const VALUE_LENGTH_BOUND = 512
/** Budget of the product of quantifier choices (see the header); one unbounded quantifier and a few small ones fit. */
export const MAX_BACKTRACK_CHOICES = 8 * (VALUE_LENGTH_BOUND + 1)
/** RE2's largest repeat count (`{1001}` is "invalid repeat count"). */
export const MAX_REPEAT = 1000

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\u{0}-\\u{7f}',
  blank: '\\u{9}\\u{20}',
  cntrl: '\\u{0}-\\u{1f}\\u{7f}',
  digit: '0-9',
  graph: '\\u{21}-\\u{7e}',
  lower: 'a-z',
  print: '\\u{20}-\\u{7e}',
  punct: '\\u{21}-\\u{2f}\\u{3a}-\\u{40}\\u{5b}-\\u{60}\\u{7b}-\\u{7e}',
  space: '\\u{9}-\\u{d}\\u{20}',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
}
const SPACE = '\\u{9}\\u{a}\\u{c}\\u{d}\\u{20}'
const SIMPLE_ESCAPES: Record<string, string> = { a: '\\u{7}', f: '\\u{c}', t: '\\u{9}', n: '\\u{a}', r: '\\u{d}', v: '\\u{b}' }

class Refuse extends Error {
  constructor(
    readonly reason: GoRegexpRefusal,
    message: string,
  ) {
    super(message)
  }
}

const lit = (cp: number): string => (/[0-9A-Za-z]/.test(String.fromCodePoint(cp)) ? String.fromCodePoint(cp) : `\\u{${cp.toString(16)}}`)
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7'

interface Frame {
  /** The group contains a quantifier or an alternation somewhere inside it. */
  risky: boolean
}

/** Compiles `expr` with Go's meaning, or says why not. Never throws. */
export function compileGoRegexp(expr: string, maxLength: number): GoRegexpResult {
  if (typeof expr !== 'string') return { ok: false, reason: 'invalid', message: 'expression must be a string' }
  if (expr.length > maxLength) return { ok: false, reason: 'too-long', message: `expression is ${expr.length} characters, over the limit of ${maxLength}` }
  try {
    const { source, flags } = translate(expr)
    return { ok: true, regex: new RegExp(source, `${flags}u`) }
  } catch (err) {
    if (err instanceof Refuse) return { ok: false, reason: err.reason, message: err.message }
    return { ok: false, reason: 'invalid', message: err instanceof Error ? err.message : String(err) }
  }
}

function translate(expr: string): { source: string; flags: string } {
  const chars = Array.from(expr) // code points
  let i = 0
  let flags = ''
  const lead = /^\(\?([a-zA-Z-]*)\)/.exec(expr)
  if (lead !== null) {
    // Go: (?flags) sets them from here on; at the very start that is the whole expression.
    if (!/^[ims]+$/.test(lead[1]!)) throw new Refuse('unsupported', `flag group ${lead[0]} is not supported (only i, m, s at the start)`)
    flags = [...new Set(lead[1]!)].join('')
    i = Array.from(lead[0]).length
  }
  const dotAll = flags.includes('s')
  const multiline = flags.includes('m')
  // Only i reaches JS: s and m are spelled out in the source below.
  flags = flags.includes('i') ? 'i' : ''
  let out = ''
  const stack: Frame[] = [{ risky: false }]
  /** What the next quantifier would apply to. */
  let prev: 'none' | 'atom' | 'quantified' = 'none'
  let lastGroupRisky = false
  let lastWasGroup = false
  let choices = 1

  const quantify = (q: string, span: number): void => {
    if (prev === 'none') throw new Refuse('invalid', `missing argument to repetition operator: ${q}`)
    if (prev === 'quantified') throw new Refuse('invalid', `invalid nested repetition operator: ${q}`)
    if (lastWasGroup && lastGroupRisky) throw new Refuse('backtracking', `a repeated group that holds a repetition or an alternation (${q}) can backtrack exponentially`)
    choices *= Math.min(span, VALUE_LENGTH_BOUND) + 1
    if (choices > MAX_BACKTRACK_CHOICES) throw new Refuse('backtracking', `its repetitions can split the input more than ${MAX_BACKTRACK_CHOICES} ways (${q}); matching is unanchored, so a leading or trailing .* is not needed`)
    stack[stack.length - 1]!.risky = true
    let lazy = ''
    if (chars[i] === '?') {
      lazy = '?'
      i++
    }
    out += q + lazy
    prev = 'quantified'
    lastWasGroup = false
  }
  const atom = (s: string): void => {
    out += s
    prev = 'atom'
    lastWasGroup = false
  }

  while (i < chars.length) {
    const c = chars[i++]!
    switch (c) {
      case '\\':
        atom(escape(chars, i, false, (n) => (i = n)))
        break
      case '[':
        atom(charClass(chars, i, (n) => (i = n)))
        break
      case '(': {
        const rest = chars.slice(i, i + 4).join('')
        if (rest.startsWith('?P<')) {
          const m = /^\?P<([A-Za-z0-9_]+)>/.exec(chars.slice(i).join(''))
          if (m === null) throw new Refuse('invalid', 'invalid named capture')
          i += Array.from(m[0]).length
          out += '('
        } else if (rest.startsWith('?:')) {
          i += 2
          out += '(?:'
        } else if (rest.startsWith('?=') || rest.startsWith('?!') || rest.startsWith('?<=') || rest.startsWith('?<!')) {
          throw new Refuse('invalid', 'lookaround is not RE2 syntax')
        } else if (rest.startsWith('?<')) {
          throw new Refuse('unsupported', '(?<name>…) needs Go 1.22; write (?P<name>…)')
        } else if (rest.startsWith('?')) {
          throw new Refuse('unsupported', 'flag groups are supported only as a leading (?i), (?m) or (?s)')
        } else out += '('
        stack.push({ risky: false })
        prev = 'none'
        lastWasGroup = false
        break
      }
      case ')': {
        if (stack.length === 1) throw new Refuse('invalid', 'unexpected )')
        const frame = stack.pop()!
        if (frame.risky) stack[stack.length - 1]!.risky = true
        out += ')'
        prev = 'atom'
        lastWasGroup = true
        lastGroupRisky = frame.risky
        break
      }
      case '|':
        stack[stack.length - 1]!.risky = true
        out += '|'
        prev = 'none'
        lastWasGroup = false
        break
      case '*':
      case '+':
        quantify(c, Infinity)
        break
      case '?':
        quantify('?', 1)
        break
      case '{': {
        const m = /^(\d+)(,(\d*))?\}/.exec(chars.slice(i).join(''))
        if (m === null) {
          atom('\\u{7b}') // not a repeat: a literal brace, as in RE2
          break
        }
        const min = Number(m[1])
        const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3])
        if (min > MAX_REPEAT || (max !== Infinity && (max > MAX_REPEAT || max < min))) throw new Refuse('invalid', `invalid repeat count {${m[0]}`)
        i += m[0].length
        quantify(`{${m[0]}`, max - min)
        break
      }
      // JS line terminators also include \r, U+2028 and U+2029; Go's are \n only. So `.`, and
      // `^`/`$` under (?m), are spelled out instead of using JS's meaning (and its m flag).
      case '.':
        atom(dotAll ? '[\\s\\S]' : '[^\\u{a}]')
        break
      case '^':
        atom(multiline ? '(?:(?<![\\s\\S])|(?<=\\u{a}))' : '^')
        break
      case '$':
        atom(multiline ? '(?:(?![\\s\\S])|(?=\\u{a}))' : '$')
        break
      default:
        atom(lit(c.codePointAt(0)!))
    }
  }
  if (stack.length > 1) throw new Refuse('invalid', 'missing closing )')
  return { source: out, flags }
}

/** One escape after a backslash at chars[i - 1]; `set(next)` moves the cursor past it. */
function escape(chars: string[], i: number, inClass: boolean, set: (n: number) => void): string {
  const c = chars[i]
  if (c === undefined) throw new Refuse('invalid', 'trailing backslash at end of expression')
  set(i + 1)
  if (c === 'Q') {
    let end = i + 1
    let s = ''
    while (end < chars.length && !(chars[end] === '\\' && chars[end + 1] === 'E')) s += lit(chars[end++]!.codePointAt(0)!)
    set(end < chars.length ? end + 2 : end)
    // Unwrapped, so a following quantifier applies to the last character, as in RE2.
    return s === '' && !inClass ? '(?:)' : s
  }
  if (!inClass && c === 'A') return '(?<![\\s\\S])'
  if (!inClass && c === 'z') return '(?![\\s\\S])'
  if (!inClass && (c === 'b' || c === 'B')) return `\\${c}`
  if ('dDwW'.includes(c)) return `\\${c}`
  if (c === 's') return inClass ? SPACE : `[${SPACE}]`
  if (c === 'S') {
    if (inClass) throw new Refuse('unsupported', '\\S inside a character class')
    return `[^${SPACE}]`
  }
  if (c === 'p' || c === 'P') throw new Refuse('unsupported', 'Unicode classes (\\p, \\P) are not supported')
  const simple = SIMPLE_ESCAPES[c]
  if (simple !== undefined) return simple
  if (c === 'x') {
    const rest = chars.slice(i + 1).join('')
    const m = /^\{([0-9A-Fa-f]+)\}/.exec(rest) ?? /^([0-9A-Fa-f]{2})/.exec(rest)
    if (m === null) throw new Refuse('invalid', 'invalid escape sequence \\x')
    const cp = parseInt(m[1]!, 16)
    if (cp > 0x10ffff) throw new Refuse('invalid', 'invalid escape sequence: code point out of range')
    if (cp > 0xffff) throw new Refuse('unsupported', 'code points above U+FFFF in \\x{…}')
    set(i + 1 + m[0].length)
    return lit(cp)
  }
  if (isOctal(c) && (c === '0' || isOctal(chars[i + 1]))) {
    // Go: \0 takes up to two more octal digits; \1-\7 are octal only when another digit follows.
    let end = i + 1
    while (end < i + 3 && isOctal(chars[end])) end++
    set(end)
    return lit(parseInt(chars.slice(i, end).join(''), 8))
  }
  if (c >= '1' && c <= '9') throw new Refuse('invalid', `backreference \\${c} is not RE2 syntax`)
  const cp = c.codePointAt(0)!
  if (cp < 0x80 && !/[0-9A-Za-z]/.test(c)) return lit(cp) // escaped punctuation
  throw new Refuse('invalid', `invalid escape sequence \\${c}`)
}

/** A character class whose `[` is at chars[i - 1]. */
function charClass(chars: string[], i: number, set: (n: number) => void): string {
  let out = '['
  if (chars[i] === '^') {
    out += '^'
    i++
  }
  if (chars[i] === ']') {
    out += '\\u{5d}' // first `]` is a literal in RE2
    i++
  }
  for (;;) {
    const c = chars[i]
    if (c === undefined) throw new Refuse('invalid', 'missing closing ]')
    i++
    if (c === ']') break
    if (c === '[' && chars[i] === ':') {
      const m = /^:(\^?)([a-z]+):\]/.exec(chars.slice(i).join(''))
      if (m !== null) {
        if (m[1] === '^') throw new Refuse('unsupported', 'negated POSIX classes [[:^name:]]')
        const body = POSIX[m[2]!]
        if (body === undefined) throw new Refuse('invalid', `invalid character class range [:${m[2]}:]`)
        out += body
        i += m[0].length
        continue
      }
    }
    if (c === '\\') {
      out += escape(chars, i, true, (n) => (i = n))
      continue
    }
    out += c === '-' ? '-' : lit(c.codePointAt(0)!)
  }
  set(i)
  return `${out}]`
}
