/**
 * The real SnapshotDisk on node:fs/promises: appends with writev on an O_APPEND handle, fsync
 * (fdatasync is not enough for a file that grows: its size is metadata), atomic rename, and a
 * directory fsync so that creations and renames survive a power loss.
 */
import { open, rename, rm, truncate } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { SnapshotDisk, SnapshotFileHandle } from '../disk.ts'
import { SnapshotTooLargeError } from '../disk.ts'

async function openHandle(path: string, flags: string): Promise<SnapshotFileHandle> {
  const fh = await open(path, flags, 0o644)
  return {
    async append(chunks) {
      let pending = chunks.filter((c) => c.length > 0)
      while (pending.length > 0) {
        const { bytesWritten } = await fh.writev(pending)
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
