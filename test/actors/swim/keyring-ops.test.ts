/** keyring-ops.ts: memberlist's keyring rules and messages, one row per case. */
import { describe, expect, it } from 'vitest'
import { applyKeyringOp, KEYRING_EMPTY, NO_KEYRING_TO_MODIFY } from '../../../actors/swim/keyring-ops.ts'
import { Keyring } from '../../../src/wire/keyring.ts'

const A = new Uint8Array(16).fill(1)
const B = new Uint8Array(24).fill(2)
const C = new Uint8Array(32).fill(3)
const ring = (...keys: Uint8Array[]) => new Keyring(keys)

describe('applyKeyringOp', () => {
  it.each([
    // [ring, op, key, ok, keys after (or code), changed]
    ['no ring, install', null, 'install', A, false, 'ERR_SWIM_KEYRING_DISABLED', false],
    ['no ring, use', null, 'use', A, false, 'ERR_SWIM_KEYRING_DISABLED', false],
    ['no ring, remove', null, 'remove', A, false, 'ERR_SWIM_KEYRING_DISABLED', false],
    ['no ring, list', null, 'list', undefined, false, 'ERR_SWIM_KEYRING_DISABLED', false],
    ['install a new key: last', ring(A), 'install', B, true, [A, B], true],
    ['install an installed key: no-op', ring(A, B), 'install', B, true, [A, B], false],
    ['install 15 bytes', ring(A), 'install', new Uint8Array(15), false, 'ERR_SWIM_KEY_SIZE', false],
    ['install 33 bytes', ring(A), 'install', new Uint8Array(33), false, 'ERR_SWIM_KEY_SIZE', false],
    ['use an installed key: primary first, others in order', ring(A, B, C), 'use', C, true, [C, A, B], true],
    ['use the primary: no-op', ring(A, B), 'use', A, true, [A, B], false],
    ['use a key not installed', ring(A), 'use', B, false, 'ERR_SWIM_KEY_UNKNOWN', false],
    ['remove a secondary key', ring(A, B, C), 'remove', B, true, [A, C], true],
    ['remove a key not installed: no-op', ring(A), 'remove', B, true, [A], false],
    ['remove the primary', ring(A, B), 'remove', A, false, 'ERR_SWIM_KEY_PRIMARY', false],
    ['list', ring(B, A), 'list', undefined, true, [B, A], false],
    ['install without a key', ring(A), 'install', undefined, false, 'ERR_SWIM_KEYRING_REQUEST', false],
    ['an unknown op', ring(A), 'rotate', A, false, 'ERR_SWIM_KEYRING_REQUEST', false],
  ] as const)('%s', (_name, before, op, key, ok, after, changed) => {
    const r = applyKeyringOp(before, op, key)
    expect(r.reply.ok).toBe(ok)
    expect(r.changed).toBe(changed)
    if (r.reply.ok) {
      expect(r.reply.keys).toEqual(after)
      expect(r.reply.primary).toEqual((after as readonly Uint8Array[])[0])
      expect(r.ring?.keys).toEqual(after)
    } else {
      expect(r.reply.code).toBe(after)
      expect(r.ring).toBe(before) // refused: the ring is the same object
    }
  })

  it("uses memberlist's and Serf's exact messages", () => {
    const msg = (r: ReturnType<typeof applyKeyringOp>) => (r.reply.ok ? '' : r.reply.message)
    expect(msg(applyKeyringOp(null, 'install', A))).toBe(NO_KEYRING_TO_MODIFY)
    expect(NO_KEYRING_TO_MODIFY).toBe('No keyring to modify (encryption not enabled)')
    expect(msg(applyKeyringOp(null, 'list', undefined))).toBe(KEYRING_EMPTY)
    expect(KEYRING_EMPTY).toBe('Keyring is empty (encryption not enabled)')
    expect(msg(applyKeyringOp(ring(A), 'install', new Uint8Array(8)))).toBe('key size must be 16, 24 or 32 bytes')
    expect(msg(applyKeyringOp(ring(A), 'use', B))).toBe('Requested key is not in the keyring')
    expect(msg(applyKeyringOp(ring(A), 'remove', A))).toBe('Removing the primary key is not allowed')
  })

  it('replies with copies: changing them changes no ring', () => {
    const r = applyKeyringOp(ring(A, B), 'list', undefined)
    if (!r.reply.ok) throw new Error('list failed')
    r.reply.keys[0]!.fill(9)
    r.reply.primary.fill(9)
    expect(r.ring!.primary).toEqual(A)
  })
})
