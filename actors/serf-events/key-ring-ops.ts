/**
 * The keyring side of Serf's key queries (spec §3.1, §5.10): what a node does to its live keyring
 * for `_serf_install-key`, `_serf_use-key`, `_serf_remove-key` and `_serf_list-keys`, and the
 * coded reply it gives, with memberlist 0.2.2's and Serf 0.9.4's exact messages.
 *
 * swim owns the live keyring (it encrypts and decrypts every packet), so serf-events does not touch
 * it: it sends swim a `KeyringOp` and gets a `KeyringReply` back. `applyKeyringOp` is the pure rule
 * swim runs on its `Keyring | null` to produce that reply and the next ring; `KeyringAccess` is the
 * same contract as an interface (tests, or an in-process keyring).
 *
 * Rules (memberlist Keyring; Serf internal_query.go):
 * - no keyring, or an empty one → encryption is off: install/use/remove answer
 *   `No keyring to modify (encryption not enabled)`, list answers
 *   `Keyring is empty (encryption not enabled)`; nothing changes;
 * - install: `key size must be 16, 24 or 32 bytes`; a key already installed is a success, unchanged;
 *   a new key goes last (it does not become the primary);
 * - use: `Requested key is not in the keyring` unless installed (a wrong size is simply not
 *   installed); the key moves to the front, the others keep their order;
 * - remove: `Removing the primary key is not allowed`; a key that is not installed (any size) is a
 *   success, unchanged;
 * - list: every key in ring order (primary first) and the primary.
 */
import type { Keyring } from '../../src/wire/keyring.ts'

export type KeyOperationKind = 'install' | 'use' | 'remove' | 'list'

/** What serf-events asks swim to do (plain data: it crosses a thread). */
export type KeyringOp = { kind: 'install' | 'use' | 'remove'; key: Uint8Array } | { kind: 'list' }

/** swim's answer (plain data). `keys` (ring order) and `primary` only for a successful list. */
export type KeyringReply = { ok: true; keys?: Uint8Array[]; primary?: Uint8Array } | { ok: false; message: string }

/** The keyring as an interface whose results are coded replies, never throws. */
export interface KeyringAccess {
  install(key: Uint8Array): KeyringReply
  use(key: Uint8Array): KeyringReply
  remove(key: Uint8Array): KeyringReply
  list(): KeyringReply
}

/** Go's texts, verbatim (observed from a live agent, see key-ring-ops.test.ts). */
export const KEYRING_MESSAGES = {
  noKeyring: 'No keyring to modify (encryption not enabled)',
  emptyKeyring: 'Keyring is empty (encryption not enabled)',
  badSize: 'key size must be 16, 24 or 32 bytes',
  notInstalled: 'Requested key is not in the keyring',
  removePrimary: 'Removing the primary key is not allowed',
} as const

const KEY_SIZES = new Set([16, 24, 32])

/** One operation on `ring` (null: encryption off): the reply, and the ring afterwards. */
export function applyKeyringOp(ring: Keyring | null, op: KeyringOp): { ring: Keyring | null; reply: KeyringReply } {
  const enabled = ring !== null && ring.keys.length > 0
  if (!enabled) return { ring, reply: { ok: false, message: op.kind === 'list' ? KEYRING_MESSAGES.emptyKeyring : KEYRING_MESSAGES.noKeyring } }
  switch (op.kind) {
    case 'list':
      return { ring, reply: { ok: true, keys: ring.keys.map((k) => k.slice()), primary: ring.primary.slice() } }
    case 'install':
      if (!KEY_SIZES.has(op.key.length)) return { ring, reply: { ok: false, message: KEYRING_MESSAGES.badSize } }
      return { ring: ring.has(op.key) ? ring : ring.withKey(op.key), reply: { ok: true } }
    case 'use':
      if (!ring.has(op.key)) return { ring, reply: { ok: false, message: KEYRING_MESSAGES.notInstalled } }
      return { ring: ring.withPrimary(op.key), reply: { ok: true } }
    case 'remove':
      if (sameBytes(ring.primary, op.key)) return { ring, reply: { ok: false, message: KEYRING_MESSAGES.removePrimary } }
      return { ring: ring.has(op.key) ? ring.withoutKey(op.key) : ring, reply: { ok: true } }
  }
}

/** Runs `op` through a `KeyringAccess`. */
export function runKeyringOp(keyring: KeyringAccess, op: KeyringOp): KeyringReply {
  switch (op.kind) {
    case 'install':
      return keyring.install(op.key)
    case 'use':
      return keyring.use(op.key)
    case 'remove':
      return keyring.remove(op.key)
    case 'list':
      return keyring.list()
  }
}

/** A `KeyringAccess` over a mutable `Keyring | null` slot (in-process use and tests). */
export function keyringAccess(initial: Keyring | null): KeyringAccess & { current(): Keyring | null } {
  let ring = initial
  const run = (op: KeyringOp): KeyringReply => {
    const r = applyKeyringOp(ring, op)
    ring = r.ring
    return r.reply
  }
  return {
    install: (key) => run({ kind: 'install', key }),
    use: (key) => run({ kind: 'use', key }),
    remove: (key) => run({ kind: 'remove', key }),
    list: () => run({ kind: 'list' }),
    current: () => ring,
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
