/**
 * The live keyring's operations (pure): memberlist's Keyring rules with its and Serf's exact
 * messages, so a `serf keys` run against a Gossamer node reads what it reads from an agent.
 *
 * - install (AddKey): the key must be 16, 24 or 32 bytes (`key size must be 16, 24 or 32 bytes`);
 *   an installed key is a no-op; a new one goes last (the primary stays).
 * - use (UseKey): the key must be installed (`Requested key is not in the keyring`); it becomes
 *   the primary, the others keep their order.
 * - remove (RemoveKey): never the primary (`Removing the primary key is not allowed`); a key that
 *   is not installed is a no-op, as in memberlist.
 * - list: the ring, primary first.
 * Without encryption there is no ring: Serf answers `No keyring to modify (encryption not
 * enabled)` to a change and `Keyring is empty (encryption not enabled)` to a listing.
 *
 * Keyring (src/wire/keyring.ts) is immutable: a change makes a new ring, and a decoder that
 * started with the old one never sees it change midway.
 */
import { Keyring } from '../../src/wire/keyring.ts'
import type { KeyringOp, KeyringReply } from './protocol.ts'
import { bytesEqual } from './messages.ts'

/** Codes of a refused keyring operation (KeyringReply.code). */
export type KeyringErrorCode = 'ERR_SWIM_KEYRING_DISABLED' | 'ERR_SWIM_KEY_SIZE' | 'ERR_SWIM_KEY_UNKNOWN' | 'ERR_SWIM_KEY_PRIMARY' | 'ERR_SWIM_KEYRING_REQUEST'

export const NO_KEYRING_TO_MODIFY = 'No keyring to modify (encryption not enabled)'
export const KEYRING_EMPTY = 'Keyring is empty (encryption not enabled)'

const OPS: ReadonlySet<string> = new Set(['install', 'use', 'remove', 'list'])
const KEY_SIZES: ReadonlySet<number> = new Set([16, 24, 32])

export interface KeyringOpResult {
  /** The ring after the operation (the same object when nothing changed). */
  ring: Keyring | null
  /** True when the ring's keys or their order changed (then emitted and persisted). */
  changed: boolean
  reply: KeyringReply
}

const refused = (ring: Keyring | null, code: KeyringErrorCode, message: string): KeyringOpResult => ({ ring, changed: false, reply: { type: 'swim.keyring-reply', ok: false, message, code } })

const listed = (ring: Keyring, changed: boolean): KeyringOpResult => ({
  ring,
  changed,
  reply: { type: 'swim.keyring-reply', ok: true, keys: ring.keys.map((k) => Uint8Array.from(k)), primary: Uint8Array.from(ring.primary) },
})

/** Applies `op` to `ring` (null: encryption off). Never throws: a bad request is a coded reply. */
export function applyKeyringOp(ring: Keyring | null, op: unknown, key: unknown): KeyringOpResult {
  if (typeof op !== 'string' || !OPS.has(op)) return refused(ring, 'ERR_SWIM_KEYRING_REQUEST', `unknown keyring operation ${JSON.stringify(op)}: install, use, remove or list`)
  const kind = op as KeyringOp
  if (ring === null) return refused(ring, 'ERR_SWIM_KEYRING_DISABLED', kind === 'list' ? KEYRING_EMPTY : NO_KEYRING_TO_MODIFY)
  if (kind === 'list') return listed(ring, false)
  if (!(key instanceof Uint8Array)) return refused(ring, 'ERR_SWIM_KEYRING_REQUEST', `swim.keyring ${kind} needs key (a Uint8Array)`)
  switch (kind) {
    case 'install':
      if (!KEY_SIZES.has(key.length)) return refused(ring, 'ERR_SWIM_KEY_SIZE', 'key size must be 16, 24 or 32 bytes')
      return ring.has(key) ? listed(ring, false) : listed(ring.withKey(key), true)
    case 'use':
      if (!ring.has(key)) return refused(ring, 'ERR_SWIM_KEY_UNKNOWN', 'Requested key is not in the keyring')
      return bytesEqual(ring.primary, key) ? listed(ring, false) : listed(ring.withPrimary(key), true)
    case 'remove':
      if (bytesEqual(ring.primary, key)) return refused(ring, 'ERR_SWIM_KEY_PRIMARY', 'Removing the primary key is not allowed')
      return ring.has(key) ? listed(ring.withoutKey(key), true) : listed(ring, false)
  }
}
