/**
 * The stream phase of `npm run fuzz:node` (scripts/fuzz-node.ts): TCP connections to the target's
 * listener, each kind run to its end or to a cap (then cut by us and counted):
 * - push-pull: a push/pull with hostile entries (fuzz-node-inputs.ts), then our write side ends;
 * - garbage: random bytes, then our side ends;
 * - endless: 64 KiB writes for as long as the node reads (a push/pull header announcing a huge user
 *   state, then zeros; or random bytes);
 * - oversized: a push/pull header announcing 2^31 − 1 nodes and user-state bytes, then nothing;
 * - slow: a valid push/pull, one byte every 250 ms;
 * - many: 600 connections opened at once and left idle.
 * The node should close every one of them itself: at once for what cannot be read, at its stream
 * deadline or byte cap otherwise.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { MsgpackWriter } from '../src/wire/msgpack/writer.ts'
import type { RandomSource } from '../src/types/random.ts'

export interface StreamKindReport {
  kind: string
  opened: number
  /** Longest time a connection of this kind stayed open (ms). */
  longestOpenMs: number
}

export interface StreamReport {
  opened: number
  /** Connections the node closed (or refused) before our cap. */
  closedByNode: number
  /** Connections still open at the cap, destroyed by us. */
  cutByUs: number
  ms: number
  kinds: StreamKindReport[]
}

const CAP_MS = 20_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** `[6]{Join, Nodes, UserStateLen}`: a push/pull header announcing what it likes. */
function pushPullHeader(nodes: number, userStateLen: number): Uint8Array {
  const w = new MsgpackWriter(64)
  w.byte(6)
  w.mapHeader(3)
  w.string('Join')
  w.bool(false)
  w.string('Nodes')
  w.uint(nodes)
  w.string('UserStateLen')
  w.uint(userStateLen)
  return w.finish()
}

export async function streamPhase(port: number, pushPull: () => Uint8Array, garbage: (n: number) => Uint8Array, random: RandomSource): Promise<StreamReport> {
  const started = Date.now()
  const report: StreamReport = { opened: 0, closedByNode: 0, cutByUs: 0, ms: 0, kinds: [] }

  /** Opens one connection, runs `drive` on it, resolves with how long it stayed open (ms). */
  const one = (drive: (s: Socket, closed: () => boolean) => void): Promise<number> =>
    new Promise((resolve) => {
      const opened = Date.now()
      let closed = false
      report.opened++
      const s = connect({ host: '127.0.0.1', port })
      s.on('error', () => {})
      s.on('data', () => {})
      const cap = setTimeout(() => {
        report.cutByUs++
        s.destroy()
      }, CAP_MS)
      s.on('close', () => {
        closed = true
        clearTimeout(cap)
        if (Date.now() - opened < CAP_MS) report.closedByNode++
        resolve(Date.now() - opened)
      })
      s.on('connect', () => drive(s, () => closed))
    })

  /** Runs `count` connections of one kind, `concurrency` at a time. */
  const kind = async (name: string, count: number, concurrency: number, drive: (s: Socket, closed: () => boolean) => void): Promise<void> => {
    let next = 0
    let longest = 0
    const worker = async () => {
      while (next < count) {
        next++
        longest = Math.max(longest, await one(drive))
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
    report.kinds.push({ kind: name, opened: count, longestOpenMs: longest })
  }

  const writeEndless = (s: Socket, closed: () => boolean, first: Uint8Array, chunk: () => Uint8Array) => {
    s.write(first)
    const pump = () => {
      while (!closed() && s.write(chunk()));
      if (!closed()) s.once('drain', pump)
    }
    pump()
  }
  const zeros = new Uint8Array(64 * 1024)

  await Promise.all([
    kind('push-pull', 300, 16, (s) => s.end(pushPull())),
    kind('garbage', 100, 16, (s) => s.end(garbage(1 + random.int(2000)))),
    kind('endless', 4, 4, (s, closed) => {
      if (random.next() < 0.5) writeEndless(s, closed, pushPullHeader(0, 0x7fff_ffff), () => zeros)
      else writeEndless(s, closed, garbage(16), () => garbage(64 * 1024))
    }),
    kind('oversized', 20, 20, (s) => s.write(pushPullHeader(0x7fff_ffff, 0x7fff_ffff))),
    kind('slow', 20, 20, (s, closed) => {
      const bytes = pushPull()
      let i = 0
      const tick = () => {
        if (closed() || i >= bytes.length) return
        s.write(bytes.subarray(i, ++i))
        setTimeout(tick, 250)
      }
      tick()
    }),
  ])
  // Many at once: past the listener's limit on open inbound streams.
  await kind('many', 600, 600, () => {})
  await sleep(100)
  report.ms = Date.now() - started
  return report
}
