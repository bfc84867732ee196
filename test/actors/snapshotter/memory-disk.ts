/**
 * MemoryDisk: a SnapshotDisk in memory for tests (benchmarks may import it from here too). It models what survives a power loss: each file's bytes as of its last fsync, and the
 * directory's names as of its last directory fsync (`crashImage()`), and what survives a killed
 * process: everything written (`processCrashImage()`). A hook before every operation can delay it
 * (a slow disk), fail it, or capture crash images at that exact point.
 */
import { SnapshotTooLargeError, type SnapshotDisk, type SnapshotFileHandle } from '../../../actors/snapshotter/disk.ts'

export type DiskOp = 'read' | 'append' | 'sync' | 'close' | 'create' | 'openAppend' | 'truncate' | 'rename' | 'remove' | 'syncDir'

/** Called before each operation; may return a promise (delay) or throw (failure). */
export type DiskHook = (op: DiskOp, path: string) => void | Promise<void>

interface Inode {
  data: Uint8Array
  length: number
  durableLength: number
  durable: Uint8Array
}

function grow(node: Inode, extra: number): void {
  if (node.length + extra <= node.data.length) return
  const next = new Uint8Array(Math.max(node.length + extra, node.data.length * 2, 1024))
  next.set(node.data.subarray(0, node.length))
  node.data = next
}

export class MemoryDisk implements SnapshotDisk {
  private names = new Map<string, Inode>()
  private durableNames = new Map<string, Inode>()
  /** Operations performed so far, by kind (tests assert on fsync counts). */
  readonly ops: Record<DiskOp, number> = {
    read: 0, append: 0, sync: 0, close: 0, create: 0, openAppend: 0, truncate: 0, rename: 0, remove: 0, syncDir: 0,
  }
  hook: DiskHook | undefined

  constructor(hook?: DiskHook) {
    this.hook = hook
  }

  private async before(op: DiskOp, path: string): Promise<void> {
    this.ops[op]++
    if (this.hook !== undefined) await this.hook(op, path)
  }

  /** Puts a file in place as if written and synced long ago. */
  put(path: string, bytes: Uint8Array | string): void {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes.slice()
    const node: Inode = { data, length: data.length, durableLength: data.length, durable: data.slice() }
    this.names.set(path, node)
    this.durableNames.set(path, node)
  }

  /** The visible content of a file (what a reader in the same OS sees), or undefined. */
  get(path: string): Uint8Array | undefined {
    const node = this.names.get(path)
    return node === undefined ? undefined : node.data.slice(0, node.length)
  }

  text(path: string): string {
    const bytes = this.get(path)
    return bytes === undefined ? '' : new TextDecoder().decode(bytes)
  }

  list(): string[] {
    return [...this.names.keys()].sort()
  }

  /** What a killed process leaves: every completed write is in the page cache and survives. */
  processCrashImage(): MemoryDisk {
    const disk = new MemoryDisk()
    for (const [name, node] of this.names) disk.put(name, node.data.slice(0, node.length))
    return disk
  }

  /** What a power loss leaves: only fsynced bytes, under only the names the directory fsynced. */
  crashImage(): MemoryDisk {
    const disk = new MemoryDisk()
    for (const [name, node] of this.durableNames) disk.put(name, node.durable.slice(0, node.durableLength))
    return disk
  }

  async read(path: string, maxBytes = Infinity): Promise<Uint8Array | undefined> {
    await this.before('read', path)
    const bytes = this.get(path)
    if (bytes !== undefined && bytes.length > maxBytes) throw new SnapshotTooLargeError(path, bytes.length, maxBytes)
    return bytes
  }

  async openAppend(path: string): Promise<SnapshotFileHandle> {
    await this.before('openAppend', path)
    let node = this.names.get(path)
    if (node === undefined) {
      node = { data: new Uint8Array(1024), length: 0, durableLength: 0, durable: new Uint8Array(0) }
      this.names.set(path, node)
    }
    return this.handle(node, path)
  }

  async create(path: string): Promise<SnapshotFileHandle> {
    await this.before('create', path)
    const node: Inode = { data: new Uint8Array(1024), length: 0, durableLength: 0, durable: new Uint8Array(0) }
    this.names.set(path, node)
    return this.handle(node, path)
  }

  private handle(node: Inode, path: string): SnapshotFileHandle {
    let closed = false
    const check = () => {
      if (closed) throw new Error(`memory disk: ${path} is closed`)
    }
    return {
      append: async (chunks) => {
        check()
        await this.before('append', path)
        check()
        let total = 0
        for (const c of chunks) total += c.length
        grow(node, total)
        for (const c of chunks) {
          node.data.set(c, node.length)
          node.length += c.length
        }
      },
      sync: async () => {
        check()
        await this.before('sync', path)
        node.durable = node.data.slice(0, node.length)
        node.durableLength = node.length
      },
      close: async () => {
        closed = true
        await this.before('close', path)
      },
    }
  }

  async truncate(path: string, length: number): Promise<void> {
    await this.before('truncate', path)
    const node = this.names.get(path)
    if (node !== undefined && length < node.length) node.length = length
  }

  async rename(from: string, to: string): Promise<void> {
    await this.before('rename', from)
    const node = this.names.get(from)
    if (node === undefined) throw Object.assign(new Error(`memory disk: no such file ${from}`), { code: 'ENOENT' })
    this.names.delete(from)
    this.names.set(to, node)
  }

  async remove(path: string): Promise<void> {
    await this.before('remove', path)
    this.names.delete(path)
  }

  async syncDir(path: string): Promise<void> {
    await this.before('syncDir', path)
    this.durableNames = new Map(this.names)
  }
}
