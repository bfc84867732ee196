import { describe, expect, it } from 'vitest'
import { createDecipheriv } from 'node:crypto'
import { decodeKeyText, decryptPayload, encryptPayload, Keyring } from '../../src/wire/index.ts'
import { codeOf } from './helpers.ts'

const k16 = new Uint8Array(16).fill(1)
const k24 = new Uint8Array(24).fill(2)
const k32 = new Uint8Array(32).fill(3)
const nonce = Uint8Array.from({ length: 12 }, (_, i) => i)
const plain = new TextEncoder().encode('hello memberlist')

describe('wire - keyring', () => {
  it('accepts 16, 24 and 32-byte keys, primary first, and refuses other sizes', () => {
    const ring = new Keyring([k32, k16, k24])
    expect(ring.primary).toEqual(k32)
    expect(ring.keys.length).toBe(3)
    expect(codeOf(() => new Keyring([new Uint8Array(15)]))).toBe('ERR_WIRE_BAD_KEY')
    expect(codeOf(() => new Keyring([]))).toBe('ERR_WIRE_BAD_KEY')
  })

  it("reads Serf's base64 key text and refuses garbage", () => {
    const text = Buffer.from(k32).toString('base64')
    expect(decodeKeyText(text)).toEqual(k32)
    expect(Keyring.fromBase64([text]).toBase64()).toEqual([text])
    expect(codeOf(() => decodeKeyText('not base64!'))).toBe('ERR_WIRE_BAD_KEY')
    expect(codeOf(() => decodeKeyText(Buffer.from(new Uint8Array(10)).toString('base64')))).toBe('ERR_WIRE_BAD_KEY')
  })

  it('installs, uses and removes keys without touching the original ring', () => {
    const ring = new Keyring([k16])
    const two = ring.withKey(k32)
    expect(ring.keys.length).toBe(1)
    expect(two.withKey(k32).keys.length).toBe(2)
    const swapped = two.withPrimary(k32)
    expect(swapped.primary).toEqual(k32)
    expect(swapped.withoutKey(k16).keys).toEqual([k32])
    expect(codeOf(() => swapped.withoutKey(k32))).toBe('ERR_WIRE_BAD_KEY')
    expect(codeOf(() => ring.withPrimary(k24))).toBe('ERR_WIRE_BAD_KEY')
  })
})

describe('wire - crypto', () => {
  it('seals version 1 as [1][nonce][ciphertext||tag] (standard AES-GCM, no padding)', () => {
    const sealed = encryptPayload(k32, plain, { nonce })
    expect(sealed.length).toBe(1 + 12 + plain.length + 16)
    expect(sealed[0]).toBe(1)
    expect(sealed.subarray(1, 13)).toEqual(nonce)
    // open it with node:crypto directly: the format is plain GCM
    const d = createDecipheriv('aes-256-gcm', k32, nonce)
    d.setAuthTag(sealed.subarray(sealed.length - 16))
    const out = Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()])
    expect(new Uint8Array(out)).toEqual(plain)
  })

  it('seals version 0 with PKCS7 padding and opens both versions with every key size', () => {
    for (const key of [k16, k24, k32]) {
      const ring = new Keyring([key])
      const v0 = encryptPayload(key, plain, { version: 0, nonce })
      expect(v0[0]).toBe(0)
      expect(v0.length).toBe(1 + 12 + 32 + 16) // 16 bytes of input pad to 32
      expect(decryptPayload(ring, v0).plain).toEqual(plain)
      expect(decryptPayload(ring, encryptPayload(key, plain)).plain).toEqual(plain)
    }
  })

  it('tries every key in order and reports which one opened the payload', () => {
    const ring = new Keyring([k16, k24, k32])
    const opened = decryptPayload(ring, encryptPayload(k32, plain, { nonce }))
    expect(opened.keyIndex).toBe(2)
    expect(opened.nonce).toEqual(nonce)
    expect(opened.version).toBe(1)
  })

  it('binds the additional data (stream header)', () => {
    const ad = Uint8Array.of(10, 0, 0, 0, 45)
    const sealed = encryptPayload(k16, plain, { additionalData: ad })
    expect(decryptPayload(new Keyring([k16]), sealed, ad).plain).toEqual(plain)
    expect(codeOf(() => decryptPayload(new Keyring([k16]), sealed))).toBe('ERR_WIRE_DECRYPT')
  })

  it('reports wrong keys, tampering, bad versions and short payloads with codes', () => {
    const sealed = encryptPayload(k16, plain)
    expect(codeOf(() => decryptPayload(new Keyring([k32]), sealed))).toBe('ERR_WIRE_DECRYPT')
    const tampered = sealed.slice()
    tampered[20]! ^= 1
    expect(codeOf(() => decryptPayload(new Keyring([k16]), tampered))).toBe('ERR_WIRE_DECRYPT')
    const v2 = sealed.slice()
    v2[0] = 2
    expect(codeOf(() => decryptPayload(new Keyring([k16]), v2))).toBe('ERR_WIRE_DECRYPT')
    expect(codeOf(() => decryptPayload(new Keyring([k16]), sealed.subarray(0, 28)))).toBe('ERR_WIRE_TRUNCATED')
    expect(codeOf(() => decryptPayload(new Keyring([k16]), Uint8Array.of(0, ...new Uint8Array(40))))).toBe('ERR_WIRE_TRUNCATED')
    expect(codeOf(() => decryptPayload(new Keyring([k16]), new Uint8Array(0)))).toBe('ERR_WIRE_EMPTY')
  })
})
