import { describe, expect, it } from 'vitest'
import { answerKeyQuery, encodeKeyResponse, keyQueryKind, parseKeyQuery, toNodeKeyResponse } from '../../../actors/serf-events/key-query-responder.ts'
import type { ResponseEnvelope } from '../../../actors/serf-events/key-query-responder.ts'
import { applyKeyringOp, keyringAccess, runKeyringOp } from '../../../actors/serf-events/key-ring-ops.ts'
import { Keyring } from '../../../src/wire/keyring.ts'
import { fromHex, toHex } from '../../../src/wire/hex.ts'
import { decodeSerfMessage, encodeSerfMessage } from '../../../src/wire/serf.ts'
import type { SerfKeyResponse } from '../../../src/wire/serf.ts'

const env: ResponseEnvelope = { ltime: 7n, id: 0x1234_5678, from: 'b64' }
const K1 = new Uint8Array(32).fill(1)
const K2 = new Uint8Array(16).fill(2)
const keyRequest = (key: Uint8Array | null) => encodeSerfMessage({ type: 'keyRequest', Key: key })
const envelopeSize = (e: ResponseEnvelope, payload: Uint8Array) => encodeSerfMessage({ type: 'queryResponse', LTime: e.ltime, ID: e.id, From: e.from, Flags: 0, Payload: payload }).length
const str = (s: string) => toHex(new TextEncoder().encode(s))

describe('key query names', () => {
  it.each([
    ['_serf_install-key', 'install'],
    ['_serf_use-key', 'use'],
    ['_serf_remove-key', 'remove'],
    ['_serf_list-keys', 'list'],
    ['_serf_list-key', null],
    ['_serf_conflict', null],
    ['install-key', null],
  ])('%s → %s', (name, kind) => expect(keyQueryKind(name)).toBe(kind))
})

describe('parseKeyQuery: [7][msgpack {Key}]', () => {
  it.each([
    { name: 'install', q: '_serf_install-key', payload: keyRequest(K1), want: { kind: 'install', key: K1 } },
    { name: 'use, 16-byte key', q: '_serf_use-key', payload: keyRequest(K2), want: { kind: 'use', key: K2 } },
    { name: 'remove with a nil Key (Go: empty slice)', q: '_serf_remove-key', payload: fromHex('0781a34b6579c0'), want: { kind: 'remove', key: new Uint8Array(0) } },
    { name: 'a nil body (Go: zero struct)', q: '_serf_install-key', payload: fromHex('07c0'), want: { kind: 'install', key: new Uint8Array(0) } },
    { name: 'the type byte is skipped unchecked, as Serf does', q: '_serf_install-key', payload: Uint8Array.of(0x63, ...keyRequest(K2).subarray(1)), want: { kind: 'install', key: K2 } },
    { name: 'trailing bytes ignored (Go reads one value)', q: '_serf_install-key', payload: Uint8Array.of(...keyRequest(K2), 0xff, 0xff), want: { kind: 'install', key: K2 } },
    { name: 'list reads no body', q: '_serf_list-keys', payload: null, want: { kind: 'list' } },
  ])('$name', ({ q, payload, want }) => {
    expect(parseKeyQuery(q, payload)).toEqual({ ok: true, op: want })
  })

  it.each([
    { name: 'no payload', payload: null },
    { name: 'only the type byte', payload: Uint8Array.of(7) },
    { name: 'not a map', payload: fromHex('07a3616263') },
    { name: 'Key is an int', payload: fromHex('0781a34b657901') },
    { name: 'truncated map', payload: fromHex('0781a34b6579a5ab') },
  ])('a bad request is a coded error, never a throw: $name', ({ payload }) => {
    const r = parseKeyQuery('_serf_install-key', payload)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.kind).toBe('install')
      expect(r.error.code).toBe('ERR_KEY_REQUEST_INVALID')
      expect(r.error.message).toMatch(/^Failed to decode key request: /)
    }
  })

  it('an unknown name is ERR_KEY_QUERY_UNKNOWN (kind null), and answerKeyQuery sends nothing for it', () => {
    const r = parseKeyQuery('_serf_ping', null)
    expect(!r.ok && [r.kind, r.error.code]).toEqual([null, 'ERR_KEY_QUERY_UNKNOWN'])
    const a = answerKeyQuery('_serf_ping', null, () => ({ ok: true }), env)
    expect(!a.ok && a.error.code).toBe('ERR_KEY_QUERY_UNKNOWN')
  })
})

