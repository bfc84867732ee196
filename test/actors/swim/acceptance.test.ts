/**
 * What swim accepts from a peer (actors/swim/acceptance.ts), issue 10: "one datagram must never
 * take a node out". Each field of alive, suspect, dead and push/pull entries, through the node's
 * inbound path (SwimNode.onPacket on the test harness; push/pull on a memory network). Every
 * refusal is counted (messagesRefused, lastRefusal) and the node keeps answering pings.
 */
import { describe, expect, it } from 'vitest'
import { aliveRefusal, MAX_INCARNATION, MAX_NAME_BYTES, maxBroadcastBytes, META_MAX_SIZE, nameRule } from '../../../actors/swim/acceptance.ts'
import { validateSwimName } from '../../../actors/swim/config.ts'
import { DEFAULT_VSN } from '../../../actors/swim/messages.ts'
import type { AliveMsg } from '../../../actors/swim/messages.ts'
import { assemblePacket, encodeAlive, encodePushPullStream, PLAINTEXT, tryReadStream } from '../../../actors/swim/packets.ts'
import type { SwimPorts } from '../../../actors/swim/ports.ts'
import { SwimNode } from '../../../actors/swim/swim-node.ts'
import { testConfig } from '../../../actors/swim/config.ts'
import { swim as swimDefinition } from '../../../actors/swim/definition.ts'
import { swimIo } from '../../../actors/swim/io/swim-io.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'
import { fromHex } from '../../../src/wire/hex.ts'
import { addrOf, harness } from './harness.ts'
import { keyedTimers } from './support/keyed-timers.ts'
import { rawAlive, rawMessage, rawPushPull, rawState } from './support/raw-wire.ts'
import type { RawValue } from './support/raw-wire.ts'

/** The datagram of issue 10: an alive for "evil" at 127.0.0.1:8010 with no Vsn field at all. */
const ISSUE_10_ALIVE = '0485ab496e6361726e6174696f6e01a44e6f6465a46576696ca441646472c4047f000001a4506f7274cd1f4aa44d657461c400'

const utf8 = (s: string) => new TextEncoder().encode(s)
const bare = (h: ReturnType<typeof harness>, from: number, bytes: Uint8Array) => h.node.onPacket(addrOf(from), bytes)

/** The node still answers a ping: the last packet it sent is an ack with this sequence number. */
function answersPing(h: ReturnType<typeof harness>, seq: number): boolean {
  const before = h.sent.length
  h.receive(2, { type: 'ping', SeqNo: seq, Node: 'self', SourceAddr: new Uint8Array(0), SourceNode: '', SourcePort: 0 })
  return h.sent.slice(before).some((s) => s.messages.some((m) => m.type === 'ack' && m.SeqNo === seq))
}

describe('swim acceptance: the datagram of issue 10', () => {
  it('refuses an alive without Vsn, counted, and keeps answering pings (it crashed swim before)', () => {
    const h = harness()
    const bytes = fromHex(ISSUE_10_ALIVE)
    for (let i = 0; i < 4; i++) expect(() => bare(h, 9, bytes)).not.toThrow()
    expect(h.node.counters.messagesRefused).toBe(4)
    expect(h.node.counters.lastRefusal).toBe('alive.Vsn must be 6 bytes (got 0)')
    expect(h.node.table.get('evil')).toBeUndefined()
    expect(h.outputs.some((o) => o.out.type === 'node-joined' && o.out.node.name === 'evil')).toBe(false)
    expect(answersPing(h, 77)).toBe(true)
  })
})

