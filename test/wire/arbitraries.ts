/** fast-check arbitraries for every wire message, shared by the property tests. */
import fc from 'fast-check'
import type {
  GossipMessage,
  PacketNode,
  PushNodeState,
  PushPullStream,
  QueryFilter,
  SerfMessage,
  SerfMember,
  StreamNode,
} from '../../src/wire/index.ts'
import { encodeSerfMessage } from '../../src/wire/index.ts'

export const str = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constant(''))
export const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 30, maxLength: 300 }))
export const nbytes = fc.option(bytes, { nil: null })
export const ip = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }))
export const optIp = fc.oneof(ip, fc.constant(new Uint8Array(0)))
export const vsn = fc.uint8Array({ minLength: 6, maxLength: 6 })
export const u8 = fc.integer({ min: 0, max: 0xff })
export const u16 = fc.integer({ min: 0, max: 0xffff })
export const u32 = fc.integer({ min: 0, max: 0xffffffff })
export const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
export const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
export const goInt = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger(), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: 0 }))

export const gossipMessage: fc.Arbitrary<GossipMessage> = fc.oneof(
  fc.record({ type: fc.constant('ping' as const), SeqNo: u32, Node: str, SourceAddr: optIp, SourceNode: str, SourcePort: u16 }),
  fc.record({
    type: fc.constant('indirectPing' as const),
    SeqNo: u32,
    Target: ip,
    Port: u16,
    Node: str,
    Nack: fc.boolean(),
    SourceAddr: optIp,
    SourceNode: str,
    SourcePort: u16,
  }),
  fc.record({ type: fc.constant('ack' as const), SeqNo: u32, Payload: nbytes }),
  fc.record({ type: fc.constant('nack' as const), SeqNo: u32 }),
  fc.record({ type: fc.constant('suspect' as const), Incarnation: u32, Node: str, From: str }),
  fc.record({ type: fc.constant('alive' as const), Incarnation: u32, Node: str, Addr: ip, Port: u16, Meta: bytes, Vsn: vsn }),
  fc.record({ type: fc.constant('dead' as const), Incarnation: u32, Node: str, From: str }),
  fc.record({ type: fc.constant('user' as const), Payload: fc.uint8Array({ minLength: 1, maxLength: 80 }) }),
)

const filter: fc.Arbitrary<QueryFilter> = fc.oneof(
  fc.record({ type: fc.constant('node' as const), Nodes: fc.array(str, { maxLength: 4 }) }),
  fc.record({ type: fc.constant('tag' as const), Tag: str, Expr: str }),
  fc.record({
    type: fc.constant('unknown' as const),
    Raw: fc.tuple(fc.integer({ min: 2, max: 255 }), fc.uint8Array({ maxLength: 10 })).map(([t, rest]) => Uint8Array.of(t, ...rest)),
  }),
)

const stringMap = <V>(value: fc.Arbitrary<V>): fc.Arbitrary<Map<string, V>> =>
  fc.uniqueArray(fc.tuple(str, value), { selector: ([k]) => k, maxLength: 5 }).map((entries) => new Map(entries))

const member: fc.Arbitrary<SerfMember> = fc.record({
  Name: str,
  Addr: ip,
  Port: u16,
  Tags: stringMap(str),
  Status: fc.integer({ min: 0, max: 4 }),
  ProtocolMin: u8,
  ProtocolMax: u8,
  ProtocolCur: u8,
  DelegateMin: u8,
  DelegateMax: u8,
  DelegateCur: u8,
})

