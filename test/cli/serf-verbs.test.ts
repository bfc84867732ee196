/**
 * The `gossamer` client verbs against REAL `serf agent`s (Debian 0.9.4): each verb's output is
 * compared with the `serf` CLI's own output where that is deterministic, and with the texts of
 * serf-rpc.md §8 otherwise. Agents use the 'local' profile and one shared encryption key.
 */
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryIo } from '../../src/cli/io.ts'
import { main } from '../../src/cli/main.ts'
import { runMonitor } from '../../src/cli/verbs/monitor.ts'
import { RpcClient } from '../../src/rpc/client.ts'
import { SerfAgent, ensureSerf, stopAgents, waitUntil } from '../support/serf.ts'

const KEY = Buffer.alloc(32, 7).toString('base64')
const KEY2 = Buffer.alloc(32, 9).toString('base64')

let dir: string
let a: SerfAgent
let b: SerfAgent
let c: SerfAgent | undefined

/** Runs a gossamer verb in-process; output joined as the process would print it. */
async function gossamer(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo()
  const [verb, ...rest] = args
  const mod = (await import(`../../src/cli/verbs/${verb}.ts`)) as { run(argv: string[], io: unknown, env: Record<string, string>): Promise<number> }
  const code = await mod.run(rest, io, env)
  const text = (lines: string[]): string => lines.map((l) => (l.endsWith('\n') ? l : l + '\n')).join('')
  return { code, stdout: text(io.stdout), stderr: text(io.stderr) }
}

function serf(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(ensureSerf(), args, { timeout: 15_000, encoding: 'utf8' }, (err, stdout) => resolve({ code: err === null ? 0 : Number(err.code), stdout }))
  })
}

const sortLines = (s: string): string[] => s.split('\n').sort()

beforeAll(async () => {
  ensureSerf()
  dir = mkdtempSync(join(tmpdir(), 'gossamer-verbs-'))
  const script = join(dir, 'whoami.sh')
  writeFileSync(script, '#!/bin/sh\necho "I am $SERF_SELF_NAME"\n')
  chmodSync(script, 0o755)
  a = await SerfAgent.start({ name: 'sa', profile: 'local', encryptKey: KEY, tags: { role: 'web' }, eventHandlers: [`query:whoami=${script}`] })
  b = await SerfAgent.start({ name: 'sb', profile: 'local', encryptKey: KEY, tags: { role: 'db' }, join: [a.bindAddr], eventHandlers: [`query:whoami=${script}`] })
  await a.waitForMember('sb', (m) => m.status === 'alive', 10_000)
}, 30_000)

