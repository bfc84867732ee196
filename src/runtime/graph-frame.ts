/**
 * The wire shape of a structure-sharing persist (graph-encoder.ts on the worker thread,
 * graph-decoder.ts on the system thread): an immutable record is sent as the plain objects and
 * arrays the system thread has not seen yet, each under a numeric id; one seen before is a
 * reference by its id. Everything else (primitives, typed arrays, Maps, Dates, ...) rides inside
 * its node and is cloned by postMessage as it was before.
 */

/**
 * One object or array, as four consecutive entries of `GraphFrame.nodes`: its id; `keys`, null for
 * an array (then `values` are its elements), else the object's own enumerable keys in order, with
 * `values` beside them; `refs`, the indexes in `values` that hold the id of another node instead of
 * a value (null: none). Objects of one shape share one `keys` array within a frame, so the
 * serializer writes their key strings once (a back-reference after that).
 */
/** Entries per node in `GraphFrame.nodes` (id, keys, values, refs). */
export const NODE_WIDTH = 4

export interface GraphFrame {
  /** The record itself: the id of its node, or (not a plain object or array) the value. */
  root: unknown
  /** Whether `root` is an id (true) or the value itself (false). */
  rootIsRef: boolean
  /** The nodes not sent before, flat (NODE_WIDTH entries each: one array, not one per node), children before parents (except along a cycle). */
  nodes: unknown[]
  /** Ids whose objects the worker has collected: it never refers to them again. */
  freed: number[]
}
