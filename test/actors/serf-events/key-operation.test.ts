import fc from 'fast-check'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { emptyKeyResponse, prepareKeyOperation } from '../../../actors/serf-events/key-operation-request.ts'
import { addKeyAnswer, finishKeyTally, goBytes, keyTallyComplete, startKeyTally } from '../../../actors/serf-events/key-operation-tally.ts'
import type { KeyAnswerOutcome } from '../../../actors/serf-events/key-operation-tally.ts'
import type { KeyOperationKind } from '../../../actors/serf-events/key-ring-ops.ts'
import type { KeyResponse } from '../../../src/node/api.ts'
import { toHex } from '../../../src/wire/hex.ts'
import { encodeSerfMessage } from '../../../src/wire/serf.ts'

const K16 = 'AgICAgICAgICAgICAgICAg=='
const ok = (keys: string[] | null = null, Message = '') => encodeSerfMessage({ type: 'keyResponse', Result: true, Message, Keys: keys, PrimaryKey: keys?.[0] ?? '' })
const fail = (Message: string) => encodeSerfMessage({ type: 'keyResponse', Result: false, Message, Keys: null, PrimaryKey: '' })

describe('prepareKeyOperation', () => {
  it.each<{ kind: KeyOperationKind; key: string | null; name: string; hex: string }>([
    { kind: 'install', key: K16, name: '_serf_install-key', hex: '0781a34b6579b0' + '02'.repeat(16) },
    { kind: 'use', key: K16, name: '_serf_use-key', hex: '0781a34b6579b0' + '02'.repeat(16) },
    { kind: 'remove', key: K16, name: '_serf_remove-key', hex: '0781a34b6579b0' + '02'.repeat(16) },
    { kind: 'list', key: null, name: '_serf_list-keys', hex: '0781a34b6579a0' }, // Key: "" (empty, not nil)
  ])('$kind → $name with [7]{Key}', ({ kind, key, name, hex }) => {
    const r = prepareKeyOperation(kind, key)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.plan).toMatchObject({ kind, name, relayFactor: 0 })
    expect(toHex(r.plan.payload)).toBe(hex)
  })

  it.each([
    { key: 'abc$', code: 'ERR_KEY_BASE64', message: 'illegal base64 data at input byte 3' },
    { key: '', code: 'ERR_KEY_SIZE', message: 'key size must be 16, 24 or 32 bytes' },
    { key: 'A'.repeat(44), code: 'ERR_KEY_SIZE', message: 'key size must be 16, 24 or 32 bytes' },
  ])('refuses $key before any query: $code, NumNodes 0', ({ key, code, message }) => {
    const r = prepareKeyOperation('install', key)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error).toMatchObject({ code, message })
    expect(r.response).toEqual({ messages: {}, numNodes: 0, numErr: 0, numResp: 0 })
  })

  it('checkSize: false sends any decoded size, as Serf does; relayFactor is passed through', () => {
    const r = prepareKeyOperation('install', 'A'.repeat(44), { checkSize: false, relayFactor: 2 })
    expect(r.ok && r.plan.relayFactor).toBe(2)
    expect(r.ok && toHex(r.plan.payload)).toBe("0781a34b6579" + "da0021" + "00".repeat(33)) // str16, never str8
    expect(prepareKeyOperation('install', 'abc$', { checkSize: false }).ok).toBe(false) // base64 is always checked
  })

  it('emptyKeyResponse has Keys only for list', () => {
    expect(emptyKeyResponse('list')).toEqual({ messages: {}, keys: {}, numNodes: 0, numErr: 0, numResp: 0 })
    expect('keys' in emptyKeyResponse('use')).toBe(false)
  })
})

type Answer = [from: string, payload: Uint8Array | null]

