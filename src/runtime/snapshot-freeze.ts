/**
 * Checking the promise of `persist: { immutable: true }` (see persist-options.ts): the host keeps such a
 * record by reference, so a machine that later writes into its context in place would change the
 * "last good" record behind the supervisor's back, and a crash would restore the crashed state.
 * Where checking is on (tests), every persisted record is deep-frozen: a write into it then throws
 * in the machine, and the host reports that crash as MutatedSnapshotError. The same walk refuses what
 * a detached copy would refuse (functions, symbols, class instances: an actor ref among them) with
 * UncloneableSnapshotError, so a record kept by reference is the plain data a copy would have been.
 *
 * Limits, because the language has them: the bytes of a typed array or ArrayBuffer cannot be frozen
 * (they are left writable), and a frozen Map or Set still takes `set`/`add`/`delete` (their entries
 * are frozen, the collection is not). Walks are incremental: what an earlier record froze is skipped,
 * so with structural sharing a persist walks only what changed since the last one.
 */
import { ClusterError } from '../errors/cluster-error.ts'
import { CLONEABLE_PROTOTYPES, PLAIN_PROTOTYPES, UncloneableSnapshotError } from './snapshot-copy.ts'

/** An actor declared `persist.immutable` wrote into its persisted context in place. */
export class MutatedSnapshotError extends ClusterError {
  static override name = 'MutatedSnapshotError'
  constructor(actor: string, options: { cause?: unknown } = {}) {
    const why = options.cause instanceof Error ? options.cause.message : String(options.cause)
    super(
      'ERR_ACTOR_SNAPSHOT_MUTATED',
      `actor "${actor}" declares persist.immutable but changed its persisted context in place (${why}); build new objects instead`,
      { ...options, details: { actor } },
    )
  }
}

/** Objects deep-frozen by an earlier walk: their whole reach is frozen already. */
const frozenDeep = new WeakSet<object>()

class Refused {
  readonly path: string[] = []
  constructor(readonly what: string) {}
}

function freezeWalk(v: unknown): void {
  if (typeof v === 'function') throw new Refused(`a function${v.name ? ` (${v.name})` : ''}`)
  if (typeof v === 'symbol') throw new Refused('a symbol')
  if (v === null || typeof v !== 'object' || frozenDeep.has(v)) return
  // Marked first: a cycle ends here (unmarked again if something below is refused).
  frozenDeep.add(v)
  try {
    freezeChildren(v)
  } catch (e) {
    frozenDeep.delete(v)
    throw e
  }
}

/** Walks what `v` holds, then freezes `v` itself (after its children: a refusal leaves it as it was). */
function freezeChildren(v: object): void {
  const proto = Object.getPrototypeOf(v) as unknown
  const step = (label: string, item: unknown): void => {
    try {
      freezeWalk(item)
    } catch (e) {
      if (e instanceof Refused) e.path.unshift(label)
      throw e
    }
  }
  if (PLAIN_PROTOTYPES.has(proto)) {
    const isArray = Array.isArray(v)
    for (const k of Object.keys(v)) step(isArray ? `[${k}]` : `.${k}`, (v as Record<string, unknown>)[k])
  } else if (v instanceof Map && proto === Map.prototype) {
    let i = 0
    for (const [k, item] of v) {
      step(`.keys()[${i}]`, k)
      step(`.get(${typeof k === 'string' ? JSON.stringify(k) : `#${i}`})`, item)
      i++
    }
  } else if (v instanceof Set && proto === Set.prototype) {
    let i = 0
    for (const item of v) step(`.values()[${i++}]`, item)
  } else if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer || ArrayBuffer.isView(v)) {
    // Bytes cannot be frozen (Object.freeze refuses a view with elements).
    return
  } else if (!CLONEABLE_PROTOTYPES.has(proto)) {
    throw new Refused(`a ${(proto as { constructor?: { name?: string } } | null)?.constructor?.name || 'class'} instance`)
  }
  Object.freeze(v)
}

/**
 * Deep-freezes `snapshot` (a persisted record kept by reference) and checks it is plain data.
 * Throws UncloneableSnapshotError naming the path of the first value that is not.
 */
export function freezeSnapshot(actor: string, snapshot: unknown): void {
  try {
    freezeWalk(snapshot)
  } catch (e) {
    if (e instanceof Refused) throw new UncloneableSnapshotError(actor, 'snapshot' + e.path.join(''), e.what)
    throw e
  }
}

/**
 * Whether `err` is what V8 throws for a write into a frozen object in strict code (every ES module
 * is): assigning a read-only property, adding to or deleting from a non-extensible object.
 */
export function isFrozenWrite(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    /Cannot assign to read only property|object is not extensible|Cannot delete property|Cannot (add|define) property|Cannot redefine property/.test(err.message)
  )
}
