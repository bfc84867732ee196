import { describe, expect, it } from 'vitest'
import { applyKeyringOp, KEYRING_MESSAGES, keyringAccess, runKeyringOp } from '../../../actors/serf-events/key-ring-ops.ts'
import type { KeyringOp, KeyringReply } from '../../../actors/serf-events/key-ring-ops.ts'
import { Keyring } from '../../../src/wire/keyring.ts'

const key = (b: number, size = 32) => new Uint8Array(size).fill(b)
const K1 = key(1)
const K2 = key(2)
const K3 = key(3, 16)
const ring = (...keys: Uint8Array[]) => new Keyring(keys)
const firstBytes = (r: Keyring | null) => (r === null ? null : r.keys.map((k) => k[0]))

describe('applyKeyringOp: memberlist Keyring and Serf handlers (messages observed from a live agent)', () => {
  it.each<{ name: string; ring: Keyring | null; op: KeyringOp; reply: KeyringReply; after: number[] | null }>([
    { name: 'install without a keyring', ring: null, op: { kind: 'install', key: K2 }, reply: { ok: false, message: 'No keyring to modify (encryption not enabled)' }, after: null },
    { name: 'use without a keyring', ring: null, op: { kind: 'use', key: K2 }, reply: { ok: false, message: 'No keyring to modify (encryption not enabled)' }, after: null },
    { name: 'remove without a keyring', ring: null, op: { kind: 'remove', key: K2 }, reply: { ok: false, message: 'No keyring to modify (encryption not enabled)' }, after: null },
    { name: 'list without a keyring', ring: null, op: { kind: 'list' }, reply: { ok: false, message: 'Keyring is empty (encryption not enabled)' }, after: null },
    { name: 'install a new key: appended, not primary', ring: ring(K1), op: { kind: 'install', key: K2 }, reply: { ok: true }, after: [1, 2] },
    { name: 'install a key already there: success, unchanged', ring: ring(K1, K2), op: { kind: 'install', key: K2 }, reply: { ok: true }, after: [1, 2] },
    { name: 'install a 10-byte key', ring: ring(K1), op: { kind: 'install', key: key(9, 10) }, reply: { ok: false, message: 'key size must be 16, 24 or 32 bytes' }, after: [1] },
    { name: 'install a 16-byte key', ring: ring(K1), op: { kind: 'install', key: K3 }, reply: { ok: true }, after: [1, 3] },
    { name: 'use an installed key: moved to the front, others keep order', ring: ring(K1, K2, K3), op: { kind: 'use', key: K3 }, reply: { ok: true }, after: [3, 1, 2] },
    { name: 'use a key not installed', ring: ring(K1), op: { kind: 'use', key: K2 }, reply: { ok: false, message: 'Requested key is not in the keyring' }, after: [1] },
    { name: 'use a key of a wrong size: not installed', ring: ring(K1), op: { kind: 'use', key: key(1, 3) }, reply: { ok: false, message: 'Requested key is not in the keyring' }, after: [1] },
    { name: 'remove the primary', ring: ring(K1, K2), op: { kind: 'remove', key: K1 }, reply: { ok: false, message: 'Removing the primary key is not allowed' }, after: [1, 2] },
    { name: 'remove a secondary', ring: ring(K1, K2, K3), op: { kind: 'remove', key: K2 }, reply: { ok: true }, after: [1, 3] },
    { name: 'remove a key not installed: success', ring: ring(K1), op: { kind: 'remove', key: K2 }, reply: { ok: true }, after: [1] },
    { name: 'remove a key of a wrong size: success', ring: ring(K1), op: { kind: 'remove', key: key(7, 5) }, reply: { ok: true }, after: [1] },
    { name: 'list: ring order, primary first', ring: ring(K2, K1), op: { kind: 'list' }, reply: { ok: true, keys: [K2, K1], primary: K2 }, after: [2, 1] },
  ])('$name', ({ ring: before, op, reply, after }) => {
    const r = applyKeyringOp(before, op)
    expect(r.reply).toEqual(reply)
    expect(firstBytes(r.ring)).toEqual(after)
    if (!r.reply.ok) expect(r.ring).toBe(before) // a refusal changes nothing
  })

  it('keeps the texts Go prints', () => {
    expect(KEYRING_MESSAGES).toEqual({
      noKeyring: 'No keyring to modify (encryption not enabled)',
      emptyKeyring: 'Keyring is empty (encryption not enabled)',
      badSize: 'key size must be 16, 24 or 32 bytes',
      notInstalled: 'Requested key is not in the keyring',
      removePrimary: 'Removing the primary key is not allowed',
    })
  })

  it('list returns copies: a caller cannot edit the live ring through them', () => {
    const live = ring(K1)
    const r = applyKeyringOp(live, { kind: 'list' })
    if (r.reply.ok) r.reply.keys![0]!.fill(0)
    expect(live.primary[0]).toBe(1)
  })

  it('keyringAccess runs a rotation (install, use, remove) on one live ring', () => {
    const access = keyringAccess(ring(K1))
    expect(runKeyringOp(access, { kind: 'install', key: K2 })).toEqual({ ok: true })
    expect(runKeyringOp(access, { kind: 'use', key: K2 })).toEqual({ ok: true })
    expect(runKeyringOp(access, { kind: 'remove', key: K2 })).toEqual({ ok: false, message: 'Removing the primary key is not allowed' })
    expect(runKeyringOp(access, { kind: 'remove', key: K1 })).toEqual({ ok: true })
    expect(firstBytes(access.current())).toEqual([2])
    expect(access.list()).toEqual({ ok: true, keys: [K2], primary: K2 })
  })
})
