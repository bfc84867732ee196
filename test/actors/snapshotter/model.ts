/** A reference model of the snapshot state and a seeded event generator, for the writer tests. */
import type { SnapshotWriter } from '../../../actors/snapshotter/writer.ts'
import type { ReplayResult } from '../../../actors/snapshotter/replay.ts'

export type Ev =
  | { k: 'alive'; name: string; addr: string }
  | { k: 'dead'; name: string }
  | { k: 'clock'; t: bigint }
  | { k: 'eclock'; t: bigint }
  | { k: 'qclock'; t: bigint }

export class Model {
  alive = new Map<string, string>()
  clock = 0n
  eclock = 0n
  qclock = 0n
  apply(e: Ev): void {
    if (e.k === 'alive') this.alive.set(e.name, e.addr)
    else if (e.k === 'dead') this.alive.delete(e.name)
    else if (e.k === 'clock') this.clock = e.t > this.clock ? e.t : this.clock
    else if (e.k === 'eclock') this.eclock = e.t > this.eclock ? e.t : this.eclock
    else this.qclock = e.t > this.qclock ? e.t : this.qclock
  }
  key(): string {
    return stateKey(this.alive, this.clock, this.eclock, this.qclock)
  }
}

export function stateKey(alive: Map<string, string>, c: bigint, e: bigint, q: bigint): string {
  return [...alive].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, a]) => `${n}=${a}`).join(',') + `|${c}|${e}|${q}`
}

export const replayKey = (r: ReplayResult) => stateKey(r.aliveNodes, r.lastClock, r.lastEventClock, r.lastQueryClock)

/**
 * events: a seeded stream over `members` names. A member's address port is its version number, so
 * the order of one member's records in a file can be checked.
 */
export function* events(seed: number, count: number, members: number): Generator<Ev> {
  let x = seed >>> 0
  const rnd = (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    return x % n
  }
  const version = new Array<number>(members).fill(0)
  let clock = 0n
  let eclock = 0n
  let qclock = 0n
  for (let i = 0; i < count; i++) {
    const r = rnd(100)
    if (r < 60) {
      const m = rnd(members)
      version[m]!++
      yield { k: 'alive', name: `node-${m}`, addr: `10.0.${m >> 8}.${m & 255}:${version[m]}` }
    } else if (r < 80) {
      yield { k: 'dead', name: `node-${rnd(members)}` }
    } else if (r < 92) {
      yield { k: 'clock', t: (clock += 1n) }
    } else if (r < 97) {
      yield { k: 'eclock', t: (eclock += BigInt(1 + rnd(3))) }
    } else {
      yield { k: 'qclock', t: (qclock += 1n) }
    }
  }
}

export function offer(w: SnapshotWriter, e: Ev): void {
  if (e.k === 'alive') w.alive(e.name, e.addr)
  else if (e.k === 'dead') w.notAlive(e.name)
  else if (e.k === 'clock') w.memberClock(e.t)
  else if (e.k === 'eclock') w.eventClock(e.t)
  else w.queryClock(e.t)
}
