import { describe, expect, it } from 'vitest'
import { formatIp, parseIp, toIpv4, WireCodecError } from '../../src/wire/index.ts'

describe('wire - address', () => {
  it('formats 4-byte, IPv4-mapped and IPv6 addresses as Go prints them', () => {
    expect(formatIp(Uint8Array.of(127, 0, 0, 1))).toBe('127.0.0.1')
    expect(formatIp(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 10, 1))).toBe('192.168.10.1')
    expect(formatIp(parseIp('::1'))).toBe('::1')
    expect(formatIp(parseIp('fe80::1:0:0:2'))).toBe('fe80::1:0:0:2')
    expect(formatIp(parseIp('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1')
    expect(formatIp(new Uint8Array(16))).toBe('::')
    expect(() => formatIp(Uint8Array.of(1, 2, 3))).toThrow(WireCodecError)
  })

  it('parses IPv4 to 4 bytes and IPv6 (with embedded IPv4) to 16 bytes', () => {
    expect(parseIp('10.0.0.2')).toEqual(Uint8Array.of(10, 0, 0, 2))
    expect(parseIp('::ffff:10.0.0.2')).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2))
    expect(toIpv4(parseIp('::ffff:10.0.0.2'))).toEqual(Uint8Array.of(10, 0, 0, 2))
    expect(toIpv4(parseIp('::1'))).toBeNull()
    expect(parseIp('1:2:3:4:5:6:7:8').length).toBe(16)
    for (const bad of ['', '1.2.3', '256.1.1.1', '1::2::3', 'x::1', '1:2:3:4:5:6:7:8:9', 'a.b.c.d']) {
      expect(() => parseIp(bad), bad).toThrow(WireCodecError)
    }
  })
})