describe('swim acceptance: names', () => {
  it.each<[string, unknown, RegExp | undefined]>([
    ['a one-byte name', 'a', undefined],
    ['512 bytes of ASCII', 'n'.repeat(MAX_NAME_BYTES), undefined],
    ['513 bytes of ASCII', 'n'.repeat(MAX_NAME_BYTES + 1), /at most 512 bytes of UTF-8 \(got 513\)/],
    ['171 three-byte characters (513 bytes)', '€'.repeat(171), /got 513/],
    ['128 four-byte characters (512 bytes)', '𝄞'.repeat(128), undefined],
    ['the empty name', '', /non-empty string/],
    ['a non-string', 7, /non-empty string/],
    ['U+FFFD (what bytes that are not UTF-8 decode to)', 'web\uFFFD', /without U\+FFFD/],
    ['a line break', 'web\n1', /control characters \(U\+000A at 3\)/],
    ['NUL', '\0', /control characters/],
    ['DEL', 'a\u007f', /control characters/],
    ['an unpaired high surrogate', 'a\uD834', /unpaired surrogate at 1/],
    ['an unpaired low surrogate', '\uDD1Eb', /unpaired surrogate at 0/],
    ['a leading BOM (kept by the decoder, a name of its own)', '\uFEFFweb-1', undefined],
  ])('%s', (_what, name, rule) => {
    const got = nameRule(name)
    if (rule === undefined) expect(got).toBeUndefined()
    else expect(got).toMatch(rule)
  })

  it('refuses names whose bytes are not UTF-8, as alive Node, suspect/dead Node and From', () => {
    const h = harness()
    const bad = Uint8Array.of(0x6e, 0x32, 0xff) // "n2" + a byte that is not UTF-8: decodes to "n2\uFFFD"
    bare(h, 9, rawAlive({ Node: bad }))
    bare(h, 9, rawMessage('suspect', [['Incarnation', 5], ['Node', 'n2'], ['From', bad]]))
    bare(h, 9, rawMessage('dead', [['Incarnation', 5], ['Node', bad], ['From', 'n3']]))
    bare(h, 9, rawMessage('dead', [['Incarnation', 5], ['Node', 'n2'], ['From', Uint8Array.of(0xc3)]]))
    expect(h.node.counters.messagesRefused).toBe(4)
    expect(h.node.table.get('n2')).toMatchObject({ state: 'alive', incarnation: 1 })
    expect(h.node.table.size()).toBe(5)
  })

  it('keeps a name with a leading BOM apart from the name without it (the decoder stripped it before)', () => {
    const h = harness()
    bare(h, 9, rawAlive({ Node: Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8('n2')), Addr: Uint8Array.of(10, 9, 9, 9), Incarnation: 3 }))
    // Before, this was "n2" at another address: a name conflict with the real n2.
    expect(h.node.counters.conflicts).toBe(0)
    expect(h.node.table.get('\uFEFFn2')).toMatchObject({ state: 'alive', incarnation: 3 })
    expect(h.node.table.get('n2')).toMatchObject({ incarnation: 1 })
  })

  it('refuses an empty name in alive, suspect and dead (member-manager would refuse the node)', () => {
    const h = harness()
    bare(h, 9, rawAlive({ Node: '' }))
    bare(h, 9, rawMessage('suspect', [['Incarnation', 5], ['Node', ''], ['From', 'n2']]))
    bare(h, 9, rawMessage('suspect', [['Incarnation', 5], ['Node', 'n2'], ['From', '']]))
    bare(h, 9, rawMessage('dead', [['Incarnation', 5], ['Node', 'n2'], ['From', '']]))
    expect(h.node.counters.messagesRefused).toBe(4)
    expect(h.node.counters.lastRefusal).toBe('dead.From must be a non-empty string')
    expect(h.node.table.get('')).toBeUndefined()
    expect(h.node.table.get('n2')?.state).toBe('alive')
    expect(h.outputs.some((o) => o.out.type === 'node-joined' && o.out.node.name === '')).toBe(false)
  })

  it('refuses swim.name "" (and any name a peer would refuse) as InvalidConfigError naming swim.name', () => {
    for (const name of ['', 'a\nb', 'x'.repeat(513), 'a\uFFFD', undefined]) {
      let caught: unknown
      try {
        validateSwimName(name)
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(InvalidConfigError)
      expect((caught as InvalidConfigError).details).toEqual({ field: 'swim.name' })
    }
    expect(() => validateSwimName('web-1')).not.toThrow()
  })

  it('leaves a swim actor spawned with name "" failed with a configError naming swim.name', async () => {
    const clock = new SimulatedClock()
    const system = await ActorSystem.start({ logLevel: 'silent', clock })
    try {
      const net = new MemoryNetwork({ clock, random: createSeededRandom(1) })
      const ref = await system.spawn(swimDefinition, { id: 'swim', placement: 'inline', input: { name: '', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 }, ...swimIo((at) => net.createTransport(at)) })
      await clock.advance(10)
      const snap = await ref.getSnapshot()
      expect(snap.value).toBe('failed')
      expect(snap.context.configError).toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'swim.name' } })
    } finally {
      await system.shutdown()
    }
  })
})

