/**
 * Serf's key text (serf-rpc.md §3 `install-key`…, spec §3.1): Go's `base64.StdEncoding.DecodeString`
 * with its exact error offsets, then memberlist's size rule (16, 24 or 32 bytes).
 *
 * Why a port and not Buffer.from(text, 'base64'): Node skips bad characters and accepts missing
 * padding, while Serf answers `illegal base64 data at input byte N` and `serf keys` prints that text;
 * the RPC server must give the same N (checked against a live agent, see the tests).
 *
 * Go's decoder, quantum by quantum (4 characters, CR and LF skipped anywhere):
 * - input ends inside a quantum → error at the quantum's first counted position (`si - j`);
 * - a character outside the alphabet that is not `=` → error at that character;
 * - `=` as the 1st or 2nd character of a quantum → error at it; after 2 characters a second `=`
 *   must follow (else error at the first `=`, or at the end if the input ends);
 * - anything but CR/LF after the padding → error at its position (data after the padding).
 * Non-strict: the unused low bits of the last quantum may be non-zero (Go StdEncoding is not Strict).
 * Offsets count bytes of the UTF-8 text, as Go's string indexes do.
 */
import { KeyError } from './key-errors.ts'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const INVALID = 0xff
const DECODE = new Uint8Array(256).fill(INVALID)
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i
const PAD = 0x3d // '='
const LF = 0x0a
const CR = 0x0d

/** The key sizes memberlist accepts (AES-128, -192, -256), bytes. */
export const KEY_SIZES: readonly number[] = [16, 24, 32]

export type Base64Result = { ok: true; bytes: Uint8Array } | { ok: false; error: KeyError }

/** Go `base64.StdEncoding.DecodeString(text)`. */
export function decodeGoBase64(text: string): Base64Result {
  const src = new TextEncoder().encode(text)
  const out: number[] = []
  let si = 0
  while (si < src.length) {
    const q = decodeQuantum(src, si, out)
    if (q.errorAt !== null) return { ok: false, error: base64Error(q.errorAt) }
    si = q.si
  }
  return { ok: true, bytes: Uint8Array.from(out) }
}

function base64Error(offset: number): KeyError {
  return new KeyError('ERR_KEY_BASE64', `illegal base64 data at input byte ${offset}`, { offset })
}

const skipNewlines = (src: Uint8Array, si: number): number => {
  while (si < src.length && (src[si] === LF || src[si] === CR)) si++
  return si
}

/** One quantum from `si`: appends its bytes to `out`; Go's decodeQuantum, error offset or null. */
function decodeQuantum(src: Uint8Array, si: number, out: number[]): { si: number; errorAt: number | null } {
  const dbuf = [0, 0, 0, 0]
  let dlen = 4
  let errorAt: number | null = null
  for (let j = 0; j < 4; j++) {
    if (si === src.length) {
      if (j === 0) return { si, errorAt: null } // only newlines were left
      return { si, errorAt: si - j } // StdEncoding pads: a short quantum is an error
    }
    const c = src[si]!
    si++
    const v = DECODE[c]!
    if (v !== INVALID) {
      dbuf[j] = v
      continue
    }
    if (c === LF || c === CR) {
      j--
      continue
    }
    if (c !== PAD || j < 2) return { si, errorAt: si - 1 }
    if (j === 2) {
      // "==" expected; the first '=' is consumed
      si = skipNewlines(src, si)
      if (si === src.length) return { si, errorAt: src.length }
      if (src[si] !== PAD) return { si, errorAt: si - 1 }
      si++
    }
    si = skipNewlines(src, si)
    if (si < src.length) errorAt = si // data after the padding
    dlen = j
    break
  }
  const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!
  const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff]
  for (let k = 0; k < dlen - 1; k++) out.push(bytes[k]!)
  return { si, errorAt }
}

/** memberlist ValidateKey: the same text as Go (`key size must be 16, 24 or 32 bytes`). */
export function checkKeySize(key: Uint8Array): KeyError | null {
  if (KEY_SIZES.includes(key.length)) return null
  return new KeyError('ERR_KEY_SIZE', 'key size must be 16, 24 or 32 bytes', { size: key.length })
}

export type ParsedKey = { ok: true; key: Uint8Array } | { ok: false; error: KeyError }

/**
 * A key as an operator gives it: base64 (Go's errors), then the size check unless `checkSize` is
 * false (Serf's own key operations send any decoded bytes and let each node refuse them; see
 * key-operation-request.ts).
 */
export function parseKeyText(text: string, opts: { checkSize?: boolean } = {}): ParsedKey {
  const decoded = decodeGoBase64(text)
  if (!decoded.ok) return decoded
  if (opts.checkSize !== false) {
    const bad = checkKeySize(decoded.bytes)
    if (bad !== null) return { ok: false, error: bad }
  }
  return { ok: true, key: decoded.bytes }
}

/** Go `base64.StdEncoding.EncodeToString` (padded, standard alphabet), as Serf lists keys. */
export function encodeKeyBase64(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64')
}
