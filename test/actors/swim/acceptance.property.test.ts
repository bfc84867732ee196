/**
 * acceptance.ts checked against the encoder it stands in front of (issue 10: the two disagreed, an
 * alive swim accepted could not be re-broadcast). For any field values:
 * - what swim accepts encodes, fits the budget, decodes to the same fields, and is a node
 *   member-manager takes;
 * - what the encoder refuses, swim refuses;
 * - a name swim accepts from the wire re-encodes to the bytes it came as (Go strings are bytes).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { aliveRefusal, deadRefusal, MAX_INCARNATION, suspectRefusal } from '../../../actors/swim/acceptance.ts'
import type { AliveMsg, SuspectMsg } from '../../../actors/swim/messages.ts'
import { DEFAULT_VSN } from '../../../actors/swim/messages.ts'
import { encodeAlive, encodeDead, encodeSuspect } from '../../../actors/swim/packets.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { decodeMessage } from '../../../src/wire/memberlist.ts'
import { rawMessage } from './support/raw-wire.ts'

const bytes = (max: number) => fc.uint8Array({ maxLength: max })
const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ maxLength: 8, unit: 'binary' }),
  fc.string({ maxLength: 4, unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), // lone surrogates too
  fc.constantFrom('', '\uFFFD', '\uFEFFa', 'n'.repeat(512), 'n'.repeat(513), '€'.repeat(171), 'a\nb'),
)
const int = fc.oneof(fc.constantFrom(0, 1, MAX_INCARNATION, MAX_INCARNATION + 1, -1, 0.5, 65535, 65536, Number.NaN), fc.integer({ min: 0, max: MAX_INCARNATION }))
const budget = fc.integer({ min: 60, max: 1500 })

const aliveArb: fc.Arbitrary<AliveMsg> = fc.record({
  incarnation: int,
  node: text,
  addr: fc.oneof(fc.constant(Uint8Array.of(10, 0, 0, 1)), fc.constant(new Uint8Array(16).fill(3)), bytes(20)),
  port: int,
  meta: fc.oneof(bytes(40), fc.constantFrom(new Uint8Array(512), new Uint8Array(513), new Uint8Array(1400))),
  vsn: fc.oneof(fc.constant(DEFAULT_VSN), fc.uint8Array({ minLength: 6, maxLength: 6, max: 6 }), bytes(8)),
})
const rumourArb: fc.Arbitrary<SuspectMsg> = fc.record({ incarnation: int, node: text, from: text })

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

function threw(fn: () => unknown): boolean {
  try {
    fn()
    return false
  } catch {
    return true
  }
}

describe('acceptance.ts against the encoder', () => {
  it('accepts an alive only if it encodes within the budget, decodes back unchanged and member-manager takes the node', () => {
    fc.assert(
      fc.property(aliveArb, budget, (a, max) => {
        const refusal = aliveRefusal(a, max)
        if (threw(() => encodeAlive(a))) expect(refusal).toBeDefined()
        if (refusal !== undefined) return
        const wire = encodeAlive(a)
        expect(wire.length).toBeLessThanOrEqual(max)
        const back = decodeMessage(wire)
        expect(back.type).toBe('alive')
        if (back.type !== 'alive') return
        expect(back.Node).toBe(a.node)
        expect(back.Incarnation).toBe(a.incarnation)
        expect(back.Port).toBe(a.port)
        expect(same(back.Addr, a.addr) && same(back.Meta, a.meta) && same(back.Vsn, a.vsn)).toBe(true)
        const node = { name: a.node, addr: a.addr, port: a.port, meta: a.meta, vsn: a.vsn, incarnation: a.incarnation, state: 'alive' as const }
        expect(memberManager.validate?.({ type: 'member.node-joined', node })).toBeUndefined()
      }),
      { seed: 10, numRuns: 3000 },
    )
  })

  it('accepts a suspect or dead only if it encodes within the budget and decodes back unchanged', () => {
    fc.assert(
      fc.property(rumourArb, budget, fc.boolean(), (s, max, isDead) => {
        const refusal = isDead ? deadRefusal(s, max) : suspectRefusal(s, max)
        const encode = () => (isDead ? encodeDead(s) : encodeSuspect(s))
        if (threw(encode)) expect(refusal).toBeDefined()
        if (refusal !== undefined) return
        const wire = encode()
        expect(wire.length).toBeLessThanOrEqual(max)
        expect(decodeMessage(wire)).toEqual({ type: isDead ? 'dead' : 'suspect', Incarnation: s.incarnation, Node: s.node, From: s.from })
      }),
      { seed: 11, numRuns: 3000 },
    )
  })

  it('accepts a name from the wire only if it re-encodes to the bytes it came as', () => {
    const utf8 = new TextEncoder()
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.string({ maxLength: 8, unit: 'binary' }).map((s) => utf8.encode(s)), fc.uint8Array({ maxLength: 4 }).map((b) => Uint8Array.of(0xef, 0xbb, 0xbf, ...b))), (name) => {
        const m = decodeMessage(rawMessage('suspect', [['Incarnation', 1], ['Node', name], ['From', 'a']]))
        if (m.type !== 'suspect') throw new Error('not a suspect')
        if (suspectRefusal({ incarnation: 1, node: m.Node, from: 'a' }, 1400) !== undefined) return
        expect(same(utf8.encode(m.Node), name)).toBe(true)
      }),
      { seed: 12, numRuns: 3000 },
    )
  })
})
