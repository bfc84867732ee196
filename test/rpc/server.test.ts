/**
 * The RPC server against raw msgpack clients: framing, the session rules of serf-rpc.md §1.6, the
 * exact response shapes of §1.4/§3, streams (§4) and every kind of bad input, on a FakeNode.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ClusterError } from '../../src/errors/index.ts'
import { startRpcServer } from '../../src/rpc/server.ts'
import type { RpcServer, RpcServerOptions } from '../../src/rpc/server.ts'
import { F64 } from '../../src/rpc/values.ts'
import type { OutValue } from '../../src/rpc/values.ts'
import { FakeNode, fakeMember } from './support/fake-node.ts'
import { RawConn } from './support/raw-conn.ts'

let cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c()
  cleanups = []
})

async function setup(options: Partial<RpcServerOptions> = {}, node = new FakeNode('n1', 7946, { role: 'web' })): Promise<{ node: FakeNode; server: RpcServer; open(): Promise<RawConn> }> {
  const server = await startRpcServer({ node, addr: '127.0.0.1:0', ...options })
  cleanups.push(() => node.shutdown(), () => server.close())
  return {
    node,
    server,
    open: async () => {
      const c = await RawConn.open(server.address)
      cleanups.push(() => c.close())
      return c
    },
  }
}

const ok = (seq: number) => ({ Error: '', Seq: seq })

describe('framing and session rules', () => {
  it('answers pipelined requests sent in one write, in order, with their Seq', async () => {
    const { open } = await setup()
    const c = await open()
    c.send({ Command: 'handshake', Seq: 1 }, { Version: 1 }, { Command: 'members', Seq: 2 }, { Command: 'get-coordinate', Seq: 3 }, { Node: 'nope' }, { Command: 'stop', Seq: 4 }, { Stop: 99 })
    expect(await c.next()).toEqual(ok(1))
    expect(await c.next()).toEqual(ok(2))
    expect(Object.keys((await c.next()) as object)).toEqual(['Members'])
    expect(await c.next()).toEqual(ok(3))
    expect(await c.next()).toEqual({ Coord: { Vec: null, Error: 0, Adjustment: 0, Height: 0 }, Ok: false })
    expect(await c.next()).toEqual(ok(4))
  })

  it('a first command that is not handshake gets "Handshake required" and the socket closes', async () => {
    const { open, server } = await setup()
    const c = await open()
    c.request('members', 7)
    expect(await c.next()).toEqual({ Error: 'Handshake required', Seq: 7 })
    expect(await c.next()).toBe('closed')
    expect(server.stats().handshakeRequired).toBe(1)
  })

  it('version 0 or 2 is refused and the session may retry; a second handshake is refused', async () => {
    const { open } = await setup()
    const c = await open()
    c.request('handshake', 1, { Version: 0 })
    expect(await c.next()).toEqual({ Error: 'Unsupported IPC version', Seq: 1 })
    c.request('handshake', 2, {})
    expect(await c.next()).toEqual({ Error: 'Unsupported IPC version', Seq: 2 })
    c.request('handshake', 3, { Version: 2 })
    expect(await c.next()).toEqual({ Error: 'Unsupported IPC version', Seq: 3 })
    c.request('handshake', 4, { Version: 1 })
    expect(await c.next()).toEqual(ok(4))
    c.request('handshake', 5, { Version: 1 })
    expect(await c.next()).toEqual({ Error: 'Handshake already performed', Seq: 5 })
    c.request('members', 6)
    expect(await c.next()).toEqual(ok(6))
  })

  it('with an auth key: commands need auth (answered once, body consumed), a wrong key is refused, a later wrong key does not lock', async () => {
    const { open, server } = await setup({ authKey: 'sekret' })
    const c = await open()
    await c.handshake()
    c.request('members-filtered', 2, { Name: 'n1' })
    expect(await c.next()).toEqual({ Error: 'Authentication required', Seq: 2 })
    c.request('auth', 3, { AuthKey: 'wrong' })
    // Serf's agent answers the unread body as a second "Authentication required": we read it, so Seq 3 is next.
    expect(await c.next()).toEqual({ Error: 'Invalid authentication token', Seq: 3 })
    c.request('auth', 4, { AuthKey: 'sekret' })
    expect(await c.next()).toEqual(ok(4))
    c.request('auth', 5, { AuthKey: 'wrong' })
    expect(await c.next()).toEqual({ Error: 'Invalid authentication token', Seq: 5 })
    c.request('members', 6)
    expect(await c.next()).toEqual(ok(6))
    expect(server.stats()).toMatchObject({ authRequired: 1, authFailures: 2 })
  })

  it('without an auth key, a non-empty AuthKey is refused and an empty one accepted', async () => {
    const { open } = await setup()
    const c = await open()
    await c.handshake()
    c.request('auth', 2, { AuthKey: 'x' })
    expect(await c.next()).toEqual({ Error: 'Invalid authentication token', Seq: 2 })
    c.request('auth', 3, { AuthKey: '' })
    expect(await c.next()).toEqual(ok(3))
  })

  it('an unknown command gets "Unsupported command" and the socket closes', async () => {
    const { open, server } = await setup()
    const c = await open()
    await c.handshake()
    c.request('frobnicate', 2, {})
    expect(await c.next()).toEqual({ Error: 'Unsupported command', Seq: 2 })
    expect(await c.next()).toBe('closed')
    expect(server.stats().unknownCommands).toBe(1)
  })

  it('a float in an integer field, bin in a string field, or a bad members-filtered regex closes the socket with no reply', async () => {
    const { open, server } = await setup()
    const a = await open()
    a.send({ Command: 'handshake', Seq: 1 }, { Version: new F64(1) })
    expect(await a.next()).toBe('closed')
    const b = await open()
    await b.handshake()
    b.send({ Command: 'event', Seq: 2 }, { Name: new TextEncoder().encode('deploy'), Payload: null, Coalesce: false })
    expect(await b.next()).toBe('closed')
    const c = await open()
    await c.handshake()
    c.request('members-filtered', 2, { Name: '(' })
    expect(await c.next()).toBe('closed')
    expect(server.stats()).toMatchObject({ decodeFailures: 2, badPatterns: 1 })
    // The server still serves.
    const d = await open()
    await d.handshake()
  })

  it('accepts int64-encoded integers and str for byte fields', async () => {
    const { open, node } = await setup()
    const c = await open()
    // {Command:"handshake", Seq:int64 1}{Version:int64 1}
    const int64 = (n: number) => [0xd3, 0, 0, 0, 0, 0, 0, 0, n]
    const hs = [0x82, 0xa7, ...Buffer.from('Command'), 0xa9, ...Buffer.from('handshake'), 0xa3, ...Buffer.from('Seq'), ...int64(1), 0x81, 0xa7, ...Buffer.from('Version'), ...int64(1)]
    c.sendBytes(Uint8Array.from(hs))
    expect(await c.next()).toEqual(ok(1))
    c.request('event', 2, { Name: 'e', Payload: 'text payload', Coalesce: false })
    expect(await c.next()).toEqual(ok(2))
    expect(new TextDecoder().decode(node.calls.find((x) => x.method === 'userEvent')!.args[1] as Uint8Array)).toBe('text payload')
  })

  it('an object over maxFrameBytes closes the connection from its declared size, and is counted', async () => {
    const { open, server } = await setup({ maxFrameBytes: 1024 })
    const c = await open()
    await c.handshake()
    // str32 declaring 1 MiB: refused before the bytes arrive.
    c.sendBytes(Uint8Array.from([0xdb, 0x00, 0x10, 0x00, 0x00, 0x41]))
    expect(await c.next()).toBe('closed')
    // An array of 16 items whose items are big: refused once more than 1 KiB is buffered, incomplete.
    const e = await open()
    await e.handshake()
    e.sendBytes(Uint8Array.from([0xdc, 0x00, 0x10]))
    for (let i = 0; i < 3; i++) e.sendBytes(Uint8Array.from([0xc5, 0x01, 0x90, ...new Uint8Array(400)]))
    expect(await e.next()).toBe('closed')
    expect(server.stats().framesTooLarge).toBe(2)
  })

  it('a truncated frame followed by a disconnect leaves the server serving', async () => {
    const { open } = await setup()
    const c = await open()
    await c.handshake()
    c.sendBytes(Uint8Array.from([0x82, 0xa7, ...Buffer.from('Comm')]))
    c.close()
    const d = await open()
    await d.handshake()
  })

  it('closes a connection that does not complete the handshake in time, and counts it', async () => {
    const { open, server } = await setup({ handshakeTimeoutMs: 150 })
    const idle = await open()
    const ok1 = await open()
    await ok1.handshake()
    expect(await idle.next(5000)).toBe('closed')
    expect(await ok1.quiet(300)).toBe(true)
    expect(ok1.closed).toBe(false)
    expect(server.stats().handshakeTimeouts).toBe(1)
  })

  it('refuses connections past maxConnections, and counts them', async () => {
    const { open, server } = await setup({ maxConnections: 2 })
    const a = await open()
    const b = await open()
    await a.handshake()
    await b.handshake()
    const c = await open()
    expect(await c.next()).toBe('closed')
    expect(server.stats()).toMatchObject({ connectionsRefused: 1, connectionsOpen: 2 })
  })
})

describe('response shapes', () => {
  it('members: Member fields with Addr as a 4-byte bin, failed members included', async () => {
    const node = new FakeNode('n1', 7946, { role: 'web' })
    node.memberList.push(fakeMember('n2', 7947, {}, 'failed'))
    const { open } = await setup({}, node)
    const c = await open()
    await c.handshake()
    c.request('members', 2)
    await c.next()
    const raw = (await c.nextRaw())!
    const body = raw.value as { Members: Array<Record<string, unknown>> }
    expect(body.Members.map((m) => [m.Name, m.Status])).toEqual([
      ['n1', 'alive'],
      ['n2', 'failed'],
    ])
    expect(Object.keys(body.Members[0]!).sort()).toEqual(
      ['Addr', 'DelegateCur', 'DelegateMax', 'DelegateMin', 'Name', 'Port', 'ProtocolCur', 'ProtocolMax', 'ProtocolMin', 'Status', 'Tags'].sort(),
    )
    // "Addr" then bin8 of length 4.
    const at = Buffer.from(raw.bytes).indexOf(Buffer.from('Addr'))
    expect([...raw.bytes.subarray(at + 4, at + 6)]).toEqual([0xc4, 0x04])
  })

  it('members-filtered: anchored by concatenation, a missing tag tests as "", [] when nothing matches', async () => {
    const node = new FakeNode('web-1', 7946, { role: 'web' })
    node.memberList.push(fakeMember('db-1', 7947, { role: 'db', dc: 'x' }, 'failed'), fakeMember('web-10', 7948, {}, 'left'))
    const { open } = await setup({}, node)
    const c = await open()
    await c.handshake()
    const names = async (seq: number, body: Record<string, OutValue>): Promise<string[]> => {
      c.request('members-filtered', seq, body)
      expect(await c.next()).toEqual(ok(seq))
      return ((await c.next()) as { Members: Array<{ Name: string }> }).Members.map((m) => m.Name)
    }
    expect(await names(2, { Name: 'web' })).toEqual([])
    expect(await names(3, { Name: 'web-1' })).toEqual(['web-1'])
    expect(await names(4, { Name: 'web-1|db' })).toEqual(['web-1', 'web-10'])
    expect(await names(5, { Tags: { dc: '' } })).toEqual(['web-1', 'web-10'])
    expect(await names(6, { Status: 'failed|left' })).toEqual(['db-1', 'web-10'])
    expect(await names(7, { Tags: { role: 'web' }, Status: 'alive' })).toEqual(['web-1'])
    expect(await names(8, { Name: 'nobody' })).toEqual([])
  })

  it('join: {Num} on success, and on failure the body is still there with Num 0 and the error text', async () => {
    const { open, node } = await setup()
    node.reachable.add('10.0.0.1:7946')
    const c = await open()
    await c.handshake()
    c.request('join', 2, { Existing: ['10.0.0.1:7946', '10.0.0.2:7946'], Replay: false })
    expect(await c.next()).toEqual(ok(2))
    expect(await c.next()).toEqual({ Num: 1 })
    c.request('join', 3, { Existing: ['127.0.0.1:1'], Replay: true })
    const head = (await c.next()) as { Error: string }
    expect(head.Error).toMatch(/^1 error occurred:\n\t\* Failed to join 127\.0\.0\.1:1/)
    expect(await c.next()).toEqual({ Num: 0 })
    expect(node.calls.filter((x) => x.method === 'join').map((x) => x.args[1])).toEqual([{ replay: false }, { replay: true }])
  })

  it('key operations: the five-key body always; failure counts as Serf words them; bad base64 has NumNodes 0', async () => {
    const { open, node } = await setup()
    const c = await open()
    await c.handshake()
    c.request('list-keys', 2)
    expect(await c.next()).toEqual({ Error: '1/1 nodes reported failure', Seq: 2 })
    expect(await c.next()).toEqual({ Messages: { n1: 'Keyring is empty (encryption not enabled)' }, Keys: {}, NumNodes: 1, NumErr: 1, NumResp: 1 })
    c.request('install-key', 3, { Key: 'ab!d' })
    expect(await c.next()).toEqual({ Error: 'illegal base64 data at input byte 2', Seq: 3 })
    expect(await c.next()).toEqual({ Messages: {}, Keys: null, NumNodes: 0, NumErr: 0, NumResp: 0 })
    node.keyring = ['AAAAAAAAAAAAAAAAAAAAAA==']
    c.request('install-key', 4, { Key: 'AQEBAQEBAQEBAQEBAQEBAQ==' })
    expect(await c.next()).toEqual(ok(4))
    expect(await c.next()).toEqual({ Messages: {}, Keys: null, NumNodes: 1, NumErr: 0, NumResp: 1 })
    c.request('remove-key', 5, { Key: 'AAAAAAAAAAAAAAAAAAAAAA==' })
    expect(await c.next()).toEqual({ Error: '1/1 nodes reported failure', Seq: 5 })
    expect(((await c.next()) as { Messages: object }).Messages).toEqual({ n1: 'Removing the primary key is not allowed' })
    c.request('list-keys', 6)
    expect(await c.next()).toEqual(ok(6))
    expect(((await c.next()) as { Keys: object }).Keys).toEqual({ 'AAAAAAAAAAAAAAAAAAAAAA==': 1, 'AQEBAQEBAQEBAQEBAQEBAQ==': 1 })
  })

  it('stats: every leaf a string, the five sections, event handlers as given', async () => {
    const { open } = await setup({ eventHandlers: { 'user:deploy': 'deploy.sh' } })
    const c = await open()
    await c.handshake()
    c.request('stats', 2)
    expect(await c.next()).toEqual(ok(2))
    const stats = (await c.next()) as Record<string, Record<string, unknown>>
    expect(Object.keys(stats).sort()).toEqual(['agent', 'event_handlers', 'runtime', 'serf', 'tags'])
    for (const section of Object.values(stats)) for (const v of Object.values(section)) expect(typeof v).toBe('string')
    expect(stats['serf']!['encrypted']).toBe('false')
    expect(stats['event_handlers']).toEqual({ 'user:deploy': 'deploy.sh' })
    expect(stats['tags']).toEqual({ role: 'web' })
    expect(stats['agent']).toEqual({ name: 'n1' })
  })

  it('stats: the agent\'s own facts join the agent section, read at each request, and never replace its name', async () => {
    let turbofan = 'off'
    const { open } = await setup({ agentStats: () => ({ turbofan, name: 'not-the-node' }) })
    const c = await open()
    await c.handshake()
    c.request('stats', 2)
    await c.next()
    expect(((await c.next()) as Record<string, unknown>)['agent']).toEqual({ name: 'n1', turbofan: 'off' })
    turbofan = 'on'
    c.request('stats', 3)
    await c.next()
    expect(((await c.next()) as Record<string, unknown>)['agent']).toEqual({ name: 'n1', turbofan: 'on' })
  })

  it('get-coordinate: 8 float64 components with Ok for a known node', async () => {
    const { open, node } = await setup()
    node.coordinates.set('n1', { Vec: [0, 0.001, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 1e-5 })
    const c = await open()
    await c.handshake()
    c.request('get-coordinate', 2, { Node: 'n1' })
    await c.next()
    const raw = (await c.nextRaw())!
    expect(raw.value).toEqual({ Coord: { Vec: [0, 0.001, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 1e-5 }, Ok: true })
    // Integral components still go out as float64 (0xcb), as Go writes them.
    expect(Buffer.from(raw.bytes).filter((b) => b === 0xcb).length).toBeGreaterThanOrEqual(11)
  })

  it('event: the size limit text, an empty name accepted, Coalesce passed on', async () => {
    const { open, node } = await setup()
    const c = await open()
    await c.handshake()
    c.request('event', 2, { Name: 'big', Payload: new Uint8Array(510), Coalesce: true })
    expect(await c.next()).toEqual({ Error: 'user event exceeds configured limit of 512 bytes before encoding', Seq: 2 })
    c.request('event', 3, { Name: '', Payload: null, Coalesce: false })
    expect(await c.next()).toEqual(ok(3))
    expect(node.calls.filter((x) => x.method === 'userEvent').map((x) => x.args)).toEqual([['', null, { coalesce: false }]])
  })

  it('a node call that fails is an error reply with its body, and the connection stays open', async () => {
    const { open, node } = await setup()
    node.members = async () => {
      throw new ClusterError('ERR_NODE_STOPPED', 'node is shut down')
    }
    const c = await open()
    await c.handshake()
    c.request('members', 2)
    expect(await c.next()).toEqual({ Error: 'node is shut down', Seq: 2 })
    expect(await c.next()).toEqual({ Members: [] })
    c.request('members-filtered', 3, { Name: 'x' })
    expect(await c.next()).toEqual({ Error: 'node is shut down', Seq: 3 })
    expect(await c.next()).toEqual({ Members: [] })
    c.request('stats', 4)
    expect(await c.next()).toEqual(ok(4))
  })

  it('tags: delete then set is passed to the node; force-leave of an unknown node succeeds', async () => {
    const { open, node } = await setup()
    const c = await open()
    await c.handshake()
    c.request('tags', 2, { Tags: { a: '1' }, DeleteTags: ['role'] })
    expect(await c.next()).toEqual(ok(2))
    expect((await node.members())[0]!.tags).toEqual({ a: '1' })
    c.request('force-leave', 3, { Node: 'ghost', Prune: true })
    expect(await c.next()).toEqual(ok(3))
  })
})

describe('streams', () => {
  it('stream: ack first, then records; filters; a duplicate Seq and a bad filter are refused; two streams both get an event', async () => {
    const { open, node } = await setup()
    const c = await open()
    await c.handshake()
    c.request('stream', 2, { Type: 'user:deploy,member-update' })
    expect(await c.next()).toEqual(ok(2))
    c.request('stream', 2, { Type: '*' })
    expect(await c.next()).toEqual({ Error: 'Stream with given sequence exists', Seq: 2 })
    c.request('stream', 3, { Type: 'member-join,bogus' })
    expect(await c.next()).toEqual({ Error: 'Invalid event filter', Seq: 3 })
    c.request('stream', 4, { Type: '' })
    expect(await c.next()).toEqual(ok(4))
    node.emit({ type: 'user', ltime: 5n, name: 'other', payload: null, coalesce: false })
    node.emit({ type: 'user', ltime: 6n, name: 'deploy', payload: Uint8Array.of(1), coalesce: true })
    // "other" matches only the '' stream; "deploy" reaches both (the order between streams is free).
    expect(await c.next()).toEqual(ok(4))
    expect(await c.next()).toEqual({ Event: 'user', LTime: 5, Name: 'other', Payload: null, Coalesce: false })
    const seqs: unknown[] = []
    for (let i = 0; i < 2; i++) {
      seqs.push(((await c.next()) as { Seq: number }).Seq)
      expect(await c.next()).toEqual({ Event: 'user', LTime: 6, Name: 'deploy', Payload: Uint8Array.of(1), Coalesce: true })
    }
    expect(seqs.sort()).toEqual([2, 4])
    c.request('stop', 5, { Stop: 4 })
    expect(await c.next()).toEqual(ok(5))
    node.emit({ type: 'member-update', members: [fakeMember('n1', 7946)] })
    expect(await c.next()).toEqual(ok(2))
    expect(((await c.next()) as { Event: string }).Event).toBe('member-update')
    expect(await c.quiet(100)).toBe(true)
  })

  it('query and respond: per-connection IDs from 1, the querier gets ack, response and one done; a second respond and an unknown ID are refused', async () => {
    const { open } = await setup()
    const listener = await open()
    await listener.handshake()
    listener.request('stream', 2, { Type: 'query' })
    expect(await listener.next()).toEqual(ok(2))
    const asker = await open()
    await asker.handshake()
    asker.request('query', 2, { Name: 'load', Payload: Uint8Array.of(9), RequestAck: true, Timeout: 400_000_000, FilterNodes: [], FilterTags: {}, RelayFactor: 0 })
    expect(await asker.next()).toEqual(ok(2))
    expect(await listener.next()).toEqual(ok(2))
    const q = (await listener.next()) as Record<string, unknown>
    expect(q).toMatchObject({ Event: 'query', ID: 1, Name: 'load', Payload: Uint8Array.of(9) })
    listener.request('respond', 3, { ID: 1, Payload: Uint8Array.of(7) })
    expect(await listener.next()).toEqual(ok(3))
    listener.request('respond', 4, { ID: 1, Payload: Uint8Array.of(7) })
    expect(await listener.next()).toEqual({ Error: 'failed to respond to key query: response already sent', Seq: 4 })
    listener.request('respond', 5, { ID: 42, Payload: null })
    expect(await listener.next()).toEqual({ Error: 'No pending queries matching ID', Seq: 5 })
    const records: unknown[] = []
    for (let i = 0; i < 3; i++) {
      expect(await asker.next()).toEqual(ok(2))
      records.push(await asker.next())
    }
    expect(records).toEqual([
      { Type: 'ack', From: 'n1', Payload: null },
      { Type: 'response', From: 'n1', Payload: Uint8Array.of(7) },
      { Type: 'done', From: '', Payload: null },
    ])
    expect(await asker.quiet(100)).toBe(true)
  })

  it('query: the _serf_ prefix is refused except _serf_ping with a nil payload', async () => {
    const { open } = await setup()
    const c = await open()
    await c.handshake()
    const base = { FilterNodes: [], FilterTags: {}, RequestAck: false, RelayFactor: 0, Timeout: 50_000_000 }
    c.request('query', 2, { ...base, Name: '_serf_x', Payload: null })
    expect(await c.next()).toEqual({ Error: "Queries cannot contain the '_serf_' prefix", Seq: 2 })
    c.request('query', 3, { ...base, Name: '_serf_ping', Payload: Uint8Array.of(1) })
    expect(await c.next()).toEqual({ Error: "Queries cannot contain the '_serf_' prefix", Seq: 3 })
    c.request('query', 4, { ...base, Name: '_serf_ping', Payload: null })
    expect(await c.next()).toEqual(ok(4))
  })

  it('monitor: level text, backlog replayed first and filtered, one per connection, stop then a new one', async () => {
    const { open, node } = await setup()
    node.log('info', 'agent', 'old info', Date.UTC(2026, 0, 2, 3, 4, 5))
    node.log('warn', 'memberlist', 'old warn', Date.UTC(2026, 0, 2, 3, 4, 6))
    const c = await open()
    await c.handshake()
    c.request('monitor', 2, { LogLevel: 'foo' })
    expect(await c.next()).toEqual({ Error: 'Unknown log level: FOO', Seq: 2 })
    c.request('monitor', 3, { LogLevel: '' })
    expect(await c.next()).toEqual({ Error: 'Unknown log level: ', Seq: 3 })
    c.request('monitor', 4, { LogLevel: 'warn' })
    expect(await c.next()).toEqual(ok(4))
    expect(await c.next()).toEqual(ok(4))
    expect(((await c.next()) as { Log: string }).Log).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[WARN\] memberlist: old warn$/)
    c.request('monitor', 5, { LogLevel: 'debug' })
    expect(await c.next()).toEqual({ Error: 'Monitor already exists', Seq: 5 })
    node.log('info', 'agent', 'hidden')
    node.log('error', 'agent', 'shown')
    expect(await c.next()).toEqual(ok(4))
    expect(((await c.next()) as { Log: string }).Log).toMatch(/\[ERR\] agent: shown$/)
    c.request('stop', 6, { Stop: 4 })
    expect(await c.next()).toEqual(ok(6))
    c.request('monitor', 7, { LogLevel: 'INFO' })
    expect(await c.next()).toEqual(ok(7))
  })

  it('a client that disconnects mid-stream leaves no stream, monitor or query behind in the node', async () => {
    const { open, node, server } = await setup()
    const c = await open()
    await c.handshake()
    c.request('stream', 2, { Type: '*' })
    c.request('monitor', 3, { LogLevel: 'info' })
    c.request('query', 4, { Name: 'slow', Payload: null, Timeout: 60_000_000_000n, FilterNodes: [], FilterTags: {}, RequestAck: false, RelayFactor: 0 })
    for (let i = 0; i < 3; i++) expect(await c.next()).toMatchObject({ Error: '' })
    expect([node.openEventReaders, node.openLogReaders, node.openQueryStreams]).toEqual([1, 1, 1])
    c.close()
    await c.closedPromise
    for (let i = 0; i < 50 && server.stats().connectionsOpen > 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect([node.openEventReaders, node.openLogReaders, node.openQueryStreams]).toEqual([0, 0, 0])
  })

  it('leave: the reply comes after the node left, then every connection closes and onLeave runs', async () => {
    let left = 0
    const { open, node } = await setup({ onLeave: () => left++ })
    const other = await open()
    await other.handshake()
    const c = await open()
    await c.handshake()
    c.request('leave', 2)
    expect(await c.next()).toEqual(ok(2))
    expect(node.calls.some((x) => x.method === 'leave')).toBe(true)
    expect(await c.next()).toBe('closed')
    expect(await other.next()).toBe('closed')
    for (let i = 0; i < 50 && left === 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(left).toBe(1)
  })

  it('close() ends open streams and connections', async () => {
    const { open, node, server } = await setup()
    const c = await open()
    await c.handshake()
    c.request('stream', 2, { Type: '*' })
    expect(await c.next()).toEqual(ok(2))
    await server.close()
    expect(await c.next()).toBe('closed')
    expect(node.openEventReaders).toBe(0)
  })
})
