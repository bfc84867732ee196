/**
 * Coded errors of the wire codec. Every malformed input ends in one of these (never an untyped
 * exception), so a receiver can count drops by `code`. Codes are stable once published.
 */
import { ClusterError } from '../errors/cluster-error.ts'

export const WIRE_ERROR_CODES = [
  /** The input ended before a declared length, header or value was complete. */
  'ERR_WIRE_TRUNCATED',
  /** A message, wrapper or stream was empty where Go would index byte 0. */
  'ERR_WIRE_EMPTY',
  /** A msgpack value had a type Go's decoder refuses for that field (e.g. bin in a string field). */
  'ERR_WIRE_TYPE_MISMATCH',
  /** An integer did not fit the field (overflow, or negative into unsigned). */
  'ERR_WIRE_INT_RANGE',
  /** A msgpack byte that no decoder accepts (0xc1), or a malformed structure. */
  'ERR_WIRE_MALFORMED',
  /** A memberlist or Serf message type byte that is unknown or not allowed in this position. */
  'ERR_WIRE_UNKNOWN_TYPE',
  /** A length field disagrees with the bytes present or with the format (e.g. a 3-byte IP). */
  'ERR_WIRE_BAD_LENGTH',
  /** The CRC-32 of a hasCrc wrapper did not match. */
  'ERR_WIRE_BAD_CRC',
  /** No key of the keyring opened the ciphertext (wrong key, tampered data or bad version byte). */
  'ERR_WIRE_DECRYPT',
  /** Encrypted input arrived and no keyring was given, or plaintext arrived where encryption is required. */
  'ERR_WIRE_ENCRYPTION_REQUIRED',
  /** A key had the wrong size or was not valid base64. */
  'ERR_WIRE_BAD_KEY',
  /** LZW data was corrupt (invalid code, missing EOF code) or used an unknown algorithm. */
  'ERR_WIRE_LZW_CORRUPT',
  /** A declared or decompressed size passed the configured bound. */
  'ERR_WIRE_TOO_LARGE',
  /** Wrappers or msgpack values were nested deeper than the configured bound. */
  'ERR_WIRE_TOO_DEEP',
  /** A value given to an encoder cannot be represented on the wire (out of range, wrong size). */
  'ERR_WIRE_ENCODE',
  /** Text given as hex was not hex (a non-hex character, named with its offset, or an odd digit count). */
  'ERR_WIRE_BAD_HEX',
  /** Blank text where hex input was expected (e.g. a blank line given to `gossamer decode -`). */
  'ERR_WIRE_EMPTY_INPUT',
  /** A bug: a non-coded exception escaped the codec (wrapped so that callers still get a code). */
  'ERR_WIRE_INTERNAL',
] as const

export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number]

/** Thrown when bytes cannot be decoded, or values cannot be encoded, as Go's memberlist/Serf would. */
export class WireCodecError extends ClusterError {
  static override name = 'WireCodecError'
  declare readonly code: WireErrorCode
  constructor(code: WireErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options)
  }
}

/** Shorthand used throughout the codec. */
export function wireError(code: WireErrorCode, message: string, details?: Record<string, unknown>): WireCodecError {
  return new WireCodecError(code, message, details === undefined ? {} : { details })
}

/** Runs `fn`, turning any non-coded exception into ERR_WIRE_INTERNAL so nothing escapes untyped. */
export function guarded<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof ClusterError) throw err
    const message = err instanceof Error ? err.message : String(err)
    throw new WireCodecError('ERR_WIRE_INTERNAL', `${what}: ${message}`, { cause: err })
  }
}
