/**
 * What the member layer takes from a replayed snapshot at start (Serf's NewSerf, spec §5.3/§6):
 * the members to try to rejoin, shuffled, our own name skipped, the three clocks, the minimum event
 * and query times, and whether the node had left. Separate from replay.ts, which reads a file and
 * knows nothing of rejoining; this is the snapshotter's answer to the member layer at start.
 */
import type { PreviousNode, SnapshotRestore } from './protocol.ts'
import type { ReplayResult } from './replay.ts'

/** The protocol's SnapshotRestore without the replay accounting. */
export type RestoredState = Omit<SnapshotRestore, 'corruptLines' | 'tornBytes' | 'unknownLines'>

/**
 * restoredState turns a replay into what Serf hands its member layer: the rejoin candidates
 * shuffled with the injected `random` (returns [0, 1); Serf shuffles so restarts do not all hit
 * the same member), our own name skipped, and the minimum event and query times.
 */
export function restoredState(result: ReplayResult, selfName: string, random: () => number): RestoredState {
  const previousNodes: PreviousNode[] = []
  for (const [name, addr] of result.aliveNodes) if (name !== selfName) previousNodes.push({ name, addr })
  for (let i = previousNodes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = previousNodes[i]!
    previousNodes[i] = previousNodes[j]!
    previousNodes[j] = t
  }
  return {
    previousNodes,
    lastClock: result.lastClock,
    lastEventClock: result.lastEventClock,
    lastQueryClock: result.lastQueryClock,
    eventMinTime: result.lastEventClock + 1n,
    queryMinTime: result.lastQueryClock + 1n,
    left: result.left,
  }
}