describe('swim acceptance: alive fields', () => {
  const cases: Array<[string, Partial<Record<'Incarnation' | 'Node' | 'Addr' | 'Port' | 'Meta' | 'Vsn', RawValue | undefined>>, string | undefined]> = [
    ['no Vsn', { Vsn: undefined }, 'alive.Vsn must be 6 bytes (got 0)'],
    ['a 3-byte Vsn', { Vsn: Uint8Array.of(1, 5, 2) }, 'alive.Vsn must be 6 bytes (got 3)'],
    ['a 7-byte Vsn', { Vsn: Uint8Array.of(1, 5, 2, 2, 5, 5, 0) }, 'alive.Vsn must be 6 bytes (got 7)'],
    ['PMin 0', { Vsn: Uint8Array.of(0, 5, 2, 2, 5, 5) }, 'alive.Vsn must have 0 < PMin <= PMax (got 0, 5)'],
    ['PMax 0', { Vsn: Uint8Array.of(1, 0, 2, 2, 5, 5) }, 'alive.Vsn must have 0 < PMin <= PMax (got 1, 0)'],
    ['PMin above PMax', { Vsn: Uint8Array.of(5, 1, 2, 2, 5, 5) }, 'alive.Vsn must have 0 < PMin <= PMax (got 5, 1)'],
    ['a 16-byte IPv6 Addr', { Addr: new Uint8Array(16).fill(1) }, undefined],
    ['Port 0 (the receiver binds it)', { Port: 0 }, undefined],
    ['Port 65535', { Port: 65535 }, undefined],
    ['Meta of 512 bytes', { Meta: new Uint8Array(META_MAX_SIZE) }, undefined],
    ['Meta of 513 bytes', { Meta: new Uint8Array(META_MAX_SIZE + 1) }, 'alive.Meta must be at most 512 bytes (memberlist MetaMaxSize; got 513)'],
    ['Incarnation 2^32 - 1', { Incarnation: MAX_INCARNATION }, undefined],
  ]
  it.each(cases)('%s', (_what, over, refusal) => {
    const h = harness()
    bare(h, 9, rawAlive({ Node: 'x', ...over }))
    if (refusal === undefined) {
      expect(h.node.counters.messagesRefused).toBe(0)
      expect(h.node.table.get('x')?.state).toBe('alive')
    } else {
      expect(h.node.counters.messagesRefused).toBe(1)
      expect(h.node.counters.lastRefusal).toBe(refusal)
      expect(h.node.table.get('x')).toBeUndefined()
    }
    expect(answersPing(h, 5)).toBe(true)
  })

  it('refuses an Addr that is not 4 or 16 bytes at the decoder (a counted invalid part)', () => {
    const h = harness()
    for (const n of [0, 3, 5, 15, 17]) bare(h, 9, rawAlive({ Addr: new Uint8Array(n) }))
    expect(h.node.counters.packetsMalformed + h.node.counters.partsInvalid).toBe(5)
    expect(h.node.table.get('x')).toBeUndefined()
  })

  it('refuses an alive whose re-broadcast would not fit one packet, at the exact byte', () => {
    // udpBufferSize 700: plaintext broadcasts up to 696 bytes. A name of k bytes with 512 bytes of
    // Meta makes an alive of (base + k) bytes; find the k that lands on the budget exactly.
    const init = { udpBufferSize: 700 }
    const budget = maxBroadcastBytes(700, PLAINTEXT)
    expect(budget).toBe(696)
    const alive = (k: number): AliveMsg => ({ incarnation: 1, node: 'n'.repeat(k), addr: Uint8Array.of(10, 9, 9, 9), port: 7946, meta: new Uint8Array(512), vsn: DEFAULT_VSN })
    let k = 1
    while (encodeAlive(alive(k + 1)).length <= budget) k++
    expect(encodeAlive(alive(k)).length).toBe(budget)
    expect(aliveRefusal(alive(k), budget)).toBeUndefined()
    expect(aliveRefusal(alive(k + 1), budget)).toMatch(/alive encodes to 697 bytes, more than the 696/)
    const h = harness({ init })
    h.node.onPacket(addrOf(9), assemblePacket([encodeAlive(alive(k))], { compress: false, crc: false }))
    h.node.onPacket(addrOf(9), assemblePacket([encodeAlive({ ...alive(k + 1), node: 'm'.repeat(k + 1) })], { compress: false, crc: false }))
    expect(h.node.table.get('n'.repeat(k))?.state).toBe('alive')
    expect(h.node.table.get('m'.repeat(k + 1))).toBeUndefined()
    expect(h.node.counters.messagesRefused).toBe(1)
  })

  it('counts encryption in the budget (29 bytes less per packet)', () => {
    const key = new Uint8Array(16).fill(7)
    const plain = testConfig({ udpBufferSize: 700 })
    const sealed = testConfig({ udpBufferSize: 700, keys: [key] })
    const nodeOf = (config: typeof plain) => new SwimNode(config, { name: 's', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 }, quietPorts(new SimulatedClock()))
    // 110 bytes of name with 512 of Meta: an alive of 682 bytes, between the two budgets.
    const a: AliveMsg = { incarnation: 1, node: 'n'.repeat(110), addr: Uint8Array.of(10, 9, 9, 9), port: 7946, meta: new Uint8Array(512), vsn: DEFAULT_VSN }
    const size = encodeAlive(a).length
    expect(size).toBeGreaterThan(696 - 29)
    expect(size).toBeLessThanOrEqual(696)
    expect(nodeOf(plain).table.alive(a, 0).result).toBe('accepted')
    expect(nodeOf(sealed).table.alive(a, 0)).toMatchObject({ result: 'refused', reason: expect.stringMatching(/alive encodes to 682 bytes, more than the 667 a packet carries/) })
  })
})

