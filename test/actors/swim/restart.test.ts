/**
 * swim restarts keep the node (issue 10, item 2). swim persists its context; a restart restores it
 * and binds the same address again (never a new port, even with port 0 in the input; a taken port
 * is ERR_SWIM_REBIND, not a silent new one), starts above its old incarnation and rejoins the
 * members it knew, so its table fills again and peers never see it fail.
 *
 * Inline placement on the memory network and the simulated clock: a crash restarted in place, and
 * a spawn that restores from a stored snapshot in a fresh system (what a new thread does: new env,
 * nothing open). Worker placement on real sockets: the swim thread itself dies and the system
 * restarts it from the record it keeps.
 *
 * The nodes run with push/pull off (pushPullIntervalMs 0), so a peer's anti-entropy cannot refill
 * the restarted node's table: only its own rejoin can.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { memorySnapshotStore } from '../../../src/runtime/options.ts'
import type { SystemEvent } from '../../../src/runtime/types.ts'
import type { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { NetTransport } from '../../../src/transport/net-transport.ts'
import type { SwimInit } from '../../../actors/swim/config.ts'
import { crashingOpener } from './support/crashing-opener.ts'
import { simNodes } from './support/sim-nodes.ts'
import type { SimNodes } from './support/sim-nodes.ts'
import { crashableSwim, EXIT_ADDRESS } from './support/crashable-swim.ts'
import { startNode, until } from './support/worker-cluster.ts'

const NO_PUSH_PULL: SwimInit = { pushPullIntervalMs: 0 }
const BOOM = '10.0.0.66:7946'

let nodes: SimNodes | undefined
const running: ActorSystem[] = []
afterEach(async () => {
  await nodes?.close()
  nodes = undefined
  for (const s of running.splice(0)) await s.shutdown({ drainTimeoutMs: 2_000 })
})

describe('swim restart, inline placement (memory network, simulated clock)', () => {
  it('a crash restarted in place keeps the port it got for port 0, starts above its incarnation and rejoins the members it knew', async () => {
    nodes = simNodes(21)
    const opened: string[] = []
    const n2 = await nodes.spawn('n2', 2, { port: 0, config: NO_PUSH_PULL }, { open: crashingOpener(nodes.net, BOOM, opened, 40_000) })
    const address = (await nodes.context(n2, 10)).address
    expect(address).toBe('10.0.0.2:40000')
    // n1 joins n2: n2 knows n1 only from that join.
    const n1 = await nodes.spawn('n1', 1, { join: [address], config: NO_PUSH_PULL })
    const before = await nodes.context(n2, 500)
    expect(before.numNodes).toBe(2)
    expect(before.knownPeers).toEqual(['10.0.0.1:7946'])

    n2.send({ type: 'swim.join', addresses: [BOOM] }) // the dial throws: the machine crashes
    const after = await nodes.context(n2, 500)
    expect(after.restores).toBe(1)
    expect(after).toMatchObject({ address, bound: address, advertisedPort: 40_000 })
    expect(opened).toEqual(['10.0.0.2:0']) // the open transport was kept: same socket
    expect(after.incarnation).toBeGreaterThan(before.incarnation)
    expect(after.joinRetry).toMatchObject({ purpose: 'rejoin', status: 'joined', addresses: ['10.0.0.1:7946'] })
    expect(after.numNodes).toBe(2)
    // The counters carried on through the restart.
    expect(after.counters.probes).toBeGreaterThanOrEqual(before.counters.probes)
    const peer = await nodes.context(n1, 3_000)
    expect(peer.numNodes).toBe(2)
    expect(peer.counters.deathsDeclared).toBe(0)
  })

  it('a node restored after its leave leaves again instead of rejoining', async () => {
    nodes = simNodes(27)
    const n2 = await nodes.spawn('n2', 2, { config: NO_PUSH_PULL }, { open: crashingOpener(nodes.net, BOOM) })
    await nodes.spawn('n1', 1, { join: ['10.0.0.2:7946'], config: NO_PUSH_PULL })
    await nodes.clock.advance(500)
    n2.send({ type: 'swim.leave', timeoutMs: 200 })
    await nodes.clock.advance(500)
    expect((await n2.getSnapshot()).value).toBe('left')
    n2.send({ type: 'swim.join', addresses: [BOOM] }) // crashes in `left`
    await nodes.clock.advance(1_000)
    const snap = await n2.getSnapshot()
    expect(snap.context.restores).toBe(1)
    expect(snap.value).toBe('left')
    expect(snap.context.joinRetry.status).toBe('off') // no rejoin
  })

  it('a spawn that restores the stored snapshot in a fresh system binds the persisted address, not a new port, and rejoins', async () => {
    nodes = simNodes(22)
    const store = memorySnapshotStore()
    const first: string[] = []
    const n2 = await nodes.spawn('n2', 2, { port: 0, config: NO_PUSH_PULL }, { open: crashingOpener(nodes.net, BOOM, first, 40_000), snapshotStore: store })
    const address = (await nodes.context(n2, 10)).address
    const n1 = await nodes.spawn('n1', 1, { join: [address], config: NO_PUSH_PULL })
    const before = await nodes.context(n2, 500)
    expect(before.numNodes).toBe(2)
    // n2's system goes away without a leave; its transport closes with it (a dead thread's sockets do).
    await nodes.stop(n2)
    const second: string[] = []
    // A fresh opener would hand out 41000 for port 0: the restored actor must not ask for port 0.
    const again = await nodes.spawn('n2', 2, { port: 0, config: NO_PUSH_PULL }, { open: crashingOpener(nodes.net, BOOM, second, 41_000), snapshotStore: store })
    const after = await nodes.context(again, 300)
    expect(second).toEqual([address])
    expect(after).toMatchObject({ address, restores: 1 })
    expect(after.incarnation).toBeGreaterThan(before.incarnation)
    expect(after.joinRetry).toMatchObject({ purpose: 'rejoin', status: 'joined' })
    expect(after.numNodes).toBe(2)
    expect((await nodes.context(n1, 3_000)).counters.deathsDeclared).toBe(0)
  })

  it('retries a rejoin whose members are gone, and ends it once another member finds the node', async () => {
    nodes = simNodes(26)
    const store = memorySnapshotStore()
    const n1 = await nodes.spawn('n1', 1, { config: NO_PUSH_PULL })
    const n2 = await nodes.spawn('n2', 2, { join: ['10.0.0.1:7946'], config: NO_PUSH_PULL }, { snapshotStore: store })
    expect((await nodes.context(n2, 500)).knownPeers).toEqual(['10.0.0.1:7946'])
    await nodes.stop(n2)
    await nodes.stop(n1) // the only member n2 knew is gone too
    const again = await nodes.spawn('n2', 2, { config: NO_PUSH_PULL }, { snapshotStore: store })
    const alone = await nodes.context(again, 500)
    expect(alone.joinRetry).toMatchObject({ purpose: 'rejoin', status: 'waiting', attempts: 1, addresses: ['10.0.0.1:7946'] })
    expect(alone.lastJoinError).toMatchObject({ code: 'ERR_SWIM_JOIN', details: { purpose: 'rejoin' } })
    // A new member joins n2: its table is not empty any more, so the rejoin ends without another attempt.
    await nodes.spawn('n3', 3, { join: ['10.0.0.2:7946'], config: NO_PUSH_PULL })
    const found = await nodes.context(again, 2_000)
    expect(found.numNodes).toBe(2)
    expect(found.joinRetry).toMatchObject({ status: 'joined', attempts: 1, nextAttemptAtMs: null })
    expect((await nodes.context(again, 60_000)).joinFailures).toBe(1)
  })

  it('fails with ERR_SWIM_REBIND when the persisted address is taken meanwhile, and never tries another port', async () => {
    nodes = simNodes(23)
    const store = memorySnapshotStore()
    const n2 = await nodes.spawn('n2', 2, { port: 0 }, { open: crashingOpener(nodes.net, BOOM, [], 40_000), snapshotStore: store })
    const address = (await nodes.context(n2, 100)).address
    await nodes.stop(n2)
    const squatter = nodes.net.createTransport(address)
    const asked: string[] = []
    const again = await nodes.spawn('n2', 2, { port: 0 }, { open: crashingOpener(nodes.net, BOOM, asked, 41_000), snapshotStore: store })
    await nodes.clock.advance(100)
    const snap = await again.getSnapshot()
    expect(snap.value).toBe('failed')
    expect(snap.context.bindError).toMatchObject({ code: 'ERR_SWIM_REBIND', details: { address, cause: { code: 'ERR_TRANSPORT_ADDRESS' } } })
    expect(asked).toEqual([address])
    squatter.close()
  })
})

describe('a restore while binding', () => {
  it('opens the transport once: the restored bind and the restore\'s own bind do not race for the port', async () => {
    nodes = simNodes(25)
    const store = memorySnapshotStore()
    // First life: the open never completes, so every record is taken in `binding`.
    let release: (() => void) | undefined
    const stuck = await nodes.spawn('n2', 2, {}, { snapshotStore: store, open: (at, limits) => new Promise((resolve) => (release = () => resolve(nodes!.net.createTransport(at, limits)))) })
    await nodes.clock.advance(10)
    expect((await stuck.getSnapshot()).value).toBe('binding')
    expect((store.load('swim')?.snapshot as { value?: unknown } | undefined)?.value).toBe('binding')
    await nodes.stop(stuck)
    release?.() // completes after the stop: closed at once, the address stays free
    await nodes.clock.advance(10)
    const asked: string[] = []
    const again = await nodes.spawn('n2', 2, {}, {
      snapshotStore: store,
      open: async (at, limits) => {
        asked.push(at)
        await new Promise((r) => setImmediate(r)) // a socket takes a moment to open
        return nodes!.net.createTransport(at, limits)
      },
    })
    await nodes.clock.advance(100)
    const snap = await again.getSnapshot()
    expect(snap.value).toBe('running')
    expect(snap.context.restores).toBe(1)
    expect(asked).toEqual(['10.0.0.2:7946'])
  })
})

describe('what swim persists', () => {
  it('never a key byte, and never anything that cannot be copied: every stored record of an encrypted node', async () => {
    nodes = simNodes(24)
    const key = new Uint8Array(32).fill(0x5a)
    const inner = memorySnapshotStore()
    const saved: unknown[] = []
    const store = { ...inner, save: (id: string, record: Parameters<typeof inner.save>[1]) => (saved.push(record.snapshot), inner.save(id, record)) }
    const n = await nodes.spawn('n1', 1, { config: { keys: [key] } }, { snapshotStore: store })
    const ctx = await nodes.context(n, 1_000)
    expect((await n.getSnapshot()).value).toBe('running')
    expect(ctx.restores).toBe(0) // no crash on an uncloneable snapshot (e.g. a Keyring in an invoked actor's input)
    expect(ctx.config.keyring).toEqual({ keys: 1 })
    expect(saved.length).toBeGreaterThan(2)
    const keyBytes: string[] = []
    const walk = (v: unknown, path: string): void => {
      if (v instanceof Uint8Array) {
        if (v.length === key.length && v.every((b) => b === 0x5a)) keyBytes.push(path)
      } else if (typeof v === 'string') {
        if (v.includes(Buffer.from(key).toString('base64'))) keyBytes.push(path)
      } else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`)
    }
    saved.forEach((s, i) => walk(s, `record[${i}]`))
    expect(keyBytes).toEqual([])
  })
})

describe('swim restart, worker placement (real sockets, the thread dies)', () => {
  it('a swim thread that dies with port 0 comes back on the same port, rejoins, and the peer never declares it dead', async () => {
    const b = await startNode(running, 'b', 2, { swimOnly: true, definition: crashableSwim, swim: NO_PUSH_PULL, supervision: { backoffMs: 50 } })
    // a's suspicion lasts at least 20 × 200 ms = 4 s: a thread restart (tsx in source mode, on a
    // loaded machine) fits in it. Once b rejoins at a higher incarnation, any suspicion is refuted.
    const a = await startNode(running, 'a', 1, { swimOnly: true, join: [b.address], swim: { ...NO_PUSH_PULL, suspicionMult: 20 } })
    const before = await until('b sees a', async () => {
      const c = (await b.swim.getSnapshot()).context
      return c.numNodes === 2 ? c : undefined
    }, 10_000)
    const events: SystemEvent[] = []
    b.system.on((e) => events.push(e))
    b.swim.send({ type: 'swim.join', addresses: [EXIT_ADDRESS] }) // ends b's swim thread
    await until('b restarted', async () => (events.some((e) => e.type === 'actor.started' && e.restarts === 1) ? true : undefined), 10_000)
    expect(events.find((e) => e.type === 'actor.crashed')).toBeDefined()
    const after = await until('b rejoined', async () => {
      const s = await b.swim.getSnapshot()
      return s.value === 'running' && s.context.numNodes === 2 ? s.context : undefined
    }, 10_000)
    expect(after).toMatchObject({ address: b.address, bound: b.address, restores: 1 })
    expect(after.incarnation).toBeGreaterThan(before.incarnation)
    expect(after.joinRetry).toMatchObject({ purpose: 'rejoin', status: 'joined' })
    // a kept probing b where it knows it, and b answers there again: b stays alive.
    await new Promise((r) => setTimeout(r, 1_000))
    const peer = (await a.swim.getSnapshot()).context
    expect(peer.numNodes).toBe(2)
    expect(peer.counters.deathsDeclared).toBe(0)
  }, 30_000)

  it('a swim thread that dies and finds its port taken fails with ERR_SWIM_REBIND instead of moving', async () => {
    const b = await startNode(running, 'b', 3, { swimOnly: true, definition: crashableSwim, supervision: { backoffMs: 1_000 } })
    const port = Number(b.address.split(':')[1])
    const events: SystemEvent[] = []
    b.system.on((e) => events.push(e))
    b.swim.send({ type: 'swim.join', addresses: [EXIT_ADDRESS] })
    await until('b died', async () => (events.some((e) => e.type === 'actor.crashed') ? true : undefined), 10_000)
    // The dead thread's sockets are closed; take its port before the restart (1 s backoff).
    const squatter = await until('port taken', async () => NetTransport.listen('127.0.0.1', port).catch(() => undefined), 800)
    try {
      const snap = await until('b failed', async () => {
        const s = await b.swim.getSnapshot().catch(() => undefined)
        return s?.value === 'failed' ? s : undefined
      }, 10_000)
      expect(snap.context.bindError).toMatchObject({ code: 'ERR_SWIM_REBIND', details: { address: b.address } })
      expect(snap.context.address).toBe(b.address) // what peers know; nothing else was bound
    } finally {
      squatter.close()
    }
  }, 30_000)
})
