/**
 * crc32: the table path (short inputs) and node:zlib's (long ones) give the same CRC-32/IEEE, at
 * known values and across the threshold; node:zlib is not loaded for short inputs.
 */
import { crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { crc32, NATIVE_MIN_BYTES } from '../../src/wire/crc.ts'
import { runProcess } from '../support/run-process.ts'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

describe('wire - crc32', () => {
  it('has the standard check values', () => {
    expect(crc32(new Uint8Array(0))).toBe(0)
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
    expect(crc32(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339)
  })

  it('agrees with node:zlib at every length around the threshold and on random bytes', () => {
    let seed = 7
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff
    for (const n of [1, 2, 3, 63, 64, 1400, NATIVE_MIN_BYTES - 1, NATIVE_MIN_BYTES, NATIVE_MIN_BYTES + 1, 100_000]) {
      const bytes = Uint8Array.from({ length: n }, rnd)
      expect(crc32(bytes), `length ${n}`).toBe(zlibCrc32(bytes) >>> 0)
    }
  })

  it('does not load node:zlib for short inputs (an idle agent never needs it)', async () => {
    const script = `
      import { crc32 } from ${JSON.stringify(resolve(ROOT, 'src/wire/crc.ts'))}
      crc32(new Uint8Array(1400))
      const before = process.moduleLoadList.includes('NativeModule zlib')
      crc32(new Uint8Array(100000))
      console.log(JSON.stringify({ before, after: process.moduleLoadList.includes('NativeModule zlib') }))
    `
    const r = await runProcess(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeoutMs: 30_000 })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ before: false, after: true })
  }, 40_000)
})
