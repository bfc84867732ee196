/**
 * createNode with its default placement: every actor in its own worker thread. Two nodes on
 * loopback join, see each other, one leaves, and both stop without leaving a thread behind (the
 * test process exits on its own); a start that fails stops the threads it had started.
 */
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNode } from '../../src/node/create-node.ts'
import type { MemberEvent, NodeEvent } from '../../src/node/api.ts'

const unhandled: unknown[] = []
const trap = (reason: unknown) => unhandled.push(reason)
beforeAll(() => process.on('unhandledRejection', trap))
afterAll(() => {
  process.off('unhandledRejection', trap)
  expect(unhandled).toEqual([])
})

describe('createNode in workers', () => {
  it('runs two nodes, each actor in its own thread: join, members, leave, shutdown', async () => {
    const options = { bind: '127.0.0.1:0', profile: 'local', logLevel: 'silent' } as const
    const a = await createNode({ name: 'wa', ...options })
    let b: Awaited<ReturnType<typeof createNode>> | undefined
    try {
      const events = a.events({ filter: 'member-leave' })[Symbol.asyncIterator]()
      b = await createNode({ name: 'wb', ...options, join: [a.address], tags: { role: 'db' } })
      // b's join resolves once b holds a's state; a learns of b from the same push/pull, through
      // its own member-manager's thread, so a may list b a moment later (failed once under CI load).
      await expect.poll(async () => (await a.members()).map((m) => `${m.name} ${m.status}`).sort(), { timeout: 10_000 }).toEqual(['wa alive', 'wb alive'])
      const stats = await b.stats()
      expect(Object.values(stats.actors).every((x) => x.restarts === 0)).toBe(true)
      expect(stats.serf.members).toBe(2)
      // a answered b's push/pull with the user state its member-manager had told its swim (no ask across threads).
      expect((await a.stats()).actors.swim).toMatchObject({ counters: { userStatesTold: 1 } })
      // members() reads the list kept on this thread (member-view.ts). A join returns once
      // member-manager holds the joined members: a read right after it lists them, though the
      // events that carry them to the kept list cross on another channel than the join's reply.
      for (let i = 0; i < 3; i++) {
        await b.join([a.address])
        expect((await b.members()).map((m) => m.name).sort()).toEqual(['wa', 'wb'])
      }
      // So does a set-tags: the node's own member shows the tags when setTags resolves.
      for (let i = 0; i < 3; i++) {
        await b.setTags({ role: `web${i}` })
        expect((await b.members()).find((m) => m.name === 'wb')!.tags).toEqual({ role: `web${i}` })
      }
      await b.setTags({ role: 'web' })
      await expect.poll(async () => (await a.members()).find((m) => m.name === 'wb')?.tags.role, { timeout: 10_000 }).toBe('web')
      for (const n of [a, b]) {
        // The first read after a write through the node asks; the next one, with no write in
        // between, is answered from the kept list.
        await n.members()
        expect((await n.members()).find((m) => m.name === 'wb')!.tags).toEqual({ role: 'web' })
        const view = (await n.stats()).node!.memberView!
        expect(view.reads).toBeGreaterThan(0)
        expect(view).toMatchObject({ gaps: 0, resets: 0 })
      }
      await b.leave()
      let left: NodeEvent | undefined
      while (left === undefined) {
        const r = await events.next()
        if (r.done === true) throw new Error('stream ended')
        if ((r.value as MemberEvent).members.some((m) => m.name === 'wb')) left = r.value
      }
      expect((left as MemberEvent).members[0]!.status).toBe('left')
    } finally {
      // After its leave, b's shutdown is a no-op; after a failure above, it stops b's threads.
      await b?.shutdown()
      await a.shutdown()
    }
    // No worker thread of either node is left running.
    expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker')).toEqual([])
  }, 60_000)

  it('stops every thread it started when the start fails (a start join that reaches no one)', async () => {
    const server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    await new Promise((r) => server.close(r))
    await expect(createNode({ name: 'wc', bind: '127.0.0.1:0', profile: 'local', logLevel: 'silent', join: [`127.0.0.1:${port}`] })).rejects.toMatchObject({ code: 'ERR_JOIN_FAILED' })
    expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker' || r === 'UDPWrap' || r === 'TCPServerWrap')).toEqual([])
  }, 60_000)
})
