/**
 * Opening the SnapshotWriter's file: the recovery a start begins with. It removes a stale
 * compaction temp file, reads and replays the existing snapshot, cuts off a torn tail, restores
 * the state and the replay's counts, opens the file for append (making a new file's directory
 * entry durable first), starts the interval fsync, and has a damaged file rewritten clean by a
 * compaction. Separate from writer.ts as the counterpart of writer-shutdown.ts: each runs once,
 * at one end of the writer's life, over the same parts.
 */
import type { SnapshotterConfig } from './config.ts'
import type { SnapshotDisk } from './disk.ts'
import type { LiveFile } from './live-file.ts'
import type { SnapshotterCounters } from './metrics.ts'
import type { PendingText } from './pending.ts'
import { replaySnapshot, type ReplayResult } from './replay.ts'
import { SnapshotState } from './snapshot-state.ts'
import type { Watermarks } from './watermarks.ts'
import type { CompactionDriver } from './writer-compaction.ts'
import type { Pump } from './writer-pump.ts'

export interface OpenParts {
  config: Pick<SnapshotterConfig, 'path' | 'maxFileBytes' | 'rejoinAfterLeave' | 'durability'>
  disk: SnapshotDisk
  counters: SnapshotterCounters
  state: SnapshotState
  file: LiveFile
  marks: Watermarks
  pending: PendingText
  compaction: CompactionDriver
  pump: Pump
}

/** Replays the existing file into `state` and opens it for append; rejects with the disk's error. */
export async function openWriterFile(p: OpenParts): Promise<ReplayResult> {
  const { disk, config, counters, file } = p
  const path = config.path
  await disk.remove(path + '.compact')
  const existing = await disk.read(path, config.maxFileBytes)
  const bytes = existing ?? new Uint8Array(0)
  const result = replaySnapshot(bytes, { rejoinAfterLeave: config.rejoinAfterLeave })
  if (result.validLength < bytes.length) await disk.truncate(path, result.validLength)
  const s = SnapshotState.fromReplay(result)
  p.state.alive = s.alive
  p.state.lastClock = s.lastClock
  p.state.lastEventClock = s.lastEventClock
  p.state.lastQueryClock = s.lastQueryClock
  counters.corruptLines = result.counts.corruptLines
  counters.tornBytes = result.counts.tornBytes
  counters.unknownLines = result.counts.unknownLines
  counters.badLines = result.counts.badLines
  file.handle = await disk.openAppend(path)
  // A new file's directory entry must be durable before any fsync of its content means anything.
  if (existing === undefined) await disk.syncDir(path)
  file.offset = result.validLength
  if (config.durability === 'interval') p.pump.armInterval()
  if (p.pending.hasWork() || p.marks.waiting > 0) p.pump.kick()
  // A damaged file is rewritten clean from what replay kept.
  if (result.counts.corruptSpans > 0 || result.counts.unknownLines > 0 || result.counts.badLines > 0) p.compaction.start()
  return result
}
