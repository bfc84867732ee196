/**
 * The partition-detector in its worker thread with the real mark file: a node restart (a new
 * system, a new thread) reads the mark the previous run saved; the file store refuses a file that is
 * not a mark with a coded error, and a missing file is no mark.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../../src/runtime/index.ts'
import { partitionDetector } from '../../../actors/partition-detector/definition.ts'
import { markFileStore } from '../../../actors/partition-detector/io/mark-file.ts'
import type { Member } from '../../../actors/member-manager/protocol.ts'

let system: ActorSystem | undefined
const dirs: string[] = []
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gossamer-pd-'))
  dirs.push(d)
  return d
}

const member = (name: string): Member => ({ name, addr: Uint8Array.of(10, 0, 0, 1), port: 7946, tags: {}, status: 'alive', protocolMin: 2, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 })

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > end) throw new Error(`condition not met in time: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The mark file's content, or undefined while it is missing or half-written. */
function readMark(path: string): { highWater: number } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { highWater: number }
  } catch {
    return undefined
  }
}

describe('partition-detector worker with the mark file', () => {
  it('a new thread in a new system reads the mark the last run saved', async () => {
    const statePath = join(tempDir(), 'partition.mark')
    system = await ActorSystem.start({ logLevel: 'silent' })
    let pd = await system.spawn(partitionDetector, { id: 'partition-detector', input: { self: 'self', statePath } })
    pd.send({ type: 'member.event', event: 'member-join', members: ['a', 'b', 'c', 'd', 'e', 'f'].map(member) })
    await until(() => pd.ask({ type: 'partition.status' }), (r) => r.actor.persisted >= 1 && r.highWater === 7)
    // The mark rises member by member (2, 3, ... 7), one save each: the first save done says
    // nothing of the last, so wait for the file itself to hold the last mark.
    const saved = await until(async () => readMark(statePath), (m) => m?.highWater === 7)
    expect(saved).toEqual({ highWater: 7 })
    await system.shutdown({ drainTimeoutMs: 2000 })

    system = await ActorSystem.start({ logLevel: 'silent' })
    pd = await system.spawn(partitionDetector, { id: 'partition-detector', input: { self: 'self', statePath } })
    const r = await until(() => pd.ask({ type: 'partition.status' }), (r) => r.highWater === 7)
    expect(r).toMatchObject({ status: 'minority', counts: { visible: 1, expected: 7, quorum: 4 } })
  })

  it('the file store: a missing file is no mark, a foreign file is ERR_PARTITION_MARK_CORRUPT', async () => {
    const dir = tempDir()
    const store = markFileStore()
    await expect(store.load(join(dir, 'none'))).resolves.toBeUndefined()
    for (const [name, text] of [
      ['not-json', 'hello'],
      ['no-mark', '{"highWater":0}'],
      ['big', 'x'.repeat(5000)],
    ]) {
      writeFileSync(join(dir, name!), text!)
      await expect(store.load(join(dir, name!))).rejects.toMatchObject({ code: 'ERR_PARTITION_MARK_CORRUPT' })
    }
    await store.save(join(dir, 'ok'), 12)
    await expect(store.load(join(dir, 'ok'))).resolves.toBe(12)
  })
})
