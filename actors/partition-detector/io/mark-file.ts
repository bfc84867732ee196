/**
 * The partition detector's mark store on the file system: the expected-size high-water mark in a
 * small JSON file (`{"highWater":5}`), written to a temporary sibling, fsynced and renamed over the
 * old one, so a crash leaves the old mark or the new one, never a torn file. Only this file (and
 * worker.ts) touches the disk.
 */
import { open, readFile, rename } from 'node:fs/promises'
import { ClusterError } from '../../../src/errors/index.ts'
import type { MarkStore } from '../mark-store.ts'

/** Larger than any mark file we write: a bigger file is not ours. */
const MAX_FILE_BYTES = 4096

export function markFileStore(): MarkStore {
  return {
    async load(path) {
      let text: string
      try {
        const bytes = await readFile(path)
        if (bytes.length > MAX_FILE_BYTES) throw new ClusterError('ERR_PARTITION_MARK_CORRUPT', `${path} is ${bytes.length} bytes, more than a mark file holds (${MAX_FILE_BYTES})`)
        text = bytes.toString('utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch (cause) {
        throw new ClusterError('ERR_PARTITION_MARK_CORRUPT', `${path} is not a mark file (not JSON)`, { cause })
      }
      const mark = (parsed as { highWater?: unknown } | null)?.highWater
      if (typeof mark !== 'number' || !Number.isSafeInteger(mark) || mark < 1) throw new ClusterError('ERR_PARTITION_MARK_CORRUPT', `${path} holds no highWater integer >= 1`)
      return mark
    },
    async save(path, highWater) {
      const tmp = `${path}.tmp`
      const fh = await open(tmp, 'w', 0o644)
      try {
        await fh.writeFile(JSON.stringify({ highWater }) + '\n')
        await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(tmp, path)
    },
  }
}
