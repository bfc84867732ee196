import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { keyringFromKeys } from '../../../actors/swim/config.ts'
import { encodePushPullStream, encodeStreamMessage, PLAINTEXT, tryReadStream } from '../../../actors/swim/packets.ts'
import type { WireSecurity } from '../../../actors/swim/packets.ts'
import { StreamScan } from '../../../actors/swim/stream-scan.ts'
import { encodeMessage } from '../../../src/wire/memberlist.ts'
import { encodeStream, MAX_PUSH_STATE_BYTES } from '../../../src/wire/stream.ts'
import { MAX_STREAM_MESSAGE_BYTES } from '../../../actors/swim/push-pull.ts'

const ENCRYPTED: WireSecurity = { keyring: keyringFromKeys([new Uint8Array(16).fill(7)]), verifyIncoming: true, verifyOutgoing: true }

/**
 * Feeds growing prefixes of `msg` (ends of the given chunk sizes, plus the last byte short of the
 * end and the end itself) to one scan; returns the state after each prefix.
 */
function scanStates(msg: Uint8Array, chunks: number[]): Array<[number, string]> {
  const ends = new Set<number>([msg.length - 1, msg.length])
  let len = 0
  for (const c of chunks) ends.add((len = Math.min(msg.length, len + c)))
  for (let l = len; l < msg.length; l += 997) ends.add(l)
  const scan = new StreamScan()
  return [...ends]
    .filter((l) => l > 0)
    .sort((a, b) => a - b)
    .map((l) => [l, scan.feed(msg.subarray(0, l))])
}

const state = fc.record({
  name: fc.string({ maxLength: 40 }),
  addr: fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
  port: fc.integer({ min: 0, max: 65535 }),
  meta: fc.uint8Array({ maxLength: 300 }),
  incarnation: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  state: fc.constantFrom('alive', 'suspect', 'dead', 'left'),
  vsn: fc.constant(Uint8Array.of(1, 5, 2, 2, 5, 4)),
})

const message = fc.oneof(
  fc.record({ states: fc.array(state, { maxLength: 30 }), user: fc.uint8Array({ maxLength: 3000 }), join: fc.boolean() }).map(
    (m) => (compress: boolean, sec: WireSecurity) => encodePushPullStream(m.join, m.states as never, m.user, compress, sec),
  ),
  fc.record({ seq: fc.integer({ min: 0, max: 2 ** 32 - 1 }), node: fc.string({ maxLength: 20 }) }).map(
    (m) => (compress: boolean, sec: WireSecurity) =>
      encodeStreamMessage(encodeMessage({ type: 'ping', SeqNo: m.seq, Node: m.node, SourceAddr: new Uint8Array(0), SourceNode: '', SourcePort: 0 }), compress, sec),
  ),
  fc.uint8Array({ maxLength: 5000 }).map(
    (Payload) => (compress: boolean, sec: WireSecurity) => encodeStreamMessage(encodeStream({ type: 'user', UserMsgLen: Payload.length, Payload }), compress, sec),
  ),
)

describe('StreamScan', () => {
  it('says complete exactly when the decoder can read the whole message, never earlier (property)', () => {
    fc.assert(
      fc.property(message, fc.boolean(), fc.boolean(), fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 40 }), (build, compress, encrypted, chunks) => {
        const msg = build(compress, encrypted ? ENCRYPTED : PLAINTEXT)
        const full = tryReadStream(msg, encrypted ? ENCRYPTED : PLAINTEXT)
        expect(full.done && full.bytesRead).toBe(msg.length)
        for (const [len, s] of scanStates(msg, chunks)) expect(s).toBe(len === msg.length ? 'complete' : 'incomplete')
      }),
      { numRuns: 300 },
    )
  })

  it('walks a byte at a time through a push/pull', () => {
    const msg = encodePushPullStream(true, [{ name: 'a', addr: Uint8Array.of(10, 0, 0, 1), port: 7946, meta: new Uint8Array(3), incarnation: 9, state: 'alive', vsn: Uint8Array.of(1, 5, 2, 2, 5, 4) }] as never, Uint8Array.of(1, 2, 3), false)
    const states = scanStates(msg, new Array<number>(msg.length).fill(1))
    expect(states.filter(([, s]) => s === 'complete').map(([l]) => l)).toEqual([msg.length])
    expect(states.every(([l, s]) => s === (l === msg.length ? 'complete' : 'incomplete'))).toBe(true)
  })

  it('gives up (unknown) on bytes it cannot follow, so the caller decodes them itself', () => {
    expect(new StreamScan().feed(Uint8Array.of(77, 1, 2))).toBe('unknown')
    expect(new StreamScan().feed(Uint8Array.of(0, 0xc1))).toBe('unknown')
    // A negative Nodes count is the decoder's error to report, not a wait for 2^64 bytes.
    const negative = Uint8Array.of(6, 0x83, 0xa5, ...new TextEncoder().encode('Nodes'), 0xd0, 0xff, 0xac, ...new TextEncoder().encode('UserStateLen'), 0, 0xa4, ...new TextEncoder().encode('Join'), 0xc2)
    expect(new StreamScan().feed(negative)).toBe('unknown')
  })
})

