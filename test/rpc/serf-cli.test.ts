/**
 * The real `serf` CLI (Debian 0.9.4) as the client of our RPC server on a FakeNode: every verb's
 * output must be what Serf's own agent would give (serf-rpc.md §8), so a Serf user's scripts work
 * against a Gossamer agent unchanged.
 */
import { execFile, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RpcClient } from '../../src/rpc/client.ts'
import { startRpcServer } from '../../src/rpc/server.ts'
import type { RpcServer } from '../../src/rpc/server.ts'
import { ensureSerf } from '../support/serf.ts'
import { FakeNode, fakeMember } from './support/fake-node.ts'

const KEY_A = Buffer.alloc(16, 1).toString('base64')
const KEY_B = Buffer.alloc(16, 2).toString('base64')

function serf(args: string[], timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(ensureSerf(), args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

let node: FakeNode
let server: RpcServer
let rpc: string

beforeAll(async () => {
  ensureSerf()
  node = new FakeNode('web-1', 7946, { role: 'web', dc: 'east' })
  node.memberList.push(fakeMember('db-1', 7947, { role: 'db' }, 'failed'), fakeMember('cache-10', 17948, {}, 'left'))
  node.coordinates.set('web-1', { Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 0.00001 })
  node.coordinates.set('db-1', { Vec: [0.003, 0.004, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 0.00001 })
  node.log('info', 'agent', 'Serf agent starting')
  node.log('debug', 'memberlist', 'quiet detail')
  server = await startRpcServer({ node, addr: '127.0.0.1:0' })
  rpc = `-rpc-addr=${server.address}`
})

afterAll(async () => {
  await server?.close()
  await node?.shutdown()
})

describe('serf CLI against a Gossamer RPC server', () => {
  it('members: columnized text with tags and status', async () => {
    const r = await serf(['members', rpc])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    // Go prints a member's tags in map order (random): compare the tag field as a set.
    const [first, ...rest] = r.stdout.split('\n')
    expect(first!.slice(0, 'web-1     127.0.0.1:7946   alive   '.length)).toBe('web-1     127.0.0.1:7946   alive   ')
    expect(first!.slice('web-1     127.0.0.1:7946   alive   '.length).split(',').sort()).toEqual(['dc=east', 'role=web'])
    expect(rest).toEqual(['db-1      127.0.0.1:7947   failed  role=db', 'cache-10  127.0.0.1:17948  left', ''])
  })

  it('members -format=json with -status and -tag filters', async () => {
    const r = await serf(['members', rpc, '-format=json', '-status=alive|failed', '-tag', 'role=web|db'])
    expect(r.code).toBe(0)
    const parsed = JSON.parse(r.stdout) as { members: Array<{ name: string; addr: string; port: number; status: string; tags: object; protocol: object }> }
    expect(parsed.members.map((m) => [m.name, m.addr, m.status])).toEqual([
      ['web-1', '127.0.0.1:7946', 'alive'],
      ['db-1', '127.0.0.1:7947', 'failed'],
    ])
    expect(parsed.members[0]).toMatchObject({ port: 7946, tags: { role: 'web', dc: 'east' }, protocol: { min: 2, max: 5, version: 5 } })
    const none = await serf(['members', rpc, '-format=json', '-name=nobody'])
    expect(none.stdout).toBe('{\n  "members": null\n}\n')
  })

  it('members with a regex that does not compile: the server closes, serf says "client closed"', async () => {
    const r = await serf(['members', rpc, '-name=('])
    expect(r).toMatchObject({ code: 1, stdout: 'Error retrieving members: client closed\n' })
  })

  it('event: dispatched with coalescing, reaching the node', async () => {
    const r = await serf(['event', rpc, '-coalesce=false', 'deploy', 'v42'])
    expect(r).toMatchObject({ code: 0, stdout: "Event 'deploy' dispatched! Coalescing enabled: false\n" })
    const call = node.calls.filter((c) => c.method === 'userEvent').at(-1)!
    expect([call.args[0], new TextDecoder().decode(call.args[1] as Uint8Array), call.args[2]]).toEqual(['deploy', 'v42', { coalesce: false }])
    const big = await serf(['event', rpc, 'big', 'x'.repeat(600)])
    expect(big).toMatchObject({ code: 1, stdout: 'Error sending event: user event exceeds configured limit of 512 bytes before encoding\n' })
  })

  it('query: an RPC stream client answers it; serf prints the ack and the response', async () => {
    const responder = await RpcClient.connect({ addr: server.address })
    try {
      const queries = await responder.stream('query:whoami')
      const answering = (async () => {
        for await (const q of queries) {
          if (q.event === 'query') await responder.respond(q.id, new TextEncoder().encode(`I am ${new TextDecoder().decode(q.payload ?? new Uint8Array())}\n`))
          break
        }
      })()
      const r = await serf(['query', rpc, '-timeout=2s', 'whoami', 'web'])
      await answering
      expect(r.code).toBe(0)
      // serf's CLI reads acks and responses from two Go channels with select: their order is random.
      const lines = r.stdout.split('\n')
      expect(lines[0]).toBe("Query 'whoami' dispatched")
      expect(lines.slice(1, 3).sort()).toEqual(["Ack from 'web-1'", "Response from 'web-1': I am web"])
      expect(lines.slice(3)).toEqual(['Total Acks: 1', 'Total Responses: 1', ''])
      const j = await serf(['query', rpc, '-format=json', '-no-ack', '-timeout=300ms', 'nobody-answers'])
      expect(JSON.parse(j.stdout)).toEqual({ Acks: null, Responses: {} })
    } finally {
      responder.close()
    }
  })

  it('keys: -list on an unencrypted node fails as Serf words it; -install and -list on an encrypted one', async () => {
    const plain = await serf(['keys', rpc, '-list'])
    expect(plain.code).toBe(1)
    expect(plain.stdout).toBe(
      '==> Asking all members for installed keys...\nfailed:  web-1  Keyring is empty (encryption not enabled)\n\nFailed to gather member keys: 1/1 nodes reported failure\n',
    )
    node.keyring = [KEY_A]
    try {
      const inst = await serf(['keys', rpc, `-install=${KEY_B}`])
      expect(inst).toMatchObject({ code: 0, stdout: '==> Installing key on all members...\n==> Successfully installed key!\n' })
      const list = await serf(['keys', rpc, '-list'])
      expect(list.code).toBe(0)
      const lines = list.stdout.split('\n')
      expect(lines.slice(0, 3)).toEqual(['==> Asking all members for installed keys...', '==> Keys gathered, listing cluster keys...', ''])
      expect(lines.slice(3, 5).sort()).toEqual([`${KEY_A}  [1/1]`, `${KEY_B}  [1/1]`].sort())
      const bad = await serf(['keys', rpc, '-install=abc'])
      expect(bad).toMatchObject({ code: 1 })
      expect(bad.stdout).toMatch(/Error installing key: illegal base64 data at input byte 0/)
    } finally {
      node.keyring = []
    }
  })

  it('info: sections and string values, text and JSON', async () => {
    const r = await serf(['info', rpc, '-format=json'])
    const info = JSON.parse(r.stdout) as Record<string, Record<string, string>>
    expect(info['agent']).toEqual({ name: 'web-1' })
    expect(info['serf']).toMatchObject({ members: '3', failed: '1', left: '1', encrypted: 'false' })
    const text = await serf(['info', rpc])
    expect(text.stdout).toMatch(/^agent:\n\tname = web-1\n/)
    expect(text.stdout).toMatch(/\nserf:\n\tcoordinate_resets = 0\n\tencrypted = false\n/)
  })

  it('tags -set and -delete change the node tags', async () => {
    const r = await serf(['tags', rpc, '-set', 'zone=a', '-delete', 'dc'])
    expect(r).toMatchObject({ code: 0, stdout: 'Successfully updated agent tags\n' })
    expect((await node.members())[0]!.tags).toEqual({ role: 'web', zone: 'a' })
  })

  it('rtt between two nodes from their coordinates; a node without one is named', async () => {
    const r = await serf(['rtt', rpc, 'web-1', 'db-1'])
    // |(0.003, 0.004)| = 5 ms, plus both heights (0.01 ms each).
    expect(r).toMatchObject({ code: 0, stdout: 'Estimated web-1 <-> db-1 rtt: 5.020 ms\n' })
    const one = await serf(['rtt', rpc, 'db-1'])
    expect(one.stdout).toBe('Estimated db-1 <-> web-1 rtt: 5.020 ms\n')
    const missing = await serf(['rtt', rpc, 'cache-10'])
    expect(missing).toMatchObject({ code: 1, stdout: 'Could not find a coordinate for node "cache-10"\n' })
  })

  it('monitor: the backlog at the level asked, then live lines', async () => {
    const child = spawn(ensureSerf(), ['monitor', rpc, '-log-level=info'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    try {
      const seen = async (text: string): Promise<void> => {
        for (let i = 0; i < 100 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 50))
      }
      await seen('Serf agent starting')
      node.log('warn', 'memberlist', 'live line')
      await seen('live line')
      // serf monitor also opens an event stream: our records must decode in Go.
      node.emit({ type: 'user', ltime: 77n, name: 'deploy', payload: Uint8Array.of(0x70, 0x6c), coalesce: false })
      await seen('Event Info:')
      await seen('LTime: 77')
      expect(out).toMatch(/\tName: "deploy"\n/)
      expect(out).toMatch(/\tPayload: \[\]byte\{0x70, 0x6c\}\n/)
      const lines = out.split('\n').filter((l) => l !== '' && !l.startsWith('\t') && l !== 'Event Info:')
      expect(lines[0]).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[INFO\] agent: Serf agent starting$/)
      expect(lines.some((l) => l.includes('quiet detail'))).toBe(false)
      expect(lines.at(-1)).toMatch(/\[WARN\] memberlist: live line$/)
    } finally {
      child.kill('SIGINT')
      await new Promise((r) => child.once('exit', r))
    }
  })

  it('reachability: the _serf_ping query reaches the node, which acks it', async () => {
    const r = await serf(['reachability', rpc, '-verbose'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Total members: 3, live members: 1\nStarting reachability test\.\.\.\n\tAck from 'web-1'\n/)
    expect(r.stdout).toMatch(/\nSuccessfully contacted all live nodes\n$/)
    const ping = node.calls.filter((c) => c.method === 'query').at(-1)!
    expect([ping.args[0], ping.args[1], (ping.args[2] as { requestAck: boolean }).requestAck]).toEqual(['_serf_ping', null, true])
  })

  it('auth: without a token the first call fails; with a wrong one the connection fails', async () => {
    const authNode = new FakeNode('a1', 7000)
    const authServer = await startRpcServer({ node: authNode, addr: '127.0.0.1:0', authKey: 'sekret' })
    try {
      const none = await serf(['members', `-rpc-addr=${authServer.address}`])
      expect(none).toMatchObject({ code: 1, stdout: 'Error retrieving members: Authentication required\n' })
      const wrong = await serf(['members', `-rpc-addr=${authServer.address}`, '-rpc-auth=nope'])
      expect(wrong).toMatchObject({ code: 1, stdout: 'Error connecting to Serf agent: Invalid authentication token\n' })
      const right = await serf(['members', `-rpc-addr=${authServer.address}`, '-rpc-auth=sekret'])
      expect(right.stdout).toMatch(/^a1  127\.0\.0\.1:7000  alive/)
    } finally {
      await authServer.close()
      await authNode.shutdown()
    }
  })

  it('leave: "Graceful leave complete" after the node left', async () => {
    const leaving = new FakeNode('bye', 7001)
    let exited = false
    const s = await startRpcServer({ node: leaving, addr: '127.0.0.1:0', onLeave: () => (exited = true) })
    try {
      const r = await serf(['leave', `-rpc-addr=${s.address}`])
      expect(r).toMatchObject({ code: 0, stdout: 'Graceful leave complete\n' })
      expect(leaving.calls.map((c) => c.method)).toContain('leave')
      for (let i = 0; i < 50 && !exited; i++) await new Promise((r) => setTimeout(r, 10))
      expect(exited).toBe(true)
    } finally {
      await s.close()
    }
  })
})
