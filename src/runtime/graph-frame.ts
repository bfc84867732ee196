/**
 * The wire shape of a structure-sharing persist (graph-encoder.ts on the worker thread,
 * graph-decoder.ts on the system thread): an immutable record is sent as the plain objects and
 * arrays the system thread has not seen yet, each under a numeric id; one seen before is a
 * reference by its id. Everything else (primitives, typed arrays, Maps, Dates, ...) rides inside
 * its node and is cloned by postMessage as it was before.
 */

/**
 * One object or array: `keys` null for an array (then `values` are its elements), else the
 * object's own enumerable keys in order with `values` beside them. `refs`: the indexes in `values`
 * that hold the id of another node instead of a value (null: none).
 */
export type GraphNode = [id: number, keys: string[] | null, values: unknown[], refs: number[] | null]

export interface GraphFrame {
  /** The record itself: the id of its node, or (not a plain object or array) the value. */
  root: unknown
  /** Whether `root` is an id (true) or the value itself (false). */
  rootIsRef: boolean
  /** The nodes not sent before, children before parents (except along a cycle). */
  nodes: GraphNode[]
  /** Ids whose objects the worker has collected: it never refers to them again. */
  freed: number[]
}