describe('swim acceptance: incarnations at the limits', () => {
  it('ignores an incarnation-0 alive for an unknown node (memberlist quirk), accepts 2^32 - 1', () => {
    const h = harness()
    bare(h, 9, rawAlive({ Node: 'zero', Incarnation: 0 }))
    expect(h.node.table.get('zero')?.state).toBe('dead')
    bare(h, 9, rawAlive({ Node: 'max', Incarnation: MAX_INCARNATION }))
    expect(h.node.table.get('max')).toMatchObject({ state: 'alive', incarnation: MAX_INCARNATION })
    expect(h.node.counters.messagesRefused).toBe(0)
  })

  it('leaves no placeholder for an incarnation-0 alive it refuses, so our push/pull still encodes (found by the property test)', () => {
    // Before, the placeholder kept the empty Vsn and our next push/pull reply threw while encoding it.
    const h = harness()
    bare(h, 9, rawAlive({ Node: 'zero', Incarnation: 0, Vsn: undefined }))
    expect(h.node.table.get('zero')).toBeUndefined()
    expect(h.node.counters.messagesRefused).toBe(1)
    expect(() => encodePushPullStream(false, h.node.table.localState(), new Uint8Array(0), false)).not.toThrow()
  })

  it('refutes a suspicion about us at 2^32 - 2 with 2^32 - 1, and counts one at 2^32 - 1 it cannot refute', () => {
    const h = harness()
    expect(() => bare(h, 2, rawMessage('suspect', [['Incarnation', MAX_INCARNATION - 1], ['Node', 'self'], ['From', 'n2']]))).not.toThrow()
    expect(h.node.table.self().incarnation).toBe(MAX_INCARNATION)
    expect(h.node.counters.refutations).toBe(1)
    // Before: inc = accused + 1 = 2^32 went to the encoder, which threw, and swim crashed.
    for (const type of ['suspect', 'dead'] as const) {
      expect(() => bare(h, 2, rawMessage(type, [['Incarnation', MAX_INCARNATION], ['Node', 'self'], ['From', 'n2']]))).not.toThrow()
    }
    expect(() => bare(h, 2, rawAlive({ Node: 'self', Addr: Uint8Array.of(10, 0, 0, 1), Incarnation: MAX_INCARNATION, Meta: Uint8Array.of(1) }))).not.toThrow()
    expect(h.node.counters.refutationsImpossible).toBe(3)
    expect(h.node.counters.broadcastsUnencodable).toBe(0)
    expect(h.node.table.self()).toMatchObject({ incarnation: MAX_INCARNATION, state: 'alive' })
    // A Meta update at the limit keeps the incarnation and does not throw.
    expect(() => h.node.updateMeta(Uint8Array.of(9))).not.toThrow()
    expect(h.node.table.self()).toMatchObject({ incarnation: MAX_INCARNATION, meta: Uint8Array.of(9) })
    expect(answersPing(h, 11)).toBe(true)
  })

  it('refuses a suspicion about us at 2^32 - 1 straight away (it crashed swim before)', () => {
    const h = harness()
    expect(() => bare(h, 2, rawMessage('suspect', [['Incarnation', MAX_INCARNATION], ['Node', 'self'], ['From', 'n2']]))).not.toThrow()
    expect(h.node.counters.refutationsImpossible).toBe(1)
    expect(h.node.table.self().incarnation).toBe(1)
  })
})

