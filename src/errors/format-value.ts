/**
 * A received value as error messages show it: JSON-ish text that keeps the type visible, so a
 * string "10" reads `"10"` and the number reads `10`; NaN, Infinity, -0, bigints, undefined,
 * functions and binary data are named; arrays and objects show their first entries. Bounded
 * (MAX_CHARS), so a hostile or huge value cannot blow up a log line or an error that crosses a
 * thread.
 */

/** Longest text returned; longer output ends with "…". */
const MAX_CHARS = 80
/** Entries shown of an array or object before "…". */
const MAX_ENTRIES = 4

export function formatValue(value: unknown): string {
  let text: string
  try {
    text = format(value, 0)
  } catch {
    // A getter or proxy trap that throws: the message must still be built.
    text = typeof value === 'object' ? 'an object' : typeof value
  }
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}…` : text
}

function format(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX_CHARS ? `${value.slice(0, MAX_CHARS)}…` : value)
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value)
    case 'bigint':
      return `${value}n`
    case 'boolean':
    case 'undefined':
      return String(value)
    case 'symbol':
      return value.toString()
    case 'function':
      return value.name === '' ? 'a function' : `function ${value.name}`
  }
  if (value === null) return 'null'
  const obj = value as object
  if (ArrayBuffer.isView(obj)) return `${obj.constructor.name}(${obj.byteLength} bytes)`
  if (obj instanceof ArrayBuffer) return `ArrayBuffer(${obj.byteLength} bytes)`
  if (obj instanceof Map || obj instanceof Set) return `${obj.constructor.name}(${obj.size})`
  if (obj instanceof Date) return `Date(${Number.isNaN(obj.getTime()) ? 'invalid' : obj.toISOString()})`
  if (obj instanceof Error) return `${obj.name}(${JSON.stringify(obj.message)})`
  if (Array.isArray(obj)) {
    if (depth > 0) return `Array(${obj.length})`
    const shown = obj.slice(0, MAX_ENTRIES).map((v) => format(v, depth + 1))
    return `[${shown.join(', ')}${obj.length > MAX_ENTRIES ? ', …' : ''}]`
  }
  const proto = Object.getPrototypeOf(obj) as object | null
  const name = proto === null || proto === Object.prototype ? '' : `${(proto.constructor as { name?: string } | undefined)?.name ?? 'Object'} `
  if (depth > 0) return `${name}{…}`
  const keys = Object.keys(obj)
  const shown = keys.slice(0, MAX_ENTRIES).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${format((obj as Record<string, unknown>)[k], depth + 1)}`)
  return `${name}{${shown.join(', ')}${keys.length > MAX_ENTRIES ? ', …' : ''}}`
}
