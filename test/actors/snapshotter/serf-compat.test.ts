/**
 * Snapshot files move between Gossamer and a real `serf agent -snapshot` in both directions.
 * 1. Agents write snapshots (two join, an event, a query, a third joins and leaves, one stops, one
 *    leaves gracefully); Gossamer's replay recovers exactly the state the agent had.
 * 2. Gossamer writes a snapshot (checksum lines included) naming a live agent; a new agent started
 *    with it replays it (clocks restored) and rejoins that agent; then Gossamer reads the file the
 *    agent continued.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSnapshotterConfig } from '../../../actors/snapshotter/config.ts'
import { nodeDisk } from '../../../actors/snapshotter/io/node-disk.ts'
import { replaySnapshot } from '../../../actors/snapshotter/replay.ts'
import { SnapshotWriter } from '../../../actors/snapshotter/writer.ts'
import { ensureSerf, SerfAgent, stopAgents, waitUntil } from '../../support/serf.ts'
import { freeGossipPort } from '../../support/ports.ts'

const dir = mkdtempSync(join(tmpdir(), 'gossamer-serf-snap-'))
const agents: SerfAgent[] = []
afterAll(async () => {
  await stopAgents(agents, { signal: 'SIGKILL' })
  rmSync(dir, { recursive: true, force: true })
})

async function start(options: Parameters<typeof SerfAgent.start>[0]): Promise<SerfAgent> {
  const agent = await SerfAgent.start({ profile: 'local', ...options })
  agents.push(agent)
  return agent
}


describe('snapshotter - Serf compatibility', () => {
  it('replays a file written by serf agent -snapshot to the state the agent had', { timeout: 60_000 }, async () => {
    ensureSerf()
    const aPath = join(dir, 'a.snap')
    const bPath = join(dir, 'b.snap')
    const a = await start({ name: 'a', snapshotPath: aPath })
    const b = await start({ name: 'b', snapshotPath: bPath, join: [a.bindAddr] })
    const c = await start({ name: 'c', join: [a.bindAddr] })
    await waitUntil('three alive members', async () => ((await a.members()).filter((m) => m.status === 'alive').length === 3 ? true : undefined), 15_000)
    await a.event('deploy', 'v1')
    await a.query('whoami', undefined, { timeoutMs: 500 })
    await c.leave()
    await waitUntil('c left', async () => ((await a.members()).find((m) => m.name === 'c')?.status === 'left' ? true : undefined), 15_000)
    // Serf records the member clock on a 500 ms ticker into a buffer it flushes only when a later
    // line is appended 500 ms after the previous flush: keep appending (a user event each poll)
    // until the member clock is in the file, with a deadline.
    await waitUntil(
      "the member clock in a's snapshot",
      async () => {
        await a.event('poll', '')
        const want = BigInt((await a.info()).serf['member_time']!) - 1n
        return replaySnapshot(readFileSync(aPath)).lastClock === want ? true : undefined
      },
      15_000,
    )
    const alive = (await a.members()).filter((m) => m.status === 'alive')
    const info = (await a.info()).serf
    await a.stop({ signal: 'SIGTERM' }) // shutdown without leave: Serf flushes and fsyncs the snapshot

    const r = replaySnapshot(readFileSync(aPath))
    expect([...r.aliveNodes].sort()).toEqual(alive.map((m) => [m.name, m.addr]).sort())
    expect(r.notAlive.has('c')).toBe(true)
    expect(r.lastEventClock).toBe(BigInt(info['event_time']!) - 1n)
    expect(r.lastQueryClock).toBe(BigInt(info['query_time']!) - 1n)
    expect(r.lastClock).toBe(BigInt(info['member_time']!) - 1n)
    expect(r.left).toBe(false)
    expect(r.counts.unknownLines + r.counts.badLines + r.counts.corruptLines + r.counts.tornBytes).toBe(0)

    // b leaves gracefully: its file ends in a leave; without rejoin that forgets everything
    const bInfo = (await b.info()).serf
    await b.stop({ signal: 'SIGINT', graceMs: 15_000 })
    const left = replaySnapshot(readFileSync(bPath))
    expect(left.left).toBe(true)
    expect(left.aliveNodes.size).toBe(0)
    expect(left.lastEventClock).toBe(0n)
    const rejoin = replaySnapshot(readFileSync(bPath), { rejoinAfterLeave: true })
    expect(rejoin.aliveNodes.has('a')).toBe(true)
    expect(rejoin.lastEventClock).toBe(BigInt(bInfo['event_time']!) - 1n)

    // Gossamer continues a Serf file: open, append, and the result still replays cleanly
    const copy = join(dir, 'a-continued.snap')
    copyFileSync(aPath, copy)
    const writer = new SnapshotWriter(createSnapshotterConfig({ path: copy }), {
      disk: nodeDisk(),
      now: () => performance.now(),
      defer: (fn) => void setImmediate(fn),
      setTimer: (fn, ms) => {
        const t = setTimeout(fn, ms)
        return () => clearTimeout(t)
      },
    })
    const opened = await writer.open()
    expect([...opened.aliveNodes].sort()).toEqual([...r.aliveNodes].sort())
    writer.alive('d', '127.0.0.1:1')
    await writer.shutdown()
    const continued = replaySnapshot(readFileSync(copy))
    expect(continued.aliveNodes.get('d')).toBe('127.0.0.1:1')
    expect(continued.counts.verifiedSpans).toBe(1)
  })

  it('writes a file that serf agent -snapshot replays, restoring clocks and rejoining a listed member', { timeout: 60_000 }, async () => {
    ensureSerf()
    const r = await start({ name: 'r' })
    const path = join(dir, 'gossamer.snap')
    const deadPort = await freeGossipPort()
    const writer = new SnapshotWriter(createSnapshotterConfig({ path, durability: 'always', minCompactionBytes: 256 }), {
      disk: nodeDisk(),
      now: () => performance.now(),
      defer: (fn) => void setImmediate(fn),
      setTimer: (fn, ms) => {
        const t = setTimeout(fn, ms)
        return () => clearTimeout(t)
      },
    })
    await writer.open()
    // Enough churn to compact at least once; what remains names `r` (live), ourselves and a ghost.
    for (let i = 0; i < 100; i++) {
      writer.alive(`old-${i}`, `127.0.0.1:${20000 + i}`)
      await writer.sync()
      writer.notAlive(`old-${i}`)
      await writer.sync()
    }
    writer.alive('s', '127.0.0.1:1') // our own name: Serf must not try to join itself
    writer.alive('ghost', `127.0.0.1:${deadPort}`)
    writer.alive('r', r.bindAddr)
    writer.memberClock(41n)
    writer.eventClock(17n)
    writer.queryClock(9n)
    await writer.sync()
    await writer.shutdown()
    expect(writer.stats().compactions).toBeGreaterThan(0)
    expect(readFileSync(path, 'utf8')).toContain('# gossamer-crc32 ')

    const s = await start({ name: 's', snapshotPath: path })
    await waitUntil('s rejoined r from the snapshot', async () => ((await r.members()).find((m) => m.name === 's' && m.status === 'alive') ? true : undefined), 20_000)
    const info = (await s.info()).serf
    expect(BigInt(info['event_time']!)).toBeGreaterThanOrEqual(18n)
    expect(BigInt(info['query_time']!)).toBeGreaterThanOrEqual(10n)
    expect(BigInt(info['member_time']!)).toBeGreaterThanOrEqual(42n)
    expect(s.log()).not.toMatch(/Unrecognized snapshot line/)
    expect(s.log()).toMatch(/[Rr]e-joined to previously known node: r/)
    await s.stop({ signal: 'SIGTERM' })

    // The agent continued our file; Gossamer reads the mix (verified spans plus Serf's lines).
    const mixed = replaySnapshot(readFileSync(path))
    expect(mixed.counts.corruptSpans + mixed.counts.unknownLines).toBe(0)
    expect(mixed.counts.verifiedSpans).toBeGreaterThan(0)
    expect(mixed.aliveNodes.get('r')).toBe(r.bindAddr)
    expect(mixed.lastEventClock).toBeGreaterThanOrEqual(17n)
  })
})
