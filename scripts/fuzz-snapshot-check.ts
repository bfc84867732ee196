/**
 * The soak's check of a replayed file (scripts/fuzz-snapshot.ts): which acknowledged records of a
 * run does the file no longer show?
 */
import type { ReplayResult } from '../actors/snapshotter/replay.ts'
import { addrText, clockOf, indexOfAddr, kindOf, memberOf, type StreamShape } from './fuzz-snapshot-stream.ts'

/**
 * Lost acknowledged records (defined in scripts/fuzz-snapshot.ts): per member and for the clock, the replayed value
 * must be the value at the acknowledged point `acked` or one given by a record in [acked, horizon).
 */
export function lostRecords(shape: StreamShape, base: ReplayResult, acked: number, horizon: number, after: ReplayResult): { lost: number; details: string[] } {
  const lastAck = new Int32Array(shape.members).fill(-1)
  let clockAck = -1
  for (let i = 0; i < acked; i++) {
    if (kindOf(shape, i) === 'clock') clockAck = i
    else lastAck[memberOf(shape, i)] = i
  }
  const deadLater = new Uint8Array(shape.members)
  for (let i = acked; i < horizon; i++) if (kindOf(shape, i) === 'dead') deadLater[memberOf(shape, i)] = 1
  let lost = 0
  const details: string[] = []
  const miss = (text: string) => {
    lost++
    if (details.length < 5) details.push(text)
  }
  for (let m = 0; m < shape.members; m++) {
    const name = `n${m}`
    const j = lastAck[m]!
    const atAck = j >= 0 ? (kindOf(shape, j) === 'alive' ? addrText(shape, j) : undefined) : base.aliveNodes.get(name)
    const got = after.aliveNodes.get(name)
    if (got === atAck) continue
    if (got === undefined) {
      if (deadLater[m] === 1) continue
      miss(`${name}: missing, acknowledged as ${atAck} (record ${j})`)
      continue
    }
    const k = indexOfAddr(shape, got)
    if (k >= acked && k < horizon && kindOf(shape, k) === 'alive' && memberOf(shape, k) === m) continue
    miss(`${name}: ${got}, acknowledged as ${atAck ?? 'not alive'} (record ${j})`)
  }
  const clockAtAck = clockAck >= 0 ? clockOf(shape, clockAck) : base.lastClock
  if (after.lastClock < clockAtAck) miss(`clock ${after.lastClock} < acknowledged ${clockAtAck}`)
  for (const name of after.aliveNodes.keys()) {
    const m = /^n(\d+)$/.exec(name)
    if (m === null || Number(m[1]) >= shape.members) miss(`unexpected member ${JSON.stringify(name)}`)
  }
  return { lost, details }
}
