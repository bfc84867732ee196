/**
 * What the assignment actor's `nats` backend needs of a store: the port between the machine's
 * provided actions (io/provide-store.ts) and the NATS client (io/nats-store.ts). A test or a
 * simulation plugs in its own (memoryAssignmentStore below). Every operation settles and never
 * throws: failures come back as data, with a code.
 *
 * Keys: one per group for the published assignment, one per group and worker for registrations.
 * A group or node name may hold any character, so keys carry them hex-encoded (NATS KV keys are
 * limited to letters, digits and `-_=./`).
 */
import type { WireError } from '../../src/errors/index.ts'

export type StoreEntry = { kind: 'assignment'; group: string; bytes: Uint8Array | null } | { kind: 'worker'; group: string; node: string; bytes: Uint8Array | null }

export type PublishResult = { ok: true } | { ok: false; error: WireError; newerTerm?: number }

export interface AssignmentStorePort {
  /**
   * Writes the group's assignment with update-with-revision (create when the key is new); on a
   * revision conflict reads the key: a newer term there is reported (`newerTerm`), an older one is
   * overwritten at its revision (one retry).
   */
  publish(group: string, bytes: Uint8Array, term: number): Promise<PublishResult>
  /** The group's last published assignment (null: none). */
  read(group: string): Promise<{ ok: true; bytes: Uint8Array | null } | { ok: false; error: WireError }>
  register(group: string, node: string, bytes: Uint8Array): Promise<{ ok: true } | { ok: false; error: WireError }>
  unregister(group: string, node: string): Promise<{ ok: true } | { ok: false; error: WireError }>
  /** Every entry (the current ones first, then each change) until `stop()`. */
  watch(onEntry: (entry: StoreEntry) => void): { stop(): void }
  close(): Promise<void>
}

const HEX = '0123456789abcdef'

export function hexOf(s: string): string {
  let out = ''
  for (const b of new TextEncoder().encode(s)) out += HEX[b >> 4]! + HEX[b & 15]!
  return out
}

export function fromHex(h: string): string | undefined {
  if (h.length % 2 !== 0 || !/^[0-9a-f]*$/.test(h)) return undefined
  const bytes = new Uint8Array(h.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

export function assignmentKey(group: string): string {
  return `a.${hexOf(group)}`
}

export function workerKey(group: string, node: string): string {
  return `w.${hexOf(group)}.${hexOf(node)}`
}

/** Reads a key back into what it names; undefined for a key this store did not write. */
export function parseKey(key: string): { kind: 'assignment'; group: string } | { kind: 'worker'; group: string; node: string } | undefined {
  const parts = key.split('.')
  if (parts[0] === 'a' && parts.length === 2) {
    const group = fromHex(parts[1]!)
    return group === undefined || group === '' ? undefined : { kind: 'assignment', group }
  }
  if (parts[0] === 'w' && parts.length === 3) {
    const group = fromHex(parts[1]!)
    const node = fromHex(parts[2]!)
    return group === undefined || node === undefined || group === '' || node === '' ? undefined : { kind: 'worker', group, node }
  }
  return undefined
}

/** Term of encoded assignment bytes (header bytes 4..11) without decoding the rest; undefined if too short. */
export function termOf(bytes: Uint8Array): number | undefined {
  if (bytes.length < 12) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return view.getUint32(8, true) * 0x1_0000_0000 + view.getUint32(4, true)
}

/**
 * A store in memory with the same rules (revision per key, create/update semantics, watchers),
 * shared by the actors of one test or simulation: `memoryAssignmentStore()` gives the shared
 * backing, `.port()` one actor's port.
 */
export function memoryAssignmentStore() {
  const keys = new Map<string, { revision: number; bytes: Uint8Array }>()
  const watchers = new Set<(key: string, bytes: Uint8Array | null) => void>()
  let revision = 0
  const notify = (key: string, bytes: Uint8Array | null) => {
    for (const w of [...watchers]) queueMicrotask(() => w(key, bytes))
  }
  const put = (key: string, bytes: Uint8Array) => {
    keys.set(key, { revision: ++revision, bytes: bytes.slice() })
    notify(key, bytes.slice())
  }
  let failing: WireError | undefined
  return {
    keys,
    /** Makes every operation fail with `error` (undefined: work again). */
    fail(error: WireError | undefined) {
      failing = error
    },
    port(): AssignmentStorePort {
      const mine = new Set<(key: string, bytes: Uint8Array | null) => void>()
      return {
        async publish(group, bytes, term) {
          if (failing !== undefined) return { ok: false, error: failing }
          const key = assignmentKey(group)
          const old = keys.get(key)
          const oldTerm = old === undefined ? undefined : termOf(old.bytes)
          if (oldTerm !== undefined && oldTerm > term) return { ok: false, error: { code: 'ERR_ASSIGNMENT_STALE_TERM', message: `the store holds term ${oldTerm}` }, newerTerm: oldTerm }
          put(key, bytes)
          return { ok: true }
        },
        async read(group) {
          if (failing !== undefined) return { ok: false, error: failing }
          return { ok: true, bytes: keys.get(assignmentKey(group))?.bytes.slice() ?? null }
        },
        async register(group, node, bytes) {
          if (failing !== undefined) return { ok: false, error: failing }
          put(workerKey(group, node), bytes)
          return { ok: true }
        },
        async unregister(group, node) {
          if (failing !== undefined) return { ok: false, error: failing }
          keys.delete(workerKey(group, node))
          notify(workerKey(group, node), null)
          return { ok: true }
        },
        watch(onEntry) {
          const w = (key: string, bytes: Uint8Array | null) => {
            const k = parseKey(key)
            if (k !== undefined) onEntry({ ...k, bytes } as StoreEntry)
          }
          for (const [key, v] of keys) queueMicrotask(() => w(key, v.bytes.slice()))
          watchers.add(w)
          mine.add(w)
          return { stop: () => void (watchers.delete(w), mine.delete(w)) }
        },
        async close() {
          for (const w of mine) watchers.delete(w)
          mine.clear()
        },
      }
    },
  }
}
