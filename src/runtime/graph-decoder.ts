/**
 * GraphDecoder: the system thread's half of a structure-sharing persist (see graph-encoder.ts).
 * One per worker thread incarnation: it keeps id -> rebuilt object for what that thread sent, and
 * rebuilds each record from the frame's new nodes and references to earlier ones. A replacement
 * thread gets a new decoder (its encoder starts from nothing and sends everything once), so ids of
 * a dead thread can never be confused with a new one's.
 *
 * Rebuilt objects are shared between consecutive records exactly as the actor's were, and frozen
 * (the records that share them must not change under each other). Dropping a freed id from the map
 * loses nothing a kept record needs: the record holds its objects by real reference.
 */
import { ClusterError } from '../errors/cluster-error.ts'
import { NODE_WIDTH, type GraphFrame } from './graph-frame.ts'

/** A frame that does not fit what this decoder was sent before (a runtime defect, not user input). */
export class GraphFrameError extends ClusterError {
  static override name = 'GraphFrameError'
  constructor(actor: string, reason: string) {
    super('ERR_PERSIST_FRAME_INVALID', `actor "${actor}": persisted record frame refused: ${reason}`, { details: { actor, reason } })
  }
}

export class GraphDecoder {
  readonly #objects = new Map<number, object>()

  constructor(readonly actor: string) {}

  /** Objects held for later references (what the worker still holds and had sent). */
  get size(): number {
    return this.#objects.size
  }

  /** The record `frame` stands for. Throws GraphFrameError (and keeps nothing of it) if it is malformed. */
  decode(frame: GraphFrame): unknown {
    const objects = this.#objects
    const nodes = frame.nodes
    const fresh = new Map<number, object>()
    const lookup = (id: unknown): object => {
      const o = fresh.get(id as number) ?? objects.get(id as number)
      if (o === undefined) throw new GraphFrameError(this.actor, `reference to unknown id ${String(id)}`)
      return o
    }
    if (nodes.length % NODE_WIDTH !== 0) throw new GraphFrameError(this.actor, `${nodes.length} node entries (not a multiple of ${NODE_WIDTH})`)
    // Shells first: a node may refer to one later in the frame (a cycle).
    for (let n = 0; n < nodes.length; n += NODE_WIDTH) {
      const id = nodes[n] as number
      const values = nodes[n + 2] as unknown[]
      if (fresh.has(id) || objects.has(id)) throw new GraphFrameError(this.actor, `id ${id} sent twice`)
      fresh.set(id, nodes[n + 1] === null ? new Array<unknown>(values.length) : {})
    }
    for (let n = 0; n < nodes.length; n += NODE_WIDTH) {
      const target = fresh.get(nodes[n] as number) as Record<string, unknown>
      const keys = nodes[n + 1] as string[] | null
      const values = nodes[n + 2] as unknown[]
      const refs = nodes[n + 3] as number[] | null
      if (refs !== null) for (const i of refs) values[i] = lookup(values[i])
      if (keys === null) {
        for (let i = 0; i < values.length; i++) (target as unknown as unknown[])[i] = values[i]
      } else {
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i]!
          // An own "__proto__" key stays a key (assignment would set the prototype).
          if (k === '__proto__') Object.defineProperty(target, k, { value: values[i], enumerable: true, writable: true, configurable: true })
          else target[k] = values[i]
        }
      }
    }
    const root = frame.rootIsRef ? lookup(frame.root) : frame.root
    for (const o of fresh.values()) Object.freeze(o)
    for (const [id, o] of fresh) objects.set(id, o)
    for (const id of frame.freed) objects.delete(id)
    return root
  }
}
