/**
 * Whether a persisted snapshot is the same as the last one kept: the same plain data, the same
 * shape of shared references. A persisting actor whose timer fired but changed nothing (swim alone
 * on its gossip tick: 35 of 40 records in a row were byte-identical) then costs a walk of its
 * context instead of a detached copy, a post to the system thread, a parse there and the garbage
 * of both. The answer errs one way only: `false` whenever it is not sure (a prototype it does not
 * know, a different aliasing), so an unchanged snapshot may be persisted again, a changed one
 * never skipped.
 */
import { PLAIN_PROTOTYPES } from './snapshot-copy.ts'

/** a and b hold the same data (see the file comment); `a` is the live side, `b` the kept record. */
export function samePersisted(a: unknown, b: unknown): boolean {
  return same(a, b, new Map(), new Map())
}

/**
 * Deep equality with a bijection between the objects of both sides: an object of `a` met twice
 * must pair with the same object of `b` both times (and the reverse), so shared references and
 * cycles must have the same shape.
 */
function same(a: unknown, b: unknown, ab: Map<object, object>, ba: Map<object, object>): boolean {
  if (Object.is(a, b)) return typeof a !== 'object' || a === null || pair(a, a, ab, ba)
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return false
  const pa = Object.getPrototypeOf(a) as unknown
  if (pa !== Object.getPrototypeOf(b)) return false
  const seenA = ab.get(a)
  if (seenA !== undefined) return seenA === b
  if (ba.has(b)) return false
  if (!pair(a, b, ab, ba)) return false
  if (PLAIN_PROTOTYPES.has(pa)) return sameFields(a as Record<string, unknown>, b as Record<string, unknown>, ab, ba)
  if (ArrayBuffer.isView(a)) return sameBytes(a, b as ArrayBufferView)
  if (a instanceof ArrayBuffer) return sameBytes(new Uint8Array(a), new Uint8Array(b as ArrayBuffer))
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime())
  if (a instanceof Map) return sameEntries([...a], [...(b as Map<unknown, unknown>)], ab, ba)
  if (a instanceof Set) return sameEntries([...a], [...(b as Set<unknown>)], ab, ba)
  // Anything else (RegExp, boxed primitives, errors, a shared buffer): not sure, so not the same.
  return false
}

/** Records that `a` pairs with `b`; false if either side already paired with something else. */
function pair(a: object, b: object, ab: Map<object, object>, ba: Map<object, object>): boolean {
  const x = ab.get(a)
  const y = ba.get(b)
  if (x !== undefined || y !== undefined) return x === b && y === a
  ab.set(a, b)
  ba.set(b, a)
  return true
}

function sameFields(a: Record<string, unknown>, b: Record<string, unknown>, ab: Map<object, object>, ba: Map<object, object>): boolean {
  if (Array.isArray(a) && a.length !== (b as unknown as unknown[]).length) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!
    // Key order too: a restored object enumerates its keys in the kept record's order.
    if (k !== kb[i]) return false
    if (!same(a[k], b[k], ab, ba)) return false
  }
  return true
}

function sameEntries(a: unknown[], b: unknown[], ab: Map<object, object>, ba: Map<object, object>): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!same(a[i], b[i], ab, ba)) return false
  return true
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.byteLength !== b.byteLength) return false
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
  return true
}

/** Fields of a live XState machine snapshot that its persisted form leaves out or rebuilds. */
const NOT_PERSISTED: ReadonlySet<string> = new Set(['_nodes', 'tags', 'machine', 'children', 'context', 'can', 'hasTag', 'matches', 'getMeta', 'toJSON', 'historyValue'])

function isEmptyRecord(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0
}

/**
 * Whether XState's `getPersistedSnapshot(live)` would equal the kept record `kept`, decided without
 * building it (that walks the whole context, typed arrays byte by byte, for actor refs to replace).
 * Only for the common case, else false (and the caller builds the record and compares it): an
 * active machine without children or history, whose context is plain data (an actor ref in it is
 * not plain, so it counts as changed), with the same other fields (value, ...) as the record.
 */
export function unchangedLiveSnapshot(live: unknown, kept: unknown): boolean {
  if (typeof live !== 'object' || live === null || typeof kept !== 'object' || kept === null) return false
  const l = live as Record<string, unknown>
  const k = kept as Record<string, unknown>
  if (l['status'] !== 'active' || k['status'] !== 'active') return false
  if (!isEmptyRecord(l['children'] ?? {}) || !isEmptyRecord(k['children'])) return false
  if (!isEmptyRecord(l['historyValue'] ?? {}) || !isEmptyRecord(k['historyValue'])) return false
  const liveKeys = Object.keys(l).filter((key) => !NOT_PERSISTED.has(key))
  const keptKeys = Object.keys(k).filter((key) => key !== 'context' && key !== 'children' && key !== 'historyValue')
  if (liveKeys.length !== keptKeys.length) return false
  for (const key of liveKeys) if (!Object.hasOwn(k, key) || !samePersisted(l[key], k[key])) return false
  return samePersisted(l['context'], k['context'])
}
