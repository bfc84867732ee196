/**
 * What the `nats` backend needs of a KV bucket: the port between its host (nats-backend.ts, no I/O)
 * and the NATS client (io/nats-kv.ts). A test or a simulation may plug in its own. Every request
 * settles (never hangs past the request timeout) and never throws: failures come back as data.
 */
import type { KeyEntry } from './nats-lease-types.ts'

export type KvWriteResult = { ok: true; revision: number } | { ok: false; reason: 'conflict' | 'error'; error: unknown }

export interface ElectionKvPort {
  /** Create if absent (a key whose last entry is a delete counts as absent); conflict: it exists. */
  create(key: string, value: Uint8Array): Promise<KvWriteResult>
  /** Update at `revision`; conflict: the key's revision is another. */
  update(key: string, value: Uint8Array, revision: number): Promise<KvWriteResult>
  /** Delete at `revision` (leaves a delete marker, which watchers see). */
  delete(key: string, revision: number): Promise<{ ok: true } | { ok: false; reason: 'conflict' | 'error'; error: unknown }>
  /** The key's last entry (a delete marker included), or null: none. */
  get(key: string): Promise<{ ok: true; entry: RawEntry | null } | { ok: false; error: unknown }>
  /**
   * Every new entry of the bucket from now on, to `onEntry`, until `stop()`; re-established after
   * a connection loss (a gap is covered by the backend's timers and reads, not by the watch).
   */
  watch(onEntry: (key: string, entry: RawEntry) => void): { stop(): void }
  close(): Promise<void>
}

/** An entry as stored: revision, operation and the value's bytes. */
export interface RawEntry {
  revision: number
  op: KeyEntry['op']
  value: Uint8Array
}

const MAX_VALUE_BYTES = 1024

export function encodeLeaseValue(holder: string, term: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ holder, term }))
}

/** The entry as the core reads it: a value this backend did not write has holder null. */
export function decodeEntry(raw: RawEntry): KeyEntry {
  if (raw.op !== 'PUT') return { revision: raw.revision, op: raw.op, holder: null, term: 0 }
  if (raw.value.length > MAX_VALUE_BYTES) return { revision: raw.revision, op: 'PUT', holder: null, term: 0 }
  try {
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw.value)) as { holder?: unknown; term?: unknown } | null
    const holder = v?.holder
    const term = v?.term
    if (typeof holder === 'string' && holder.length > 0 && typeof term === 'number' && Number.isSafeInteger(term) && term >= 0) return { revision: raw.revision, op: 'PUT', holder, term }
  } catch {
    // fall through: not ours
  }
  return { revision: raw.revision, op: 'PUT', holder: null, term: 0 }
}
