import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkKeySize, decodeGoBase64, encodeKeyBase64, parseKeyText } from '../../../actors/serf-events/key-base64.ts'

const A = (n: number) => 'A'.repeat(n)

describe('Go base64.StdEncoding.DecodeString', () => {
  // Each error offset below was printed by a live serf agent on this machine
  // (`serf keys -install=<text>` → `Error installing key: illegal base64 data at input byte N`).
  it.each([
    ['abc$', 3],
    ['A', 0],
    ['AB', 0],
    ['ABC', 0],
    ['ABCD=', 4],
    ['AB=C', 2],
    ['A===', 1],
    ['AB==CD', 4],
    ['ABC=D', 4],
    ['AAAA AAAA', 4],
    ['AAAAAA=', 7],
    ['=AAA', 0],
    ['é', 0],
    ['AB=\\r\\n=', 2], // literal backslashes, as the shell passed them
    ['AAAA\\r\\n', 4],
  ])('%j → illegal base64 data at input byte %i (observed)', (text, offset) => {
    const r = decodeGoBase64(text)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('ERR_KEY_BASE64')
    expect(r.error.message).toBe(`illegal base64 data at input byte ${offset}`)
    expect(r.error.details).toEqual({ offset })
  })

  // Accepted by the live agent, which then sent the decoded bytes to the nodes.
  it.each([
    ['AAAA\nAAAA', 6], // newlines are skipped
    [A(22) + '==', 16],
    [A(43) + '=', 32],
    [A(44), 33],
    ['', 0],
  ])('%j decodes to %i bytes (observed)', (text, size) => {
    const r = decodeGoBase64(text)
    expect(r.ok && r.bytes.length).toBe(size)
  })

  // Derived from Go's decodeQuantum (not observed live): CR/LF inside and after the padding.
  it.each([
    ['AB=\r\n=', { ok: true, size: 1 }],
    ['AB=\n', { ok: false, offset: 4 }], // one '=' then the end: "not enough padding" at len
    ['AB==\r\n', { ok: true, size: 1 }],
    ['AB==\nA', { ok: false, offset: 5 }],
    ['A\n', { ok: false, offset: 1 }],
    ['\n\n', { ok: true, size: 0 }],
    ['AB==', { ok: true, size: 1 }],
    ['AB/+', { ok: true, size: 3 }],
    ['AB-_', { ok: false, offset: 2 }], // URL alphabet is not StdEncoding
  ] as [string, { ok: boolean; size?: number; offset?: number }][])('%j (derived) → %j', (text, want) => {
    const r = decodeGoBase64(text)
    if (want.ok) expect(r.ok && r.bytes.length).toBe(want.size)
    else expect(!r.ok && r.error.message).toBe(`illegal base64 data at input byte ${want.offset}`)
  })

  it('decodes the bits, not just the length, and round-trips with encodeKeyBase64 for every size', () => {
    const primary = 'Tpih5uJC1l+j9D39H1Ho2arflzVUp/ycLYj2S4/k8QU='
    const r = decodeGoBase64(primary)
    expect(r.ok && Buffer.from(r.bytes).equals(Buffer.from(primary, 'base64'))).toBe(true)
    for (const n of [0, 1, 2, 3, 16, 24, 32, 33]) {
      const key = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff)
      const back = decodeGoBase64(encodeKeyBase64(key))
      expect(back.ok && Array.from(back.bytes)).toEqual(Array.from(key))
    }
    // Go is not strict: non-zero unused bits of the last quantum are accepted (Node agrees here).
    const loose = decodeGoBase64('AB==')
    expect(loose.ok && Array.from(loose.bytes)).toEqual([0])
  })
})

describe('key size and parseKeyText', () => {
  it.each([
    [15, false],
    [16, true],
    [24, true],
    [32, true],
    [33, false],
    [0, false],
  ])('%i bytes → accepted %s, with memberlist\'s text', (size, ok) => {
    const err = checkKeySize(new Uint8Array(size))
    if (ok) expect(err).toBeNull()
    else expect(err).toMatchObject({ code: 'ERR_KEY_SIZE', message: 'key size must be 16, 24 or 32 bytes', details: { size } })
  })

  it.each([
    [A(22) + '==', { ok: true }, { ok: true }],
    [A(44), { code: 'ERR_KEY_SIZE' }, { ok: true }],
    ['abc$', { code: 'ERR_KEY_BASE64' }, { code: 'ERR_KEY_BASE64' }],
  ])('%j: checked %j, unchecked %j', (text, checked, unchecked) => {
    const a = parseKeyText(text)
    const b = parseKeyText(text, { checkSize: false })
    for (const [r, want] of [[a, checked], [b, unchecked]] as const) {
      if ('ok' in want) expect(r.ok).toBe(true)
      else expect(!r.ok && r.error.code).toBe(want.code)
    }
  })
})

describe('properties', () => {
  it('every padded standard encoding decodes back to its bytes (as Node decodes it)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = decodeGoBase64(Buffer.from(bytes).toString('base64'))
        return r.ok && Buffer.from(r.bytes).equals(Buffer.from(bytes))
      }),
    )
  })

  it('any text: a result or a coded error with an offset inside the input, never a throw', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AB+/=\r\n$é'.split('')), maxLength: 24 }), (text) => {
        const r = decodeGoBase64(text)
        if (r.ok) return Buffer.from(r.bytes).equals(Buffer.from(text.replace(/[\r\n]/g, ''), 'base64'))
        const offset = r.error.details?.['offset'] as number
        return r.error.code === 'ERR_KEY_BASE64' && offset >= 0 && offset <= Buffer.byteLength(text)
      }),
    )
  })
})
