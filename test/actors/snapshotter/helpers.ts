/** Shared builders for the snapshotter tests: a writer on a MemoryDisk with real or manual timers. */
import { createSnapshotterConfig, type SnapshotterInit } from '../../../actors/snapshotter/config.ts'
import type { SnapshotDisk } from '../../../actors/snapshotter/disk.ts'
import { MemoryDisk } from './memory-disk.ts'
import { SnapshotWriter, type WriterEnv, type WriterNotice } from '../../../actors/snapshotter/writer.ts'

export const PATH = '/snap/node.snapshot'

/** Manual timers: `fire()` runs every due one-shot timer (for the interval policy). */
export class ManualTimers {
  private timers = new Map<number, { fn: () => void; at: number }>()
  private next = 1
  now = 0
  set(fn: () => void, ms: number): () => void {
    const id = this.next++
    this.timers.set(id, { fn, at: this.now + ms })
    return () => void this.timers.delete(id)
  }
  advance(ms: number): void {
    this.now += ms
    for (const [id, t] of [...this.timers]) {
      if (t.at <= this.now) {
        this.timers.delete(id)
        t.fn()
      }
    }
  }
  get pending(): number {
    return this.timers.size
  }
}

export function makeWriter(
  init: Partial<SnapshotterInit> = {},
  /** `fs`: another disk for the writer (a LimitedDisk over `disk`, say); `disk` stays the one returned. */
  options: { disk?: MemoryDisk; fs?: SnapshotDisk; timers?: ManualTimers } = {},
): { writer: SnapshotWriter; disk: MemoryDisk; notices: WriterNotice[]; env: WriterEnv } {
  const disk = options.disk ?? new MemoryDisk()
  const notices: WriterNotice[] = []
  const timers = options.timers
  const env: WriterEnv = {
    disk: options.fs ?? disk,
    now: () => (timers ? timers.now : performance.now()),
    defer: (fn) => void setImmediate(fn),
    setTimer: (fn, ms) => {
      if (timers) return timers.set(fn, ms)
      const t = setTimeout(fn, ms)
      return () => clearTimeout(t)
    },
    onNotice: (n) => void notices.push(n),
  }
  const writer = new SnapshotWriter(createSnapshotterConfig({ path: PATH, nodeName: 'self', ...init }), env)
  return { writer, disk, notices, env }
}

export const ip = (a: number, b: number, c: number, d: number) => new Uint8Array([a, b, c, d])
export const tick = () => new Promise<void>((r) => setImmediate(r))
