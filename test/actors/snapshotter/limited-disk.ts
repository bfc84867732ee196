/**
 * LimitedDisk: a MemoryDisk with a capacity in bytes over all its files, as a small file system
 * that fills up: an append that does not fit writes what fits (a short write, as write(2) does)
 * and then fails with ENOSPC; creating a file fails with ENOSPC when nothing is free. `capacity`
 * can be raised or lowered at any time (space freed or taken by someone else).
 */
import type { SnapshotDisk, SnapshotFileHandle } from '../../../actors/snapshotter/disk.ts'
import { MemoryDisk } from './memory-disk.ts'

const enospc = (path: string) => Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC' })

export class LimitedDisk implements SnapshotDisk {
  readonly inner: MemoryDisk
  /** ENOSPC failures returned so far. */
  fullErrors = 0

  constructor(
    public capacity: number,
    inner = new MemoryDisk(),
  ) {
    this.inner = inner
  }

  used(): number {
    let n = 0
    for (const p of this.inner.list()) n += this.inner.get(p)!.length
    return n
  }

  private wrap(handle: SnapshotFileHandle, path: string): SnapshotFileHandle {
    return {
      append: async (chunks) => {
        let total = 0
        for (const c of chunks) total += c.length
        const free = Math.max(0, this.capacity - this.used())
        if (total <= free) return handle.append(chunks)
        // A short write: the bytes that fit reach the file, then the error.
        const part: Uint8Array[] = []
        let left = free
        for (const c of chunks) {
          if (left <= 0) break
          part.push(c.subarray(0, Math.min(c.length, left)))
          left -= c.length
        }
        if (part.length > 0) await handle.append(part)
        this.fullErrors++
        throw enospc(path)
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    }
  }

  read(path: string, maxBytes: number) {
    return this.inner.read(path, maxBytes)
  }
  async openAppend(path: string) {
    return this.wrap(await this.inner.openAppend(path), path)
  }
  async create(path: string) {
    if (this.used() >= this.capacity) {
      this.fullErrors++
      throw enospc(path)
    }
    return this.wrap(await this.inner.create(path), path)
  }
  truncate(path: string, length: number) {
    return this.inner.truncate(path, length)
  }
  rename(from: string, to: string) {
    return this.inner.rename(from, to)
  }
  remove(path: string) {
    return this.inner.remove(path)
  }
  syncDir(path: string) {
    return this.inner.syncDir(path)
  }
}
