/**
 * Where the detector's expected-size mark lives between runs of the node, and the latest-wins
 * writer the machine saves through. The store is the I/O (io/mark-file.ts in a worker, a memory
 * store in a simulation); this file only orders the calls: one save at a time, and a mark raised
 * while a save is on the disk is saved next (intermediate marks are skipped: only the newest matters).
 */
export interface MarkStore {
  /** The saved mark, or undefined when none was ever saved. Rejects with a coded error for a file that is not a mark. */
  load(path: string): Promise<number | undefined>
  save(path: string, highWater: number): Promise<void>
}

/** A store in memory (simulations, tests): what a restart of the actor on the same store reads back. */
export function memoryMarkStore(initial: Record<string, number> = {}): MarkStore & { readonly marks: Map<string, number> } {
  const marks = new Map(Object.entries(initial))
  return {
    marks,
    load: async (path) => marks.get(path),
    save: async (path, highWater) => void marks.set(path, highWater),
  }
}

export type SaveResult = { highWater: number; error?: unknown }

/** One save at a time to `path`; `done` is called once per save that ran, in order. */
export function latestWinsWriter(store: MarkStore, path: string, done: (r: SaveResult) => void): (highWater: number) => void {
  let writing = false
  let next: number | undefined
  const run = (highWater: number): void => {
    writing = true
    store.save(path, highWater).then(
      () => finish({ highWater }),
      (error: unknown) => finish({ highWater, error }),
    )
  }
  const finish = (r: SaveResult): void => {
    writing = false
    done(r)
    if (next !== undefined) {
      const n = next
      next = undefined
      run(n)
    }
  }
  return (highWater) => {
    if (writing) next = highWater
    else run(highWater)
  }
}
