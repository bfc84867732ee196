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

/** Prototypes whose instances are copied field by field (plain data). */
export const PLAIN_PROTOTYPES: ReadonlySet<unknown> = new Set<unknown>([null, Object.prototype, Array.prototype])
const PLAIN = PLAIN_PROTOTYPES
/** Other prototypes structuredClone copies faithfully; copied here by structuredClone itself (rare in contexts). */
export const CLONEABLE_PROTOTYPES: ReadonlySet<unknown> = new Set<unknown>([
  Date.prototype,
  RegExp.prototype,
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

/** Where and what the first value is that cannot be copied; `path` is filled in on the way out. */
class Refused {
  readonly path: string[] = []
  constructor(readonly what: string) {}
}

/**
 * copyPlain copies a value as structuredClone would (plain objects and arrays field by field,
 * Map and Set entry by entry, shared references and cycles kept, a SharedArrayBuffer shared),
 * and refuses what structuredClone refuses or flattens. In JS because persisting runs every turn:
 * for a small context this is several times cheaper than structuredClone's serialize + parse.
 * A typed array is copied as its own bytes (a fresh buffer), not with the whole buffer behind it.
 */
function copyPlain(v: unknown, seen: Map<object, unknown>): unknown {
  if (typeof v === 'function') throw new Refused(`a function${v.name ? ` (${v.name})` : ''}`)
  if (typeof v === 'symbol') throw new Refused('a symbol')
  if (v === null || typeof v !== 'object') return v
  const done = seen.get(v)
  if (done !== undefined) return done
  const proto = Object.getPrototypeOf(v) as unknown
  if (PLAIN.has(proto)) {
    const isArray = Array.isArray(v)
    const out: Record<string, unknown> = isArray ? new Array<unknown>((v as unknown[]).length) as never : {}
    seen.set(v, out)
    for (const k of Object.keys(v)) {
      try {
        const item = copyPlain((v as Record<string, unknown>)[k], seen)
        // An own `__proto__` key stays a key (an assignment would set the prototype).
        if (k === '__proto__') Object.defineProperty(out, k, { value: item, enumerable: true, writable: true, configurable: true })
        else out[k] = item
      } catch (e) {
        if (e instanceof Refused) e.path.unshift(isArray ? `[${k}]` : `.${k}`)
        throw e
      }
    }
    return out
  }
  if (v instanceof Map && proto === Map.prototype) {
    const out = new Map<unknown, unknown>()
    seen.set(v, out)
    let i = 0
    for (const [k, item] of v) {
      let step = `.keys()[${i}]`
      try {
        const key = copyPlain(k, seen)
        step = `.get(${typeof k === 'string' ? JSON.stringify(k) : `#${i}`})`
        out.set(key, copyPlain(item, seen))
      } catch (e) {
        if (e instanceof Refused) e.path.unshift(step)
        throw e
      }
      i++
    }
    return out
  }
  if (v instanceof Set && proto === Set.prototype) {
    const out = new Set<unknown>()
    seen.set(v, out)
    let i = 0
    for (const item of v) {
      try {
        out.add(copyPlain(item, seen))
      } catch (e) {
        if (e instanceof Refused) e.path.unshift(`.values()[${i}]`)
        throw e
      }
      i++
    }
    return out
  }
  let out: unknown
  if (v instanceof SharedArrayBuffer) out = v
  else if (v instanceof ArrayBuffer) out = v.slice(0)
  else if (v instanceof DataView) out = new DataView(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))
  else if (ArrayBuffer.isView(v)) out = new (typedArrayBase(v))(v as never)
  else if (CLONEABLE_PROTOTYPES.has(proto)) out = structuredClone(v)
  else throw new Refused(`a ${(proto as { constructor?: { name?: string } } | null)?.constructor?.name || 'class'} instance`)
  seen.set(v, out)
  return out
}

/** The built-in typed array a view (a Node Buffer included) is copied as. */
function typedArrayBase(v: ArrayBufferView): new (src: ArrayLike<number> & ArrayLike<bigint>) => ArrayBufferView {
  let p = Object.getPrototypeOf(v) as { constructor: new (src: never) => ArrayBufferView }
  // Up to the direct child of %TypedArray% (Buffer -> Uint8Array).
  while (Object.getPrototypeOf(Object.getPrototypeOf(p)) !== Object.prototype) p = Object.getPrototypeOf(p)
  return p.constructor as never
}

/**
 * findUncloneable returns where (a path such as `snapshot.context.peers[1].send`) and what the
 * first value is that structuredClone would refuse or flatten, or undefined when everything copies.
 */
export function findUncloneable(value: unknown, path = 'snapshot'): { path: string; what: string } | undefined {
  try {
    copyPlain(value, new Map())
    return undefined
  } catch (e) {
    if (e instanceof Refused) return { path: path + e.path.join(''), what: e.what }
    return { path, what: `not cloneable (${(e as Error).message})` }
  }
}

/** Throws UncloneableSnapshotError if `snapshot` holds something structuredClone would refuse or flatten. */
export function assertCloneable(actor: string, snapshot: unknown): void {
  detachSnapshot(actor, snapshot)
}

/**
 * detachSnapshot returns a copy of `snapshot` that shares nothing mutable with it (what
 * structuredClone would give). Throws UncloneableSnapshotError if a value cannot be copied faithfully.
 */
export function detachSnapshot(actor: string, snapshot: unknown): unknown {
  try {
    return copyPlain(snapshot, new Map())
  } catch (e) {
    if (e instanceof Refused) throw new UncloneableSnapshotError(actor, 'snapshot' + e.path.join(''), e.what)
    // A value structuredClone itself refused: still a coded error, never a crash.
    throw new UncloneableSnapshotError(actor, 'snapshot', `not cloneable (${(e as Error).message})`, { cause: e })
  }
}