describe('StreamScan with a cap: what a message declares', () => {
  const text = (s: string) => [...new TextEncoder().encode(s)]
  const CAP = MAX_STREAM_MESSAGE_BYTES

  it('refuses an encrypted frame whose length prefix passes the cap from its 5 header bytes', () => {
    const scan = new StreamScan(CAP)
    expect(scan.feed(Uint8Array.of(10, 0xff, 0xff))).toBe('incomplete')
    expect(scan.feed(Uint8Array.of(10, 0xff, 0xff, 0xff, 0xff))).toBe('too-large')
    expect(scan.declaredBytes).toBe(5 + 0xffffffff)
    // memberlist's own limit is inclusive: 20 MiB of ciphertext is still read.
    const atLimit = new Uint8Array(5)
    atLimit[0] = 10
    new DataView(atLimit.buffer).setUint32(1, MAX_PUSH_STATE_BYTES)
    expect(new StreamScan(CAP).feed(atLimit)).toBe('incomplete')
    new DataView(atLimit.buffer).setUint32(1, MAX_PUSH_STATE_BYTES + 1)
    expect(new StreamScan(CAP).feed(atLimit)).toBe('too-large')
  })

  it('refuses a plaintext push/pull from its header when the user state or the node count cannot fit', () => {
    const big = encodePushPullStream(false, [], new Uint8Array(CAP), false)
    const scan = new StreamScan(CAP)
    // The header alone (type byte and the map) says it: no user-state bytes needed.
    expect(scan.feed(big.subarray(0, 40))).toBe('too-large')
    expect(scan.declaredBytes).toBeGreaterThan(CAP)
    const nodes = Uint8Array.of(6, 0x83, 0xa5, ...text('Nodes'), 0xce, 0xff, 0xff, 0xff, 0xff, 0xac, ...text('UserStateLen'), 0, 0xa4, ...text('Join'), 0xc2)
    expect(new StreamScan(CAP).feed(nodes)).toBe('too-large')
    // Without a cap (the default) the same bytes are merely incomplete.
    expect(new StreamScan().feed(nodes)).toBe('incomplete')
  })

  it('refuses a compressed message whose buffer header declares more than the cap', () => {
    const bin32 = (n: number) => [0xc6, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
    const compressed = (n: number) => Uint8Array.of(9, 0x82, 0xa4, ...text('Algo'), 0, 0xa3, ...text('Buf'), ...bin32(n))
    expect(new StreamScan(CAP).feed(compressed(0x7fffffff))).toBe('too-large')
    expect(new StreamScan(CAP).feed(compressed(1024))).toBe('incomplete')
  })

  it('never refuses a message that fits, and always refuses one a byte over the cap (property)', () => {
    fc.assert(
      fc.property(message, fc.boolean(), fc.boolean(), fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 40 }), (build, compress, encrypted, chunks) => {
        const msg = build(compress, encrypted ? ENCRYPTED : PLAINTEXT)
        const fits = new StreamScan(msg.length)
        const over = new StreamScan(msg.length - 1)
        let len = 0
        const ends = [...chunks.map((c) => (len = Math.min(msg.length, len + c))), msg.length]
        let overState = 'incomplete'
        for (const end of ends) {
          expect(fits.feed(msg.subarray(0, end))).toBe(end === msg.length ? 'complete' : 'incomplete')
          overState = over.feed(msg.subarray(0, end))
          if (end < msg.length) expect(overState).not.toBe('complete')
        }
        expect(overState).toBe('too-large')
      }),
      { numRuns: 300 },
    )
  })
})
