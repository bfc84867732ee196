/**
 * The real SnapshotDisk on node:fs/promises: appends with writev on an O_APPEND handle, fsync
 * (fdatasync is not enough for a file that grows: its size is metadata), atomic rename, and a
 * directory fsync so that creations and renames survive a power loss.
 *
 * A small append (at most SYNC_APPEND_MAX_BYTES) is written synchronously on the actor's own
 * thread: it is a copy into the page cache (microseconds), while the libuv pool costs two thread
 * wakeups per batch (to the pool and back), and on a busy machine each of them waits for a CPU;
 * that wait, not the write, was the tail of the append latency. fsync stays asynchronous (it
 * waits for the device), and so do big appends (a burst, a compaction's chunks).
 */
import { writevSync } from 'node:fs'
import { open, rename, rm, truncate } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { SnapshotDisk, SnapshotFileHandle } from '../disk.ts'
import { SnapshotTooLargeError } from '../disk.ts'

/** Appends up to this many bytes go straight to the page cache on the calling thread (see the header). */
export const SYNC_APPEND_MAX_BYTES = 64 * 1024

async function openHandle(path: string, flags: string): Promise<SnapshotFileHandle> {
  const fh = await open(path, flags, 0o644)
  return {
    async append(chunks) {
      let pending = chunks.filter((c) => c.length > 0)
      let total = 0
      for (const c of pending) total += c.length
      // The pump runs one operation on a file at a time, so no async write is in flight here.
      const small = total <= SYNC_APPEND_MAX_BYTES
      while (pending.length > 0) {
        const bytesWritten = small ? writevSync(fh.fd, pending) : (await fh.writev(pending)).bytesWritten
        // A short write continues where it stopped.
        let skip = bytesWritten
        const rest: Uint8Array[] = []
        for (const c of pending) {
          if (skip >= c.length) {
            skip -= c.length
            continue
          }
          rest.push(skip > 0 ? c.subarray(skip) : c)
          skip = 0
        }
        pending = rest
      }
    },
    sync: () => fh.sync(),
    close: () => fh.close(),
  }
}

export function nodeDisk(): SnapshotDisk {
  return {
    async read(path, maxBytes) {
      let fh
      try {
        fh = await open(path, 'r')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
      try {
        const { size } = await fh.stat()
        if (size > maxBytes) throw new SnapshotTooLargeError(path, size, maxBytes)
        return await fh.readFile()
      } finally {
        await fh.close()
      }
    },
    openAppend: (path) => openHandle(path, 'a'),
    create: (path) => openHandle(path, 'w'),
    truncate: (path, length) => truncate(path, length),
    rename: (from, to) => rename(from, to),
    remove: (path) => rm(path, { force: true }),
    async syncDir(path) {
      const dir = await open(dirname(path), 'r')
      try {
        await dir.sync()
      } finally {
        await dir.close()
      }
    },
  }
}