const simpleSerf: fc.Arbitrary<SerfMessage> = fc.oneof(
  fc.record({ type: fc.constant('leave' as const), LTime: u64, Node: str, Prune: fc.boolean() }),
  fc.record({ type: fc.constant('join' as const), LTime: u64, Node: str }),
  fc.record({
    type: fc.constant('pushPull' as const),
    LTime: u64,
    StatusLTimes: stringMap(u64),
    LeftMembers: fc.option(fc.array(str, { maxLength: 4 }), { nil: null }),
    EventLTime: u64,
    Events: fc.option(
      fc.array(
        fc.option(
          fc.record({
            LTime: u64,
            Events: fc.option(fc.array(fc.record({ Name: str, Payload: nbytes }), { maxLength: 3 }), { nil: null }),
          }),
          { nil: null },
        ),
        { maxLength: 20 },
      ),
      { nil: null },
    ),
    QueryLTime: u64,
  }),
  fc.record({ type: fc.constant('userEvent' as const), LTime: u64, Name: str, Payload: nbytes, CC: fc.boolean() }),
  fc.record({
    type: fc.constant('query' as const),
    LTime: u64,
    ID: u32,
    Addr: ip,
    Port: u16,
    SourceNode: str,
    Filters: fc.option(fc.array(filter, { maxLength: 3 }), { nil: null }),
    Flags: u32,
    RelayFactor: u8,
    Timeout: i64,
    Name: str,
    Payload: nbytes,
  }),
  fc.record({ type: fc.constant('queryResponse' as const), LTime: u64, ID: u32, From: str, Flags: u32, Payload: nbytes }),
  fc.record({ type: fc.constant('conflictResponse' as const), Member: fc.option(member, { nil: null }) }),
  fc.record({ type: fc.constant('keyRequest' as const), Key: nbytes }),
  fc.record({
    type: fc.constant('keyResponse' as const),
    Result: fc.boolean(),
    Message: str,
    Keys: fc.option(fc.array(str, { maxLength: 4 }), { nil: null }),
    PrimaryKey: str,
  }),
)

export const serfMessage: fc.Arbitrary<SerfMessage> = fc.oneof(
  { arbitrary: simpleSerf, weight: 9 },
  {
    arbitrary: fc.record({
      type: fc.constant('relay' as const),
      DestAddr: fc.record({ IP: ip, Port: goInt, Zone: str }),
      DestName: str,
      Message: simpleSerf.map(encodeSerfMessage),
    }),
    weight: 1,
  },
)

const innerPacket: fc.Arbitrary<PacketNode> = fc.letrec<{ node: PacketNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: gossipMessage, weight: 6 },
    {
      arbitrary: fc.record({
        type: fc.constant('compound' as const),
        parts: fc.array(tie('node'), { maxLength: 5 }),
        truncated: fc.constant(0),
      }),
      weight: 2,
    },
    { arbitrary: fc.record({ type: fc.constant('compress' as const), Algo: fc.constant(0), inner: tie('node') }), weight: 1 },
  ),
})).node

/** A packet tree as Go could send it: an optional CRC wrapper around nested compounds/compression. */
export const packetTree: fc.Arbitrary<PacketNode> = fc.oneof(
  innerPacket,
  innerPacket.map((inner): PacketNode => ({ type: 'hasCrc', crc: 0, inner })),
)

const nodeState: fc.Arbitrary<PushNodeState> = fc.record({
  Name: str,
  Addr: ip,
  Port: u16,
  Meta: bytes,
  Incarnation: u32,
  State: fc.integer({ min: 0, max: 3 }),
  Vsn: vsn,
})

export const pushPullStream: fc.Arbitrary<PushPullStream> = fc
  .record({ Join: fc.boolean(), NodeStates: fc.array(nodeState, { maxLength: 5 }), UserState: fc.uint8Array({ maxLength: 200 }) })
  .map((p) => ({ type: 'pushPull' as const, ...p, Nodes: p.NodeStates.length, UserStateLen: p.UserState.length }))

const streamMessage = fc.oneof(
  pushPullStream,
  fc.uint8Array({ maxLength: 100 }).map((Payload) => ({ type: 'user' as const, UserMsgLen: Payload.length, Payload })),
  fc.record({ type: fc.constant('ping' as const), SeqNo: u32, Node: str, SourceAddr: optIp, SourceNode: str, SourcePort: u16 }),
  fc.record({ type: fc.constant('ack' as const), SeqNo: u32, Payload: nbytes }),
  fc.record({ type: fc.constant('err' as const), Error: str }),
)

export const streamTree: fc.Arbitrary<StreamNode> = fc.oneof(
  streamMessage,
  streamMessage.map((inner): StreamNode => ({ type: 'compress', Algo: 0, inner })),
)