afterAll(async () => {
  await stopAgents([a, b, c])
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('gossamer verbs against real serf agents', () => {
  it('members: the same rows as `serf members`, text and JSON, and the filters', async () => {
    const ours = await gossamer(['members', `-rpc-addr=${a.rpcAddr}`])
    const theirs = await serf(['members', `-rpc-addr=${a.rpcAddr}`])
    expect(ours.code).toBe(0)
    // Serf lists members in map order: compare the rows as sets.
    expect(sortLines(ours.stdout)).toEqual(sortLines(theirs.stdout))
    const json = JSON.parse((await gossamer(['members', '-format=json', `-rpc-addr=${a.rpcAddr}`])).stdout) as { members: Array<{ name: string }> }
    const serfJson = JSON.parse((await serf(['members', '-format=json', `-rpc-addr=${a.rpcAddr}`])).stdout) as { members: Array<{ name: string }> }
    const byName = (x: { name: string }, y: { name: string }): number => x.name.localeCompare(y.name)
    expect(json.members.sort(byName)).toEqual(serfJson.members.sort(byName))
    const filtered = await gossamer(['members', '-status=alive', '-tag', 'role=db', `-rpc-addr=${a.rpcAddr}`])
    expect(filtered.stdout).toBe(`sb  ${b.bindAddr}  alive  role=db\n`)
    const none = await gossamer(['members', '-format=json', '-name=zz', `-rpc-addr=${a.rpcAddr}`])
    expect(none.stdout).toBe('{\n  "members": null\n}\n')
    const badTag = await gossamer(['members', '-tag', 'role', `-rpc-addr=${a.rpcAddr}`])
    expect(badTag).toMatchObject({ code: 1, stdout: "Error: Invalid tag: 'role'\n" })
    const badRe = await gossamer(['members', '-name=(', `-rpc-addr=${a.rpcAddr}`])
    expect(badRe).toMatchObject({ code: 1, stdout: 'Error retrieving members: client closed\n' })
  })

  it('$SERF_RPC_ADDR is the default address; a refused connection is reported as Serf does', async () => {
    const viaEnv = await gossamer(['members', '-name=sa'], { SERF_RPC_ADDR: a.rpcAddr })
    expect(viaEnv.stdout).toBe(`sa  ${a.bindAddr}  alive  role=web\n`)
    const refused = await gossamer(['members', '-rpc-addr=127.0.0.1:1'])
    expect(refused).toMatchObject({ code: 1, stdout: 'Error connecting to Serf agent: dial tcp 127.0.0.1:1: connect: connection refused\n' })
  })

  it('flags: unknown flag (stderr + help, exit 1), -h (help on stderr, exit 0)', async () => {
    const bad = await gossamer(['members', '-bogus'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toBe('flag provided but not defined: -bogus\n')
    expect(bad.stdout).toMatch(/^Usage: gossamer members/)
    const help = await gossamer(['join', '-h'])
    expect(help).toMatchObject({ code: 0, stdout: '' })
    expect(help.stderr).toMatch(/^Usage: gossamer join/)
  })

  it('event: dispatched and seen on another agent stream', async () => {
    const watcher = await RpcClient.connect({ addr: b.rpcAddr })
    try {
      const events = await watcher.stream('user:deploy')
      const r = await gossamer(['event', '-coalesce=false', `-rpc-addr=${a.rpcAddr}`, 'deploy', 'v42'])
      expect(r).toMatchObject({ code: 0, stdout: "Event 'deploy' dispatched! Coalescing enabled: false\n" })
      for await (const e of events) {
        expect(e).toMatchObject({ event: 'user', name: 'deploy', coalesce: false })
        if (e.event === 'user') expect(new TextDecoder().decode(e.payload!)).toBe('v42')
        break
      }
      const tooMany = await gossamer(['event', `-rpc-addr=${a.rpcAddr}`, 'a', 'b', 'c'])
      expect(tooMany.code).toBe(1)
      expect(tooMany.stdout).toMatch(/^Too many command line arguments\. Only a name and payload must be specified\.\n\nUsage: gossamer event/)
    } finally {
      watcher.close()
    }
  })

  it('query: acks and handler responses from both agents, text and JSON', async () => {
    const text = await gossamer(['query', '-timeout=3s', `-rpc-addr=${a.rpcAddr}`, 'whoami'])
    expect(text.code).toBe(0)
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe("Query 'whoami' dispatched")
    expect(lines.slice(1, -2).sort()).toEqual(["Ack from 'sa'", "Ack from 'sb'", "Response from 'sa': I am sa", "Response from 'sb': I am sb"])
    expect(lines.slice(-2)).toEqual(['Total Acks: 2', 'Total Responses: 2'])
    const json = JSON.parse((await gossamer(['query', '-format=json', '-no-ack', '-node=sb', '-timeout=3s', `-rpc-addr=${a.rpcAddr}`, 'whoami'])).stdout)
    expect(json).toEqual({ Acks: null, Responses: { sb: 'I am sb\n' } })
    const prefix = await gossamer(['query', `-rpc-addr=${a.rpcAddr}`, '_serf_x'])
    expect(prefix).toMatchObject({ code: 1, stdout: "Error sending query: Queries cannot contain the '_serf_' prefix\n" })
  })

  it('tags: delete then set (set wins, as Serf merges them), visible in members', async () => {
    const r = await gossamer(['tags', '-set', 'zone=a', '-set', 'rack=r1', '-delete', 'rack', `-rpc-addr=${b.rpcAddr}`])
    expect(r).toMatchObject({ code: 0, stdout: 'Successfully updated agent tags\n' })
    const m = await b.waitForMember('sb', (x) => x.tags['zone'] === 'a', 5000)
    expect(m.tags).toEqual({ role: 'db', zone: 'a', rack: 'r1' })
    await gossamer(['tags', '-delete', 'rack', `-rpc-addr=${b.rpcAddr}`])
    expect((await b.waitForMember('sb', (x) => x.tags['rack'] === undefined, 5000)).tags).toEqual({ role: 'db', zone: 'a' })
    const none = await gossamer(['tags', `-rpc-addr=${b.rpcAddr}`])
    expect(none.code).toBe(1)
    expect(none.stdout).toMatch(/^Usage: gossamer tags/)
  })

  it('keys: list, install, use, remove, and the refusal to remove the primary key', async () => {
    const list = await gossamer(['keys', '-list', `-rpc-addr=${a.rpcAddr}`])
    expect(list).toMatchObject({ code: 0, stdout: `==> Asking all members for installed keys...\n==> Keys gathered, listing cluster keys...\n\n${KEY}  [2/2]\n` })
    expect(await gossamer(['keys', `-install=${KEY2}`, `-rpc-addr=${a.rpcAddr}`])).toMatchObject({ code: 0, stdout: '==> Installing key on all members...\n==> Successfully installed key!\n' })
    expect(await gossamer(['keys', `-use=${KEY2}`, `-rpc-addr=${a.rpcAddr}`])).toMatchObject({ code: 0, stdout: '==> Changing primary key on all members...\n==> Successfully changed primary key!\n' })
    const refuse = await gossamer(['keys', `-remove=${KEY2}`, `-rpc-addr=${a.rpcAddr}`])
    expect(refuse.code).toBe(1)
    expect(refuse.stdout.split('\n')[0]).toBe('==> Removing key on all members...')
    expect(refuse.stdout).toMatch(/failed: {2}s[ab] {2}Removing the primary key is not allowed\n/)
    expect(refuse.stdout).toMatch(/\n\nError removing key: 2\/2 nodes reported failure\n$/)
    expect(await gossamer(['keys', `-use=${KEY}`, `-rpc-addr=${a.rpcAddr}`])).toMatchObject({ code: 0 })
    expect(await gossamer(['keys', `-remove=${KEY2}`, `-rpc-addr=${a.rpcAddr}`])).toMatchObject({ code: 0, stdout: '==> Removing key on all members...\n==> Successfully removed key!\n' })
    expect(await gossamer(['keys', '-list', '-install=x', `-rpc-addr=${a.rpcAddr}`])).toMatchObject({ code: 1, stdout: 'Only one of -install, -use, -remove, or -list allowed\n' })
  }, 30_000)

  it('info: the same sections and values as `serf info` (text sorted, JSON)', async () => {
    const ours = JSON.parse((await gossamer(['info', '-format=json', `-rpc-addr=${a.rpcAddr}`])).stdout) as Record<string, Record<string, string>>
    const theirs = JSON.parse((await serf(['info', '-format=json', `-rpc-addr=${a.rpcAddr}`])).stdout) as Record<string, Record<string, string>>
    expect(Object.keys(ours)).toEqual(Object.keys(theirs))
    expect(ours['agent']).toEqual(theirs['agent'])
    expect(ours['event_handlers']).toEqual(theirs['event_handlers'])
    expect(Object.keys(ours['serf']!)).toEqual(Object.keys(theirs['serf']!))
    const text = await gossamer(['info', `-rpc-addr=${a.rpcAddr}`])
    expect(text.stdout).toMatch(/^agent:\n\tname = sa\nevent_handlers:\n\tquery:whoami = .*whoami\.sh\nruntime:\n/)
  })

  it('rtt: estimated from the agents coordinates, as `serf rtt` prints it', async () => {
    const ours = await waitUntil('a coordinate for sb', async () => {
      const r = await gossamer(['rtt', `-rpc-addr=${a.rpcAddr}`, 'sb'])
      return r.code === 0 ? r : undefined
    }, 10_000)
    expect(ours.stdout).toMatch(/^Estimated sb <-> sa rtt: \d+\.\d{3} ms\n$/)
    const missing = await gossamer(['rtt', `-rpc-addr=${a.rpcAddr}`, 'nobody'])
    expect(missing).toMatchObject({ code: 1, stdout: 'Could not find a coordinate for node "nobody"\n' })
    const theirs = await serf(['rtt', `-rpc-addr=${a.rpcAddr}`, 'nobody'])
    expect(theirs.stdout).toBe(missing.stdout)
  })

  it('reachability: every live member acks the ping', async () => {
    const r = await gossamer(['reachability', '-verbose', `-rpc-addr=${a.rpcAddr}`])
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines.slice(0, 2)).toEqual(['Total members: 2, live members: 2', 'Starting reachability test...'])
    expect(lines.filter((l) => l.startsWith('\tAck from')).sort()).toEqual(["\tAck from 'sa'", "\tAck from 'sb'"])
    expect(lines.at(-1)).toBe('Successfully contacted all live nodes')
  })

  it('monitor: the agent log lines until interrupted (exit 0)', async () => {
    const io = memoryIo()
    const stop = new AbortController()
    const running = runMonitor([`-rpc-addr=${a.rpcAddr}`, '-log-level=info'], io, {}, stop.signal)
    await waitUntil('monitor output', () => (io.stdout.some((l) => /\[INFO\] (agent|serf|memberlist)/.test(l)) ? true : undefined), 5000)
    stop.abort()
    expect(await running).toBe(0)
    expect(io.stdout[0]).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(INFO|WARN|ERR)\] /)
  })

  it('join and leave: a third agent joins through the verb, then leaves gracefully and exits 0', async () => {
    c = await SerfAgent.start({ name: 'sc', profile: 'local', encryptKey: KEY })
    const failed = await gossamer(['join', `-rpc-addr=${c.rpcAddr}`, '127.0.0.1:1'])
    expect(failed.code).toBe(1)
    expect(failed.stdout).toBe((await serf(['join', `-rpc-addr=${c.rpcAddr}`, '127.0.0.1:1'])).stdout)
    expect(failed.stdout).toBe('Error joining the cluster: 1 error occurred:\n\t* Failed to join 127.0.0.1: dial tcp 127.0.0.1:1: connect: connection refused\n\n\n')
    const joined = await gossamer(['join', `-rpc-addr=${c.rpcAddr}`, a.bindAddr])
    expect(joined).toMatchObject({ code: 0, stdout: 'Successfully joined cluster by contacting 1 nodes.\n' })
    await a.waitForMember('sc', (m) => m.status === 'alive', 20_000)
    const left = await gossamer(['leave', `-rpc-addr=${c.rpcAddr}`])
    expect(left).toMatchObject({ code: 0, stdout: 'Graceful leave complete\n' })
    expect(await c.exited).toEqual({ code: 0, signal: null })
    // Real agents on a machine that may be busy with other tests: a generous margin, and on a
    // timeout the status sa holds for sc (failed would mean the leave was not seen as graceful).
    await a.waitForMember('sc', (m) => m.status === 'left', 20_000).catch(async (err: Error) => {
      const seen = (await a.members()).find((m) => m.name === 'sc')?.status
      throw new Error(`${err.message}; sa lists sc as ${seen ?? 'absent'}`)
    })
    const force = await gossamer(['force-leave', `-rpc-addr=${a.rpcAddr}`, 'ghost'])
    expect(force).toMatchObject({ code: 0, stdout: '' })
  }, 70_000)

  it('main dispatches the verbs', async () => {
    const io = memoryIo()
    expect(await main(['members', `-rpc-addr=${a.rpcAddr}`, '-name=sa'], io)).toBe(0)
    expect(io.stdout).toEqual([`sa  ${a.bindAddr}  alive  role=web`])
  })
})
