/**
 * Detached copies of persisted snapshots. XState's `getPersistedSnapshot()` shares the context's
 * objects with the live actor, so a machine that updates its context in place would make the
 * "last good" snapshot follow the live state, and a crash would restore the crashed state. The
 * host keeps a structured clone instead (what crossing to a worker thread does anyway), and
 * restores from a copy of it, so the record stays as it was for the next crash too.
 *
 * structuredClone refuses functions and symbols, and silently turns a class instance into a plain
 * object (its methods gone after a restore). Both are refused here with a coded error that names
 * the actor and where in the snapshot the value sits.
 */
import { ClusterError } from '../errors/cluster-error.ts'

/** Thrown (at spawn) or reported as the actor's crash (at a later persist) when its snapshot cannot be copied. */
export class UncloneableSnapshotError extends ClusterError {
  static override name = 'UncloneableSnapshotError'
  constructor(actor: string, path: string, what: string, options: { cause?: unknown } = {}) {
    super(
      'ERR_ACTOR_SNAPSHOT_UNCLONEABLE',
      `actor "${actor}" cannot persist its snapshot: ${path} is ${what} (persisted context must be structured-cloneable plain data)`,
      { ...options, details: { actor, path, what } },
    )
  }
}

/** Prototypes structuredClone copies faithfully (typed arrays are checked with ArrayBuffer.isView). */
const CLONEABLE_PROTOTYPES = new Set<unknown>([
  null,
  Object.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  ArrayBuffer.prototype,
  SharedArrayBuffer.prototype,
  Boolean.prototype,
  Number.prototype,
  String.prototype,
  BigInt.prototype,
  Error.prototype,
  EvalError.prototype,
  RangeError.prototype,
  ReferenceError.prototype,
  SyntaxError.prototype,
  TypeError.prototype,
  URIError.prototype,
])

/**
 * findUncloneable returns where (a path such as `context.peers.get("a").send`) and what the first
 * value is that structuredClone would refuse or flatten, or undefined when everything copies.
 * Visits each object once (cycles and shared references are fine).
 */
export function findUncloneable(value: unknown, path = 'snapshot'): { path: string; what: string } | undefined {
  const seen = new Set<object>()
  const stack: Array<[unknown, string]> = [[value, path]]
  while (stack.length > 0) {
    const [v, at] = stack.pop()!
    if (typeof v === 'function') return { path: at, what: `a function${v.name ? ` (${v.name})` : ''}` }
    if (typeof v === 'symbol') return { path: at, what: 'a symbol' }
    if (v === null || typeof v !== 'object' || seen.has(v)) continue
    seen.add(v)
    if (ArrayBuffer.isView(v)) continue
    const proto = Object.getPrototypeOf(v) as unknown
    if (!CLONEABLE_PROTOTYPES.has(proto)) {
      const name = (proto as { constructor?: { name?: string } } | null)?.constructor?.name
      return { path: at, what: `a ${name || 'class'} instance` }
    }
    if (v instanceof Map) {
      let i = 0
      for (const [k, item] of v) {
        const key = typeof k === 'string' ? JSON.stringify(k) : `#${i}`
        stack.push([k, `${at}.keys()[${i}]`], [item, `${at}.get(${key})`])
        i++
      }
    } else if (v instanceof Set) {
      let i = 0
      for (const item of v) stack.push([item, `${at}.values()[${i++}]`])
    } else {
      for (const k of Object.keys(v)) stack.push([(v as Record<string, unknown>)[k], Array.isArray(v) ? `${at}[${k}]` : `${at}.${k}`])
    }
  }
  return undefined
}

/** Throws UncloneableSnapshotError if `snapshot` holds something structuredClone would refuse or flatten. */
export function assertCloneable(actor: string, snapshot: unknown): void {
  const bad = findUncloneable(snapshot)
  if (bad !== undefined) throw new UncloneableSnapshotError(actor, bad.path, bad.what)
}

/**
 * detachSnapshot returns a structured clone of `snapshot` that shares nothing with it, after
 * checking that the clone is faithful. Throws UncloneableSnapshotError otherwise.
 */
export function detachSnapshot(actor: string, snapshot: unknown): unknown {
  assertCloneable(actor, snapshot)
  try {
    return structuredClone(snapshot)
  } catch (err) {
    // Something the walk let through (e.g. a host object): still a coded error, never a crash.
    throw new UncloneableSnapshotError(actor, 'snapshot', `not cloneable (${(err as Error).message})`, { cause: err })
  }
}