describe('keyResponse bytes: [8]{Keys, Message, PrimaryKey, Result} in Go order', () => {
  it.each<{ name: string; kind: 'install' | 'list'; reply: Parameters<typeof toNodeKeyResponse>[1]; hex: string }>([
    {
      name: 'install ok: Keys nil, empty strings',
      kind: 'install',
      reply: { ok: true },
      hex: '0884' + 'a4' + str('Keys') + 'c0' + 'a7' + str('Message') + 'a0' + 'aa' + str('PrimaryKey') + 'a0' + 'a6' + str('Result') + 'c3',
    },
    {
      name: 'refused: Result false and the message',
      kind: 'install',
      reply: { ok: false, message: 'No keyring to modify (encryption not enabled)' },
      hex: '0884' + 'a4' + str('Keys') + 'c0' + 'a7' + str('Message') + 'da002d' + str('No keyring to modify (encryption not enabled)') + 'aa' + str('PrimaryKey') + 'a0' + 'a6' + str('Result') + 'c2',
    },
    {
      name: 'list: base64 keys, primary',
      kind: 'list',
      reply: { ok: true, keys: [K2], primary: K2 },
      hex: '0884' + 'a4' + str('Keys') + '91b8' + str('AgICAgICAgICAgICAgICAg==') + 'a7' + str('Message') + 'a0' + 'aa' + str('PrimaryKey') + 'b8' + str('AgICAgICAgICAgICAgICAg==') + 'a6' + str('Result') + 'c3',
    },
  ])('$name', ({ kind, reply, hex }) => {
    const r = encodeKeyResponse(kind, toNodeKeyResponse(kind, reply), env)
    expect(r.ok && toHex(r.payload)).toBe(hex)
    expect(r.ok && r.truncated).toBeNull()
  })
})

describe('list-keys trimming to the 1,024-byte response limit', () => {
  it('matches a live agent: 48 keys answered by node "b64" → "showing first 18 of 48 keys"', () => {
    // The agent's keyring: its primary, then the keys installed in order (see the report).
    const keys: Uint8Array[] = [Buffer.from('Tpih5uJC1l+j9D39H1Ho2arflzVUp/ycLYj2S4/k8QU=', 'base64'), new Uint8Array(32), new Uint8Array(16)]
    for (let i = 1; i <= 45; i++) keys.push(new Uint8Array(32).fill(i))
    for (const id of [0, 0x7fff_ffff]) {
      const r = encodeKeyResponse('list', toNodeKeyResponse('list', { ok: true, keys, primary: keys[0]! }), { ...env, id })
      expect(r.ok).toBe(true)
      if (!r.ok) return
      expect(r.truncated).toEqual({ shown: 18, total: 48 })
      const back = decodeSerfMessage(r.payload) as SerfKeyResponse
      expect(back).toMatchObject({ Result: true, Message: 'truncated key list response, showing first 18 of 48 keys', PrimaryKey: 'Tpih5uJC1l+j9D39H1Ho2arflzVUp/ycLYj2S4/k8QU=' })
      expect(back.Keys).toEqual(keys.slice(0, 18).map((k) => Buffer.from(k).toString('base64')))
    }
  })

  it.each([1, 10, 19, 20, 21, 40, 41, 100])('%i keys of 32 bytes: the longest prefix that fits, and never over the limit', (n) => {
    const keys = Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(i))
    for (const from of ['a', 'a-much-longer-node-name-'.repeat(4)]) {
      const e = { ...env, from }
      const r = encodeKeyResponse('list', toNodeKeyResponse('list', { ok: true, keys, primary: keys[0]! }), e)
      if (!r.ok) throw r.error
      expect(envelopeSize(e, r.payload)).toBeLessThanOrEqual(1024)
      const shown = r.response.Keys?.length ?? 0
      if (shown === n) {
        expect(r.truncated).toBeNull()
        expect(r.response.Message).toBe('')
      } else {
        expect(r.truncated).toEqual({ shown, total: n })
        expect(r.response.Message).toBe(`truncated key list response, showing first ${shown} of ${n} keys`)
        // one more key (with its message) would not have fitted
        const more = encodeSerfMessage({ ...r.response, Keys: keys.slice(0, shown + 1).map((k) => Buffer.from(k).toString('base64')), Message: `truncated key list response, showing first ${shown + 1} of ${n} keys` })
        expect(envelopeSize(e, more)).toBeGreaterThan(1024)
      }
    }
  })

  it('a smaller limit trims more; a name too long for even one key is a coded error (nothing sent)', () => {
    const keys = Array.from({ length: 5 }, (_, i) => new Uint8Array(32).fill(i))
    const resp = toNodeKeyResponse('list', { ok: true, keys, primary: keys[0]! })
    const small = encodeKeyResponse('list', resp, env, 300)
    expect(small.ok && small.truncated).toEqual({ shown: 2, total: 5 })
    const huge = encodeKeyResponse('list', resp, { ...env, from: 'n'.repeat(1000) })
    expect(!huge.ok && huge.error.code).toBe('ERR_KEY_RESPONSE_TOO_LARGE')
    const install = encodeKeyResponse('install', toNodeKeyResponse('install', { ok: true }), { ...env, from: 'n'.repeat(1000) })
    expect(!install.ok && install.error.code).toBe('ERR_KEY_RESPONSE_TOO_LARGE')
  })
})

