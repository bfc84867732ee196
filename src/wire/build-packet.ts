/**
 * Go's send pipeline for a UDP packet (memberlist's rawSendMsgPacket): already-encoded messages
 * become one datagram, then compress when smaller, CRC, encrypt. Separate from packet.ts because
 * sending builds bytes straight from encoded messages and never builds the node tree that
 * decodePacket/encodePacket work on.
 */
import type { EncryptionVersion, NonceSource } from './crypto.ts'
import { encryptPayload } from './crypto.ts'
import { guarded, wireError } from './errors.ts'
import type { Keyring } from './keyring.ts'
import { makeCompound } from './compound.ts'
import { compressMessage, wrapCrc } from './wrappers.ts'

export interface BuildPacketOptions {
  /** memberlist EnableCompression: compress when the result is strictly smaller. */
  compress?: boolean
  /** Add the CRC wrapper (the destination's PMax ≥ 5). */
  crc?: boolean
  /** Encrypt with the primary key (GossipVerifyOutgoing). */
  keyring?: Keyring | null
  /** Encryption version: 1 (Serf) unless memberlist protocol 1 is in use. */
  encryptionVersion?: EncryptionVersion
  nonce?: NonceSource
}

/**
 * Go's rawSendMsgPacket for already-encoded messages: one message goes bare, several become a
 * compound (the caller keeps them within the budget, see packCompound); then compress when
 * smaller, CRC, encrypt.
 */
export function buildPacket(messages: readonly Uint8Array[], options: BuildPacketOptions = {}): Uint8Array {
  return guarded('buildPacket', () => {
    if (messages.length === 0) throw wireError('ERR_WIRE_ENCODE', 'no message to send')
    for (const m of messages) if (m.length === 0) throw wireError('ERR_WIRE_ENCODE', 'an empty message')
    let buf = messages.length === 1 ? messages[0]! : makeCompound(messages)
    if (options.compress === true) {
      const c = compressMessage(buf)
      if (c.length < buf.length) buf = c
    }
    if (options.crc === true) buf = wrapCrc(buf)
    const keyring = options.keyring ?? null
    if (keyring !== null) {
      const nonce = options.nonce?.()
      buf = encryptPayload(keyring.primary, buf, { version: options.encryptionVersion ?? 1, ...(nonce === undefined ? {} : { nonce }) })
    }
    return buf
  })
}
