/** Hex text <-> bytes, for vectors, JSON and the decode CLI. */
import { wireError } from './errors.ts'

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Parses hex, ignoring whitespace and an optional 0x prefix. */
export function fromHex(text: string): Uint8Array {
  let t = text.replace(/\s+/g, '')
  if (t.startsWith('0x') || t.startsWith('0X')) t = t.slice(2)
  if (t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) throw wireError('ERR_WIRE_BAD_HEX', 'input is not an even number of hex digits')
  return new Uint8Array(Buffer.from(t, 'hex'))
}
