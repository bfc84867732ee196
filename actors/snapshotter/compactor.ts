/**
 * The first, long phase of a compaction: write the compacted file (`<path>.compact`) from a state
 * captured at a batch boundary, off the write path. It writes in chunks and yields the thread
 * between chunks, so the actor keeps taking messages and appending batches to the live file
 * meanwhile; then it fsyncs the new file. The short phase (append the batches written since the
 * capture, fsync, rename, fsync the directory, switch handles) is the writer's `swap`.
 */
import { ClusterError } from '../../src/errors/index.ts'
import { encodeBatch } from './batch.ts'
import type { SnapshotDisk, SnapshotFileHandle } from './disk.ts'
import { compactedText, type CapturedState } from './snapshot-state.ts'

export interface CompactedFile {
  handle: SnapshotFileHandle
  /** Bytes written so far (the compacted content). */
  size: number
}

/** A compaction abandoned at shutdown (counted in compactionsAborted, never surfaced as a failure). */
export class CompactionAbortedError extends ClusterError {
  static override name = 'CompactionAbortedError'
  constructor() {
    super('ERR_SNAPSHOT_COMPACTION_ABORTED', 'compaction aborted')
  }
}

export async function buildCompacted(options: {
  disk: SnapshotDisk
  tempPath: string
  state: CapturedState
  chunkLines: number
  checksums: boolean
  /** Lets the thread take other work between chunks. */
  yieldTurn: () => Promise<void>
  aborted: () => boolean
  /** Called after each chunk is written (for the flush counter). */
  onChunk?: () => void
}): Promise<CompactedFile> {
  const { disk, tempPath } = options
  const handle = await disk.create(tempPath)
  let size = 0
  try {
    for (const text of compactedText(options.state, options.chunkLines)) {
      if (options.aborted()) throw new CompactionAbortedError()
      const chunks = encodeBatch(text, options.checksums)
      await handle.append(chunks)
      options.onChunk?.()
      for (const c of chunks) size += c.length
      await options.yieldTurn()
    }
    if (options.aborted()) throw new CompactionAbortedError()
    await handle.sync()
    return { handle, size }
  } catch (err) {
    await handle.close().catch(() => undefined)
    await disk.remove(tempPath).catch(() => undefined)
    throw err
  }
}
