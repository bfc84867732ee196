/**
 * Go's time.ParseDuration, which Serf uses for `retry_interval`, `broadcast_timeout` and the
 * other duration keys: a signed sequence of decimal numbers, each with a unit (`ns us µs ms s m h`),
 * e.g. `1m30s`, `500ms`, `1.5h`; a bare `0` is allowed. The result is in milliseconds. Errors carry
 * Go's text (`time: invalid duration "x"`), which Serf prints as is.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

/** Go's largest duration, in ms (2^63 - 1 ns). */
const MAX_MS = 9_223_372_036_854.775

export type DurationResult = { ok: true; ms: number } | { ok: false; error: string }

export function parseGoDuration(text: string): DurationResult {
  const quoted = JSON.stringify(text)
  const invalid: DurationResult = { ok: false, error: `time: invalid duration ${quoted}` }
  let s = text
  let sign = 1
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1
    s = s.slice(1)
  }
  if (s === '0') return { ok: true, ms: 0 }
  if (s === '') return invalid
  let total = 0
  while (s !== '') {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s)!
    if (num[0] === '' || num[0] === '.' || (num[1] === '' && (num[2] ?? '') === '')) return invalid
    s = s.slice(num[0].length)
    const unit = /^[^\d.]*/.exec(s)![0]
    if (unit === '') return { ok: false, error: `time: missing unit in duration ${quoted}` }
    const scale = UNIT_MS[unit]
    if (scale === undefined) return { ok: false, error: `time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}` }
    s = s.slice(unit.length)
    total += Number(`${num[1] === '' ? '0' : num[1]}.${num[2] ?? '0'}`) * scale
    if (total > MAX_MS) return invalid
  }
  return { ok: true, ms: sign * total }
}

/** A duration in ms as Go prints it (`30s`, `1m0s`, `1.5s`, `500ms`): for Serf's log lines. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s'
  if (ms < 1000) return `${ms}ms`
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = (ms % 60_000) / 1000
  const sText = `${Number(s.toFixed(3))}s`
  if (h > 0) return `${h}h${m}m${sText}`
  if (m > 0) return `${m}m${sText}`
  return sText
}
