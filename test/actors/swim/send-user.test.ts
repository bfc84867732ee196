/** send-user in swim's core (memberlist SendBestEffort): one bare user message, no piggyback, CRC for a member speaking protocol 5. */
import { describe, expect, it } from 'vitest'
import { addrOf, harness } from './harness.ts'

describe('send-user in the core (memberlist SendBestEffort)', () => {
  it.each([
    ['a member speaking protocol 5: CRC', 2, true],
    ['an address no member has: no CRC', 77, false],
  ] as const)('to %s', (_what, peer, crc) => {
    const h = harness()
    h.node.run(h.node.advance({ type: 'send-user', to: addrOf(peer), bytes: Uint8Array.of(5, 0x80) }))
    const last = h.sent.at(-1)!
    expect(last.req).toMatchObject({ piggyback: false, crc })
    expect(last.messages).toEqual([{ type: 'user', Payload: Uint8Array.of(5, 0x80) }])
    expect(h.node.counters.userMessagesSent).toBe(1)
  })
})
