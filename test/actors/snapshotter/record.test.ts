import { describe, expect, it } from 'vitest'
import { addressProblem, formatTcpAddr, parseIpv4, parseLine, parseU64 } from '../../../actors/snapshotter/record.ts'
import { checksumLine, crc32, parseChecksumLine } from '../../../actors/snapshotter/checksum.ts'

describe('snapshotter - record', () => {
  it('classifies every line kind as Serf does', () => {
    const table: Array<[string, unknown]> = [
      ['alive: a 127.0.0.1:7946', { kind: 'alive', name: 'a', addr: '127.0.0.1:7946' }],
      ['alive: my node 10.0.0.1:1', { kind: 'alive', name: 'my node', addr: '10.0.0.1:1' }],
      ['alive: nospace', { kind: 'bad', reason: 'alive line without an address' }],
      ['not-alive: my node', { kind: 'not-alive', name: 'my node' }],
      ['clock: 12', { kind: 'clock', ltime: 12n }],
      ['event-clock: 18446744073709551615', { kind: 'event-clock', ltime: 18446744073709551615n }],
      ['query-clock: 3', { kind: 'query-clock', ltime: 3n }],
      ['coordinate: {"x":1}', { kind: 'coordinate' }],
      ['leave', { kind: 'leave' }],
      ['# hi', { kind: 'comment', text: '# hi' }],
      ['leave ', { kind: 'unknown' }],
      ['alive:x 1', { kind: 'unknown' }],
      ['', { kind: 'unknown' }],
    ]
    for (const [line, want] of table) expect(parseLine(line), line).toEqual(want)
    expect(parseLine('clock: -1').kind).toBe('bad')
    expect(parseLine('clock: 18446744073709551616').kind).toBe('bad')
    expect(parseLine('query-clock: 1x').kind).toBe('bad')
  })

  it('refuses an alive address without a port in 0..65535 (a rejoin could never use it)', () => {
    expect(parseLine('alive: p 127.0.0.1:99999')).toEqual({ kind: 'bad', reason: 'alive address "127.0.0.1:99999": port must be 0..65535' })
    expect(parseLine('alive: p 127.0.0.1:65536').kind).toBe('bad')
    expect(parseLine('alive: p 127.0.0.1:-1').kind).toBe('bad')
    expect(parseLine('alive: p 127.0.0.1:').kind).toBe('bad')
    expect(parseLine('alive: p 127.0.0.1').kind).toBe('bad')
    expect(parseLine('alive: p 127.0.0.1:65535')).toEqual({ kind: 'alive', name: 'p', addr: '127.0.0.1:65535' })
    expect(parseLine('alive: p [::1]:0')).toEqual({ kind: 'alive', name: 'p', addr: '[::1]:0' })
    expect(addressProblem('10.0.0.1:7946')).toBeUndefined()
  })

  it('parses u64 like strconv.ParseUint base 10', () => {
    expect(parseU64('0')).toBe(0n)
    expect(parseU64('+1')).toBeUndefined()
    expect(parseU64(' 1')).toBeUndefined()
    expect(parseU64('')).toBeUndefined()
  })

  it('formats addresses like Go net.TCPAddr.String', () => {
    expect(formatTcpAddr(new Uint8Array([127, 0, 0, 1]), 7946)).toBe('127.0.0.1:7946')
    const mapped = new Uint8Array(16)
    mapped.set([0xff, 0xff, 10, 1, 2, 3], 10)
    expect(formatTcpAddr(mapped, 1)).toBe('10.1.2.3:1')
    const v6 = new Uint8Array(16)
    v6.set([0x20, 0x01, 0x0d, 0xb8], 0)
    v6[15] = 1
    expect(formatTcpAddr(v6, 80)).toBe('[2001:db8::1]:80')
    const loop = new Uint8Array(16)
    loop[15] = 1
    expect(formatTcpAddr(loop, 80)).toBe('[::1]:80')
    // one zero group is not shortened; the first of two equal runs is
    const g = new Uint8Array([0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0])
    expect(formatTcpAddr(g, 9)).toBe('[1:0:2::3:0:0]:9')
    expect(formatTcpAddr(new Uint8Array(0), 5)).toBe(':5')
    expect(parseIpv4('10.0.0.255')).toEqual(new Uint8Array([10, 0, 0, 255]))
    expect(parseIpv4('10.0.0.256')).toBeUndefined()
  })

  it('computes IEEE CRC-32 and round-trips checksum lines', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    const line = checksumLine(0xcbf43926, 9)
    expect(line).toBe('# gossamer-crc32 cbf43926 9\n')
    expect(parseChecksumLine(line.slice(0, -1))).toEqual({ crc: 0xcbf43926, length: 9 })
    expect(parseChecksumLine('# gossamer-crc32 zz 9')).toBeUndefined()
    expect(parseChecksumLine('# other')).toBeUndefined()
  })
})