describe('key operation tally (Serf streamKeyResp + handleKeyRequest)', () => {
  it.each<{ name: string; kind: KeyOperationKind; nodes: number; answers: Answer[]; outcomes: KeyAnswerOutcome[]; want: KeyResponse; error: string | null; complete: boolean }>([
    {
      name: 'every node succeeds',
      kind: 'install', nodes: 3,
      answers: [['a', ok()], ['b', ok()], ['c', ok()]],
      outcomes: ['ok', 'ok', 'ok'],
      want: { messages: {}, numNodes: 3, numErr: 0, numResp: 3 }, error: null, complete: true,
    },
    {
      name: 'unencrypted cluster: N/N nodes reported failure, with each message',
      kind: 'install', nodes: 2,
      answers: [['a', fail('No keyring to modify (encryption not enabled)')], ['b', fail('No keyring to modify (encryption not enabled)')]],
      outcomes: ['failed', 'failed'],
      want: { messages: { a: 'No keyring to modify (encryption not enabled)', b: 'No keyring to modify (encryption not enabled)' }, numNodes: 2, numErr: 2, numResp: 2 },
      error: '2/2 nodes reported failure', complete: true,
    },
    {
      name: 'a node did not answer before the deadline: n/N nodes reported success',
      kind: 'use', nodes: 3,
      answers: [['a', ok()], ['b', ok()]],
      outcomes: ['ok', 'ok'],
      want: { messages: {}, numNodes: 3, numErr: 0, numResp: 2 }, error: '2/3 nodes reported success', complete: false,
    },
    {
      name: 'failure wins over missing answers',
      kind: 'remove', nodes: 3,
      answers: [['a', fail('Removing the primary key is not allowed')]],
      outcomes: ['failed'],
      want: { messages: { a: 'Removing the primary key is not allowed' }, numNodes: 3, numErr: 1, numResp: 1 }, error: '1/3 nodes reported failure', complete: false,
    },
    {
      name: 'malformed answers are counted as errors with Go\'s %v of the bytes',
      kind: 'install', nodes: 3,
      answers: [['a', Uint8Array.of(5, 1, 2)], ['b', Uint8Array.of(8, 0x91)], ['c', null]],
      outcomes: ['malformed', 'malformed', 'malformed'],
      want: { messages: { a: 'Invalid key query response type: [5 1 2]', b: 'Failed to decode key query response: [8 145]', c: 'Invalid key query response type: []' }, numNodes: 3, numErr: 3, numResp: 3 },
      error: '3/3 nodes reported failure', complete: true,
    },
    {
      name: 'duplicates are not counted twice; answers after completion are late',
      kind: 'install', nodes: 2,
      answers: [['a', ok()], ['a', fail('x')], ['b', ok()], ['c', fail('late')]],
      outcomes: ['ok', 'duplicate', 'ok', 'late'],
      want: { messages: {}, numNodes: 2, numErr: 0, numResp: 2 }, error: null, complete: true,
    },
    {
      name: 'list: keys counted per node, a truncation message kept without error',
      kind: 'list', nodes: 3,
      answers: [['a', ok([K16, 'AQ=='])], ['b', ok([K16], 'truncated key list response, showing first 1 of 2 keys')], ['c', fail('Keyring is empty (encryption not enabled)')]],
      outcomes: ['ok', 'ok', 'failed'],
      want: { messages: { b: 'truncated key list response, showing first 1 of 2 keys', c: 'Keyring is empty (encryption not enabled)' }, keys: { [K16]: 2, 'AQ==': 1 }, numNodes: 3, numErr: 1, numResp: 3 },
      error: '1/3 nodes reported failure', complete: true,
    },
    {
      name: 'a node named __proto__ is a plain key',
      kind: 'install', nodes: 1,
      answers: [['__proto__', fail('boom')]],
      outcomes: ['failed'],
      want: Object.fromEntries([['messages', Object.fromEntries([['__proto__', 'boom']])], ['numNodes', 1], ['numErr', 1], ['numResp', 1]]) as unknown as KeyResponse,
      error: '1/1 nodes reported failure', complete: true,
    },
  ])('$name', ({ kind, nodes, answers, outcomes, want, error, complete }) => {
    let t = startKeyTally(kind, nodes)
    const seen: KeyAnswerOutcome[] = []
    for (const [from, payload] of answers) {
      const r = addKeyAnswer(t, from, payload)
      t = r.tally
      seen.push(r.outcome)
    }
    expect(seen).toEqual(outcomes)
    expect(keyTallyComplete(t)).toBe(complete)
    const done = finishKeyTally(t)
    expect(done.response).toEqual(want)
    expect(done.error).toBe(error)
    expect(Object.getPrototypeOf(done.response.messages)).toBe(Object.prototype)
  })

  it('counts duplicates and late answers where a caller can see them', () => {
    let t = startKeyTally('install', 1)
    t = addKeyAnswer(t, 'a', ok()).tally
    t = addKeyAnswer(t, 'a', ok()).tally
    expect(t).toMatchObject({ numResp: 1, late: 1, duplicates: 0 })
  })

  it('goBytes prints like Go %v and bounds long payloads', () => {
    expect(goBytes(Uint8Array.of(8, 131, 164))).toBe('[8 131 164]')
    expect(goBytes(new Uint8Array(0))).toBe('[]')
    expect(goBytes(new Uint8Array(100))).toMatch(/^\[(0 ){63}0 …\]$/)
  })

  it('gives the KeyResponse of src/node/api.ts', () => {
    expectTypeOf(finishKeyTally(startKeyTally('list', 0)).response).toEqualTypeOf<KeyResponse>()
  })
})

describe('hostile answers', () => {
  // half of the payloads start with the key-response type byte, so the decoder is exercised too
  const payload = fc.option(fc.uint8Array({ maxLength: 40 }).map((b) => (b.length > 0 && b[0]! % 2 === 0 ? Uint8Array.of(8, ...b) : b)))
  const answer = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), payload)

  it('any bytes from any sender: counted, never thrown, NumResp never past NumNodes', () => {
    fc.assert(
      fc.property(fc.array(answer, { maxLength: 12 }), (answers) => {
        let t = startKeyTally('list', 3)
        for (const [from, p] of answers) t = addKeyAnswer(t, from, p).tally
        const { response } = finishKeyTally(t)
        return response.numResp <= 3 && response.numErr <= response.numResp && response.numResp + t.duplicates + t.late === answers.length
      }),
    )
  })
})