describe('swim acceptance: our own name', () => {
  it('reports our own name at another address as a conflict and keeps our record', () => {
    const h = harness()
    bare(h, 9, rawAlive({ Node: 'self', Addr: Uint8Array.of(10, 9, 9, 9), Incarnation: 50 }))
    expect(h.node.counters.conflicts).toBe(1)
    expect(h.node.table.self()).toMatchObject({ addr: Uint8Array.of(10, 0, 0, 1), incarnation: 1, state: 'alive' })
    expect(h.outputs.filter((o) => o.out.type === 'conflict')).toHaveLength(1)
  })
})

describe('swim acceptance: indirect pings', () => {
  it('relays an indirect ping for a valid or empty name, refuses one whose name it could not re-send as it came', () => {
    const h = harness()
    const relayed = () => h.sent.filter((s) => s.to === '10.0.0.3:7946' && s.messages.some((m) => m.type === 'ping')).length
    const ask = (node: RawValue) =>
      bare(h, 9, rawMessage('indirectPing', [['SeqNo', 1], ['Target', Uint8Array.of(10, 0, 0, 3)], ['Port', 7946], ['Node', node], ['Nack', false]]))
    ask('n3')
    ask('')
    expect(relayed()).toBe(2)
    ask(Uint8Array.of(0x6e, 0x33, 0xff)) // "n3" + a byte that is not UTF-8
    ask('a\nb')
    expect(relayed()).toBe(2)
    expect(h.node.counters.messagesRefused).toBe(2)
    expect(h.node.counters.lastRefusal).toBe('indirectPing.Node must not hold control characters (U+000A at 1)')
  })
})

describe('swim acceptance: the last-resort guard of broadcast', () => {
  it('counts a broadcast the encoder refuses instead of throwing', () => {
    const h = harness()
    const bad: AliveMsg = { incarnation: 1, node: 'x', addr: Uint8Array.of(10, 0, 0, 9), port: 1, meta: new Uint8Array(0), vsn: Uint8Array.of(1, 5) }
    expect(() => h.node.broadcast({ type: 'alive', msg: bad })).not.toThrow()
    expect(h.node.counters.broadcastsUnencodable).toBe(1)
    expect(h.node.counters.lastBroadcastError).toBe('alive "x": alive.Vsn must be 6 bytes, got 2')
  })
})

