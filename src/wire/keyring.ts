/**
 * The encryption keyring (spec §3.1): an ordered list of AES keys (16, 24 or 32 bytes) whose first
 * entry is the primary, used for sending; receiving tries every key in order. Immutable: the
 * install/use/remove operations return a new Keyring, so a decoder never sees a ring change midway.
 */
import { wireError } from './errors.ts'

const KEY_SIZES = new Set([16, 24, 32])
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export class Keyring {
  readonly keys: readonly Uint8Array[]

  /** `keys[0]` is the primary. At least one key; each 16, 24 or 32 bytes; duplicates dropped. */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw wireError('ERR_WIRE_BAD_KEY', 'a keyring needs at least one key')
    const unique: Uint8Array[] = []
    for (const k of keys) {
      checkKey(k)
      if (!unique.some((u) => equalBytes(u, k))) unique.push(Uint8Array.from(k))
    }
    this.keys = unique
  }

  /** From Serf's key text (`serf keygen`, `-encrypt`, the keyring file's JSON array). */
  static fromBase64(texts: readonly string[]): Keyring {
    return new Keyring(texts.map(decodeKeyText))
  }

  get primary(): Uint8Array {
    return this.keys[0]!
  }

  /** Adds a key at the end (memberlist AddKey); a key already present is left where it is. */
  withKey(key: Uint8Array): Keyring {
    return new Keyring([...this.keys, key])
  }

  /** Makes an installed key the primary (memberlist UseKey). */
  withPrimary(key: Uint8Array): Keyring {
    if (!this.has(key)) throw wireError('ERR_WIRE_BAD_KEY', 'the key is not installed')
    return new Keyring([key, ...this.keys.filter((k) => !equalBytes(k, key))])
  }

  /** Removes a key (memberlist RemoveKey); the primary cannot be removed. */
  withoutKey(key: Uint8Array): Keyring {
    if (equalBytes(this.primary, key)) throw wireError('ERR_WIRE_BAD_KEY', 'the primary key cannot be removed')
    return new Keyring(this.keys.filter((k) => !equalBytes(k, key)))
  }

  has(key: Uint8Array): boolean {
    return this.keys.some((k) => equalBytes(k, key))
  }

  /** Keys as Serf prints them (base64). */
  toBase64(): string[] {
    return this.keys.map((k) => Buffer.from(k).toString('base64'))
  }
}

export function checkKey(key: Uint8Array): void {
  if (!KEY_SIZES.has(key.length)) throw wireError('ERR_WIRE_BAD_KEY', `a key is 16, 24 or 32 bytes, got ${key.length}`)
}

/** Decodes one base64 key and checks its size. */
export function decodeKeyText(text: string): Uint8Array {
  const t = text.trim()
  if (t.length === 0 || t.length % 4 !== 0 || !BASE64.test(t)) throw wireError('ERR_WIRE_BAD_KEY', 'a key must be base64 text')
  const key = new Uint8Array(Buffer.from(t, 'base64'))
  checkKey(key)
  return key
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
