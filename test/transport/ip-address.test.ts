import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { canonicalIp, formatIp, parseIp } from '../../src/transport/ip-address.ts'
import { formatAddress, formatHostPort, ipBytes, parseAddress } from '../../src/transport/transport.ts'

describe('ip-address', () => {
  it.each([
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    // RFC 5952 §4.2.3: the first of two equally long runs; §4.2.2: a single zero group stays.
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['fe80::', 'fe80::'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::ffff:0a01:0203', '10.1.2.3'],
    ['10.0.0.7', '10.0.0.7'],
  ])('canonical form of %s is %s', (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical)
  })

  // An embedded IPv4 part only ends an address (RFC 4291 §2.2): '1.2.3.4::1' is refused, as by net.isIP.
  it.each(['fe80::1%eth0', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '12345::', '1.2.3', '1.2.3.256', 'localhost', '', '1.2.3.4::1', 'fe80:1.2.3.4::'])(
    'refuses %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined()
      expect(() => ipBytes(text)).toThrow(expect.objectContaining({ code: 'ERR_TRANSPORT_ADDRESS' }))
    },
  )

  it('writes IPv6 as the WHATWG URL serializer does and parses it back (property)', () => {
    // Zero-heavy groups so that runs of zeros (and ties between runs) are common.
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }))
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const bytes = new Uint8Array(16)
        groups.forEach((g, i) => {
          bytes[2 * i] = g >> 8
          bytes[2 * i + 1] = g & 0xff
        })
        const text = formatIp(bytes)!
        const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff
        if (!mapped) expect(`[${text}]`).toBe(new URL(`http://[${text}]/`).hostname)
        expect([...parseIp(text)!]).toEqual(mapped ? [...bytes.subarray(12)] : [...bytes])
      }),
      { numRuns: 500 },
    )
  })

  it('formats transport addresses with brackets for IPv6, the same from bytes and from socket text', () => {
    expect(formatAddress(ipBytes('::1'), 7946)).toBe('[::1]:7946')
    expect(formatHostPort('0:0:0:0:0:0:0:1', 7946)).toBe('[::1]:7946')
    expect(formatHostPort('::ffff:127.0.0.1', 80)).toBe('127.0.0.1:80')
    expect(formatHostPort('localhost', 80)).toBe('localhost:80')
    expect(parseAddress('[2001:db8::1]:7946')).toEqual({ host: '2001:db8::1', port: 7946 })
  })
})