/** SwimPorts that do nothing but keep time (for nodes whose table alone is under test). */
function quietPorts(clock: SimulatedClock): SwimPorts {
  const timers = keyedTimers(clock, () => {})
  return {
    now: () => clock.now(),
    random: () => 0.5,
    setTimer: timers.setTimer,
    cancelTimer: timers.cancelTimer,
    sendPacket: () => ({ result: 'unconfirmed', piggybacked: 0 }),
    enqueueBroadcast: () => {},
    dial: () => {},
    localUserState: (_join, cb) => cb(new Uint8Array(0)),
    mergeRemoteUserState: () => {},
    emit: () => {},
  }
}

describe('swim acceptance: push/pull entries', () => {
  /** A node on a memory network and a peer that sends it one push/pull and reads the reply. */
  function pushPullTo(states: ReturnType<typeof rawState>[]) {
    const clock = new SimulatedClock()
    const net = new MemoryNetwork({ clock, random: createSeededRandom(3) })
    const transport = net.createTransport('10.0.0.1:7946')
    const timers = keyedTimers(clock, (key) => node.onTimer(key))
    const joined: string[] = []
    const ports: SwimPorts = {
      ...quietPorts(clock),
      setTimer: timers.setTimer,
      cancelTimer: timers.cancelTimer,
      dial: (to, ms, cb) => transport.dialCallback(to, ms, cb),
      emit: (o) => void (o.type === 'node-joined' && joined.push(o.node.name)),
    }
    const node: SwimNode = new SwimNode(testConfig(), { name: 'self', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 }, ports)
    transport.onStream((s) => node.onStream(s))
    const peer = net.createTransport('10.0.0.2:7946')
    const reply: Uint8Array[] = []
    peer.dialCallback('10.0.0.1:7946', 1000, (_e, s) => {
      s!.onData((c) => reply.push(c))
      s!.write(rawPushPull(false, states))
    })
    clock.advanceSync(200)
    const joinedReply = Buffer.concat(reply)
    return { node, joined, reply: joinedReply.length > 0 ? tryReadStream(joinedReply) : undefined }
  }

  it('screens each entry as the message it becomes; the rest of the push/pull is merged', () => {
    const { node, joined, reply } = pushPullTo([
      rawState({ Name: 'ok', Addr: Uint8Array.of(10, 0, 0, 2) }),
      rawState({ Name: '', Addr: Uint8Array.of(10, 0, 0, 3) }),
      rawState({ Name: Uint8Array.of(0x61, 0xfe), Addr: Uint8Array.of(10, 0, 0, 4) }),
      rawState({ Name: 'meta', Meta: new Uint8Array(513), Addr: Uint8Array.of(10, 0, 0, 5) }),
      rawState({ Name: 'vsn7', Vsn: Uint8Array.of(1, 5, 2, 2, 5, 5, 5), Addr: Uint8Array.of(10, 0, 0, 6) }),
      rawState({ Name: 'left', State: 3 }),
      rawState({ Name: Uint8Array.of(0xff), State: 2 }),
      rawState({ Name: 'nine', State: 9 }),
    ])
    expect(reply?.done).toBe(true) // answered with our state
    expect(joined).toEqual(['ok'])
    expect(node.table.get('ok')?.state).toBe('alive')
    for (const name of ['', 'a\uFFFD', 'meta', 'vsn7', 'nine']) expect(node.table.get(name)).toBeUndefined()
    // '' (alive), 'a\uFFFD' (alive), 'meta', 'vsn7', '\uFFFD' (dead → suspect) and State 9.
    expect(node.counters.messagesRefused).toBe(6)
    // State 9 is skipped (and counted) before the merge; the last refusal is the merge's.
    expect(node.counters.lastRefusal).toMatch(/^suspect\.Node must be valid UTF-8 without U\+FFFD/)
    // What we hold re-encodes: our next push/pull carries every record.
    expect(() => encodePushPullStream(false, node.table.localState(), new Uint8Array(0), false)).not.toThrow()
    node.stop()
  })
})
