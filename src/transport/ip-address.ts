/**
 * IP text and raw bytes for the transport, as `undefined` instead of a coded wire error so a
 * caller can fall back (a hostname stays as given) or throw its own ERR_TRANSPORT_ADDRESS.
 * The formatting and parsing are src/wire/address.ts's, the single source of the canonical text:
 * IPv4 dotted quad; IPv6 as RFC 5952 (lowercase, no leading zeros, the longest run of two or more
 * zero groups as "::"); IPv4-mapped IPv6 (::ffff:a.b.c.d) as its IPv4 form. One formatter, so an
 * address formatted from the wire and one reported by a socket compare equal.
 */
import { formatIp as formatWireIp, parseIp as parseWireIp } from '../wire/address.ts'
import { WireCodecError } from '../wire/errors.ts'

/** IPv4 or IPv6 text to 4 or 16 bytes; undefined if it is neither (zone ids are not accepted). */
export function parseIp(text: string): Uint8Array | undefined {
  try {
    return parseWireIp(text)
  } catch (err) {
    if (err instanceof WireCodecError) return undefined
    throw err
  }
}

/** 4 or 16 raw bytes to canonical text; undefined for any other length. */
export function formatIp(ip: Uint8Array): string | undefined {
  return ip.length === 4 || ip.length === 16 ? formatWireIp(ip) : undefined
}

/** Canonical text of an IP given as text (undefined if it is not an IP literal). */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text)
  return ip === undefined ? undefined : formatIp(ip)
}
