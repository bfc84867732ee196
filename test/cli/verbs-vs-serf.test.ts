/**
 * Byte-for-byte: the `gossamer` verbs and the real `serf` CLI run the same invocations against the
 * same RPC server (ours, on a FakeNode whose members have at most one tag, so Go's random map order
 * cannot differ), and must print the same stdout and exit with the same code. Help texts differ
 * (ours are in our own words), so usage errors compare the lines before the help.
 */
import { execFile } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryIo } from '../../src/cli/io.ts'
import { startRpcServer } from '../../src/rpc/server.ts'
import type { RpcServer } from '../../src/rpc/server.ts'
import { ensureSerf } from '../support/serf.ts'
import { FakeNode, fakeMember } from '../rpc/support/fake-node.ts'

let node: FakeNode
let server: RpcServer

beforeAll(async () => {
  ensureSerf()
  node = new FakeNode('web-1', 7946, { role: 'web' })
  node.memberList.push(fakeMember('db-1', 7947, { role: 'db' }, 'failed'), fakeMember('cache-long-name', 17948, {}, 'left'))
  node.coordinates.set('web-1', { Vec: [0.001, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0.0001, Height: 0.00001 })
  node.coordinates.set('db-1', { Vec: [0.0021, 0.0042, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: -0.0002, Height: 0.00002 })
  node.keyring = [Buffer.alloc(16, 3).toString('base64')]
  server = await startRpcServer({ node, addr: '127.0.0.1:0', eventHandlers: { 'user:deploy': 'deploy.sh', '*:': 'all.sh' } })
})

afterAll(async () => {
  await server?.close()
  await node?.shutdown()
})

async function ours(args: string[]): Promise<{ code: number; stdout: string }> {
  const io = memoryIo()
  const [verb, ...rest] = args
  const mod = (await import(`../../src/cli/verbs/${verb}.ts`)) as { run(argv: string[], io: unknown, env: Record<string, string>): Promise<number> }
  const code = await mod.run(rest, io, { SERF_RPC_ADDR: server.address })
  return { code, stdout: io.stdout.map((l) => (l.endsWith('\n') ? l : l + '\n')).join('') }
}

function theirs(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(ensureSerf(), args, { timeout: 10_000, encoding: 'utf8', env: { ...process.env, SERF_RPC_ADDR: server.address } }, (err, stdout) =>
      resolve({ code: err === null ? 0 : Number(err.code), stdout }),
    )
  })
}

const SAME: string[][] = [
  ['members'],
  ['members', '-detailed'],
  ['members', '-format=json'],
  ['members', '-format=json', '-status=failed|left'],
  ['members', '-tag', 'role=w.*', '-name=web-1'],
  ['members', '-role=db'],
  ['members', '-format=xml'],
  ['members', '-tag', 'nokey'],
  ['members', '-name=('],
  ['members', '-name=nobody'],
  ['info'],
  ['info', '-format=json'],
  ['event', 'deploy', 'v1'],
  ['event', '-coalesce=false', 'deploy'],
  ['event', 'big', 'x'.repeat(600)],
  ['tags', '-set', 'zone=a'],
  ['tags', '-set', 'broken'],
  ['keys', '-list'],
  ['keys', '-install=abc!'],
  ['keys', '-list', '-use=x'],
  ['rtt', 'web-1', 'db-1'],
  ['rtt', 'db-1'],
  ['rtt', 'cache-long-name'],
  ['query', '-format=json', '-timeout=200ms', 'ping'],
  ['query', '-timeout=200ms', '-no-ack', 'ping', 'payload'],
  ['query', '-format=xml', 'ping'],
  ['query', '-relay-factor=300', 'ping'],
  ['query', '-tag', 'bad', 'ping'],
  ['query', '_serf_nope'],
  ['force-leave', 'ghost'],
  ['join', '10.0.0.1:7946'],
  ['members', '-rpc-addr=127.0.0.1:1'],
]

const FIRST_LINE: string[][] = [['join'], ['force-leave'], ['event'], ['event', 'a', 'b', 'c'], ['query'], ['rtt'], ['tags'], ['keys']]

describe('gossamer verbs print what serf prints', () => {
  for (const args of SAME) {
    it(args.join(' ').slice(0, 80), async () => {
      const [a, b] = [await ours(args), await theirs(args)]
      expect(a).toEqual(b)
    })
  }
  for (const args of FIRST_LINE) {
    it(`${args.join(' ')} (usage: message lines and exit code)`, async () => {
      const [a, b] = [await ours(args), await theirs(args)]
      expect(a.code).toBe(b.code)
      // The message lines before the help are Serf's; the help itself is in our words.
      expect(a.stdout.split('Usage: gossamer ')[0]).toBe(b.stdout.split('Usage: serf ')[0])
      expect(a.stdout).toMatch(new RegExp(`Usage: gossamer ${args[0]} `))
    })
  }
})
