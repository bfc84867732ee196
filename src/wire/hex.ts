/** Hex text <-> bytes, for vectors, JSON and the decode CLI. */
import { wireError } from './errors.ts'

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
}

/**
 * Parses hex, ignoring whitespace and an optional 0x prefix. Fails with ERR_WIRE_BAD_HEX naming
 * the offset (in `text`) of the first character that is not a hex digit, or saying that the count
 * of digits is odd.
 */
export function fromHex(text: string): Uint8Array {
  let i = 0
  while (i < text.length && /\s/.test(text[i]!)) i++
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) i += 2
  const begin = i
  let clean = true
  let digits = 0
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (isHexDigit(c)) digits++
    else if (/\s/.test(text[i]!)) clean = false
    else {
      const shown = JSON.stringify(String.fromCodePoint(text.codePointAt(i)!))
      throw wireError('ERR_WIRE_BAD_HEX', `not a hex digit: ${shown} at offset ${i}`, { offset: i })
    }
  }
  if (digits % 2 !== 0) throw wireError('ERR_WIRE_BAD_HEX', `odd number of hex digits (${digits})`, { digits })
  const hex = clean ? text.slice(begin) : text.slice(begin).replace(/\s+/g, '')
  return new Uint8Array(Buffer.from(hex, 'hex'))
}
