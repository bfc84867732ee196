/**
 * Encryption in swim's worker placement (real UDP/TCP on loopback). swim's input crosses into its
 * thread by structured clone, which strips a Keyring's class; the keys travel as data
 * (`config.keys`) and the keyring is built in the thread. Three nodes sharing a key (one given as
 * Serf's base64 text, two as raw bytes) join and see each other alive with their tags; a node with
 * another key is not admitted, and what it and a stray datagram send is refused and counted.
 */
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import type { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { buildPacket } from '../../../src/wire/packet.ts'
import { encodeMessage } from '../../../src/wire/memberlist.ts'
import { Keyring } from '../../../src/wire/keyring.ts'
import { WAIT_MS, aliveMembers, membersOf, startNode, until } from './support/worker-cluster.ts'
import type { WorkerNode } from './support/worker-cluster.ts'

const running: ActorSystem[] = []
afterEach(async () => {
  for (const s of running.splice(0)) await s.shutdown({ drainTimeoutMs: 2_000 })
})

/** Sends one datagram from a throwaway socket and closes it. */
async function sendDatagram(to: string, bytes: Uint8Array): Promise<void> {
  const [host, port] = [to.slice(0, to.lastIndexOf(':')), Number(to.slice(to.lastIndexOf(':') + 1))]
  const socket = createSocket('udp4')
  try {
    await new Promise<void>((resolve, reject) => socket.send(bytes, port, host, (err) => (err ? reject(err) : resolve())))
  } finally {
    socket.close()
  }
}

/** Whether `bytes` appear anywhere in `value` (as a byte array or as its base64 text). */
function containsBytes(value: unknown, bytes: Uint8Array, seen = new Set<unknown>()): boolean {
  if (value instanceof Uint8Array) return Buffer.from(value).includes(Buffer.from(bytes))
  if (typeof value === 'string') return value.includes(Buffer.from(bytes).toString('base64'))
  if (typeof value !== 'object' || value === null || seen.has(value)) return false
  seen.add(value)
  return Object.values(value).some((v) => containsBytes(v, bytes, seen))
}

const swimContext = async (n: WorkerNode) => (await n.swim.getSnapshot()).context

describe('swim in its worker placement: encryption', () => {
  it('nodes sharing a key join and see each other; a node with another key is refused and counted', async () => {
    const started = Date.now()
    const shared = new Uint8Array(randomBytes(32))
    const other = new Uint8Array(randomBytes(32))
    const tagsOf = (name: string) => ({ role: `role-${name}` })
    const a = await startNode(running, 'a', 1, { swim: { keys: [Buffer.from(shared).toString('base64')] }, tags: tagsOf('a') })
    // b, c and x (another key) start side by side, each joining a.
    const [b, c, x] = await Promise.all([
      startNode(running, 'b', 2, { swim: { keys: [shared] }, join: [a.address], tags: tagsOf('b') }),
      startNode(running, 'c', 3, { swim: { keys: [shared] }, join: [a.address], tags: tagsOf('c') }),
      startNode(running, 'x', 4, { swim: { keys: [other] }, join: [a.address], swimOnly: true }),
    ])
    const nodes = [a, b, c]

    for (const n of nodes) {
      const members = await aliveMembers(n, nodes.length)
      for (const m of members) expect(m.tags).toEqual(tagsOf(m.name))
    }
    // The keyring was built in each swim's thread from the keys; its packets all opened. The
    // snapshot (which leaves the thread, e.g. to an inspector) shows the key count, never the bytes.
    for (const n of nodes) {
      const ctx = await swimContext(n)
      expect(ctx.config.keyring).toEqual({ keys: 1 })
      expect(containsBytes(ctx, shared)).toBe(false)
      expect(ctx.counters.packetsUndecryptable).toBe(0)
    }

    // x has another key: its join (a push/pull over TCP, sealed with its key) does not open at a.
    await until('a refuses x’s join stream', async () => ((await swimContext(a)).counters.streamsMalformed > 0 ? true : undefined), WAIT_MS)
    // A datagram sealed with x's key, and a plaintext one, are refused by a and counted.
    const ping = encodeMessage({ type: 'ping', SeqNo: 1, Node: 'a', SourceAddr: Uint8Array.of(127, 0, 0, 1), SourcePort: 9, SourceNode: 'x' })
    await sendDatagram(a.address, buildPacket([ping], { keyring: new Keyring([other]) }))
    await sendDatagram(a.address, buildPacket([ping]))
    await until('a counts two undecryptable datagrams', async () => ((await swimContext(a)).counters.packetsUndecryptable >= 2 ? true : undefined), WAIT_MS)

    // x was never admitted: it knows only itself, and no member-manager lists it.
    expect((await swimContext(x)).numNodes).toBe(1)
    for (const n of nodes) {
      const r = await membersOf(n)
      expect(r.alive).toBe(3)
      expect(r.members.map((m) => m.name)).not.toContain('x')
    }

    // eslint-disable-next-line no-console
    console.log(`worker-encryption scenario: ${Date.now() - started} ms real time`)
  }, 120_000) // a hang guard: measured 14-24 s on a loaded machine
})
