/**
 * The RPC server under hostile or careless clients: random bytes after the handshake never crash
 * it nor stop it serving others, and a client that stops reading its stream costs bounded memory
 * (the node's stream drops and the server counts the drops) instead of a growing write buffer.
 */
import fc from 'fast-check'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRpcServer } from '../../src/rpc/server.ts'
import type { RpcServer } from '../../src/rpc/server.ts'
import { FakeNode } from './support/fake-node.ts'
import { RawConn } from './support/raw-conn.ts'

let node: FakeNode
let server: RpcServer

beforeAll(async () => {
  node = new FakeNode('n1', 7946)
  server = await startRpcServer({ node, addr: '127.0.0.1:0', maxFrameBytes: 4096 })
})

afterAll(async () => {
  await server.close()
  await node.shutdown()
})

describe('hostile clients', () => {
  it('random bytes after the handshake: a reply or a closed socket, and the server keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 600 }), async (junk) => {
        const c = await RawConn.open(server.address)
        try {
          await c.handshake()
          c.sendBytes(junk)
          // Whatever the bytes were, the connection either answers something, closes, or waits for more.
          await c.quiet(5)
        } finally {
          c.close()
        }
        const probe = await RawConn.open(server.address)
        try {
          await probe.handshake()
        } finally {
          probe.close()
        }
      }),
      { numRuns: 60, seed: 1312 },
    )
    expect(server.stats().connectionsAccepted).toBeGreaterThanOrEqual(120)
  })

  it('a stream reader that stops reading: the node drops and counts, the server does not buffer without bound', async () => {
    const c = await RawConn.open(server.address)
    await c.handshake()
    c.request('stream', 2, { Type: 'user' })
    expect(await c.next()).toEqual({ Error: '', Seq: 2 })
    c.socket.pause()
    const before = server.stats()
    const events = 20_000
    const payload = new Uint8Array(4000)
    for (let i = 0; i < events; i++) {
      node.emit({ type: 'user', ltime: BigInt(i), name: 'flood', payload, coalesce: false })
      if (i % 200 === 199) await nextTurn()
    }
    c.close()
    await c.closedPromise
    for (let i = 0; i < 100 && server.stats().connectionsOpen > 0; i++) await new Promise((r) => setTimeout(r, 10))
    const after = server.stats()
    const sent = after.recordsSent - before.recordsSent
    const dropped = after.recordsDroppedByNode - before.recordsDroppedByNode
    // ~80 MB offered; what the socket could not take was dropped by the node's 512-event buffer.
    expect(dropped).toBeGreaterThan(0)
    expect(sent).toBeLessThan(events)
    expect(sent + dropped).toBeLessThanOrEqual(events)
    expect(node.openEventReaders).toBe(0)
  })
})