describe('answerKeyQuery: request → keyring → response', () => {
  it('rotates a live keyring through the four queries', () => {
    const live = keyringAccess(new Keyring([K1]))
    const run = (name: string, payload: Uint8Array | null) => {
      const r = answerKeyQuery(name, payload, (op) => runKeyringOp(live, op), env)
      if (!r.ok) throw r.error
      return decodeSerfMessage(r.payload) as SerfKeyResponse
    }
    expect(run('_serf_install-key', keyRequest(K2))).toMatchObject({ Result: true, Message: '' })
    expect(run('_serf_use-key', keyRequest(K2))).toMatchObject({ Result: true })
    expect(run('_serf_remove-key', keyRequest(K2))).toMatchObject({ Result: false, Message: 'Removing the primary key is not allowed' })
    expect(run('_serf_remove-key', keyRequest(K1))).toMatchObject({ Result: true })
    expect(run('_serf_list-keys', keyRequest(new Uint8Array(0)))).toMatchObject({ Result: true, Keys: ['AgICAgICAgICAgICAgICAg=='], PrimaryKey: 'AgICAgICAgICAgICAgICAg==' })
  })

  it('answers an undecodable request with Result false and the reason, without touching the keyring', () => {
    let calls = 0
    const r = answerKeyQuery('_serf_install-key', Uint8Array.of(7), (op) => (calls++, applyKeyringOp(null, op).reply), env)
    expect(calls).toBe(0)
    expect(r.requestError?.code).toBe('ERR_KEY_REQUEST_INVALID')
    expect(r.ok && decodeSerfMessage(r.payload)).toMatchObject({ Result: false, Message: expect.stringMatching(/^Failed to decode key request/) })
  })

  it('without encryption: the texts Serf sends', () => {
    const off = (name: string, payload: Uint8Array | null) => {
      const r = answerKeyQuery(name, payload, (op) => applyKeyringOp(null, op).reply, env)
      return r.ok && decodeSerfMessage(r.payload)
    }
    expect(off('_serf_install-key', keyRequest(K1))).toMatchObject({ Result: false, Message: 'No keyring to modify (encryption not enabled)' })
    expect(off('_serf_list-keys', null)).toMatchObject({ Result: false, Message: 'Keyring is empty (encryption not enabled)', Keys: null, PrimaryKey: '' })
  })
})
