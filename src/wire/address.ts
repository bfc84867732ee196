/**
 * IP addresses as memberlist carries them (spec §1.8): raw net.IP bytes, 4 for IPv4 (what we send)
 * or 16 (IPv4-mapped `::ffff:a.b.c.d`, or IPv6). Text forms follow Go's net.IP.String.
 */
import { wireError } from './errors.ts'

/** Go's text form: dotted quad for 4 bytes and for IPv4-mapped 16 bytes, RFC 5952 IPv6 otherwise. */
export function formatIp(ip: Uint8Array): string {
  // IPv4 first and without an intermediate array: this runs for every packet's sender.
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`
  if (ip.length !== 16) throw wireError('ERR_WIRE_BAD_LENGTH', `an IP is 4 or 16 bytes, got ${ip.length}`)
  if (isV4Mapped(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((ip[i]! << 8) | ip[i + 1]!)
  // Longest run (≥ 2) of zero groups becomes "::" (first one on ties).
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}

function isV4Mapped(ip: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false
  return ip[10] === 0xff && ip[11] === 0xff
}

/** The IPv4 part of a 4-byte or IPv4-mapped address, else null. */
export function toIpv4(ip: Uint8Array): Uint8Array | null {
  if (ip.length === 4) return ip
  if (ip.length === 16 && isV4Mapped(ip)) return ip.slice(12)
  return null
}

function parseV4(text: string): number[] | null {
  const parts = text.split('.')
  if (parts.length !== 4) return null
  const out: number[] = []
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null
    const n = Number(p)
    if (n > 255) return null
    out.push(n)
  }
  return out
}

/** Parses IP text: IPv4 gives 4 bytes, IPv6 (including `::ffff:a.b.c.d`) 16 bytes. */
export function parseIp(text: string): Uint8Array {
  const v4 = parseV4(text)
  if (v4 !== null) return Uint8Array.from(v4)
  const bad = (): Error => wireError('ERR_WIRE_BAD_LENGTH', `not an IP address: ${JSON.stringify(text)}`)
  if (!text.includes(':')) throw bad()
  let head = text
  let tail: number[] = []
  const lastColon = text.lastIndexOf(':')
  const maybeV4 = text.slice(lastColon + 1)
  if (maybeV4.includes('.')) {
    const q = parseV4(maybeV4)
    if (q === null) throw bad()
    tail = [(q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!]
    head = text.slice(0, lastColon + 1)
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1)
  }
  const parseGroups = (s: string): number[] => {
    if (s === '') return []
    return s.split(':').map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad()
      return parseInt(g, 16)
    })
  }
  let groups: number[]
  const dbl = head.indexOf('::')
  if (dbl >= 0) {
    if (head.indexOf('::', dbl + 1) >= 0) throw bad()
    const left = parseGroups(head.slice(0, dbl))
    const right = parseGroups(head.slice(dbl + 2))
    const fill = 8 - tail.length - left.length - right.length
    if (fill < 1) throw bad()
    groups = [...left, ...new Array<number>(fill).fill(0), ...right, ...tail]
  } else {
    groups = [...parseGroups(head), ...tail]
  }
  if (groups.length !== 8) throw bad()
  const out = new Uint8Array(16)
  groups.forEach((g, i) => {
    out[2 * i] = g >>> 8
    out[2 * i + 1] = g & 0xff
  })
  return out
}
