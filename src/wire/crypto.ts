/**
 * AES-GCM as memberlist seals packets and streams (spec §3.2): `[vsn][nonce:12][ciphertext||tag:16]`.
 * Version 1 seals the plaintext as is (what Serf sends); version 0 pads it with PKCS7 to 16 bytes
 * first (memberlist protocol 1). Both are accepted on receive. The additional data is empty for
 * UDP packets and the 5-byte `[10][len]` header for stream frames.
 */
import type * as NodeCrypto from 'node:crypto'
import { wireError } from './errors.ts'
import type { Keyring } from './keyring.ts'

export const NONCE_SIZE = 12
export const TAG_SIZE = 16
const BLOCK = 16
/** Bytes added by version 1 encryption (budget constant). */
export const ENCRYPT_OVERHEAD = 1 + NONCE_SIZE + TAG_SIZE
/** Bytes version 0 may add at most (budget constant of memberlist). */
export const ENCRYPT_OVERHEAD_V0 = ENCRYPT_OVERHEAD + BLOCK

export type EncryptionVersion = 0 | 1

/**
 * node:crypto, loaded (synchronously) at the first seal, open or nonce: a node without a key never
 * loads it, and it costs ~1.4 MB of resident memory once loaded (issue 13: an agent's RSS).
 */
let cryptoModule: typeof NodeCrypto | undefined
const nodeCrypto = (): typeof NodeCrypto => (cryptoModule ??= process.getBuiltinModule('node:crypto'))

/** Where nonces come from: 12 random bytes per call. Tests pass a deterministic source. */
export type NonceSource = () => Uint8Array

export const randomNonce: NonceSource = () => new Uint8Array(nodeCrypto().randomBytes(NONCE_SIZE))

const EMPTY = new Uint8Array(0)

function algorithm(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm'
}

export interface Sealed {
  bytes: Uint8Array
  nonce: Uint8Array
}

/** Seals `plain` with `key`. */
export function encryptPayload(
  key: Uint8Array,
  plain: Uint8Array,
  options: { version?: EncryptionVersion; nonce?: Uint8Array; additionalData?: Uint8Array } = {},
): Uint8Array {
  const version = options.version ?? 1
  const nonce = options.nonce ?? randomNonce()
  if (nonce.length !== NONCE_SIZE) throw wireError('ERR_WIRE_ENCODE', `a nonce is ${NONCE_SIZE} bytes`)
  let data = plain
  if (version === 0) {
    const pad = BLOCK - (plain.length % BLOCK)
    data = new Uint8Array(plain.length + pad)
    data.set(plain)
    data.fill(pad, plain.length)
  }
  const cipher = nodeCrypto().createCipheriv(algorithm(key), key, nonce)
  cipher.setAAD(options.additionalData ?? EMPTY)
  const body = cipher.update(data)
  cipher.final()
  const tag = cipher.getAuthTag()
  const out = new Uint8Array(ENCRYPT_OVERHEAD + body.length)
  out[0] = version
  out.set(nonce, 1)
  out.set(body, 1 + NONCE_SIZE)
  out.set(tag, 1 + NONCE_SIZE + body.length)
  return out
}

export interface Opened {
  plain: Uint8Array
  version: EncryptionVersion
  nonce: Uint8Array
  /** Index in the keyring of the key that opened it. */
  keyIndex: number
}

/** Opens a sealed payload with the first keyring key that authenticates it. */
export function decryptPayload(keyring: Keyring, sealed: Uint8Array, additionalData: Uint8Array = EMPTY): Opened {
  if (sealed.length === 0) throw wireError('ERR_WIRE_EMPTY', 'empty encrypted payload')
  const version = sealed[0]!
  if (version > 1) throw wireError('ERR_WIRE_DECRYPT', `unsupported encryption version ${version}`)
  const min = version === 0 ? ENCRYPT_OVERHEAD_V0 : ENCRYPT_OVERHEAD
  if (sealed.length < min) throw wireError('ERR_WIRE_TRUNCATED', `encrypted payload of ${sealed.length} bytes is shorter than ${min}`)
  const nonce = sealed.subarray(1, 1 + NONCE_SIZE)
  const body = sealed.subarray(1 + NONCE_SIZE, sealed.length - TAG_SIZE)
  const tag = sealed.subarray(sealed.length - TAG_SIZE)
  for (let i = 0; i < keyring.keys.length; i++) {
    const key = keyring.keys[i]!
    let plain: Uint8Array
    try {
      const decipher = nodeCrypto().createDecipheriv(algorithm(key), key, nonce)
      decipher.setAAD(additionalData)
      decipher.setAuthTag(tag)
      const head = decipher.update(body)
      decipher.final()
      plain = new Uint8Array(head)
    } catch {
      continue
    }
    if (version === 0) plain = unpad(plain)
    return { plain, version: version as EncryptionVersion, nonce: Uint8Array.from(nonce), keyIndex: i }
  }
  throw wireError('ERR_WIRE_DECRYPT', `no installed key opens this payload (${keyring.keys.length} tried)`)
}

function unpad(padded: Uint8Array): Uint8Array {
  const n = padded.length
  const pad = n === 0 ? 0 : padded[n - 1]!
  // memberlist trusts the last byte; a bad value would slice out of range in Go. Refuse instead.
  if (pad === 0 || pad > BLOCK || pad > n) throw wireError('ERR_WIRE_DECRYPT', `bad PKCS7 padding ${pad}`)
  return padded.slice(0, n - pad)
}
