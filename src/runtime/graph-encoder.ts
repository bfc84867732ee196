/**
 * GraphEncoder: the worker thread's half of a structure-sharing persist (the system thread's half
 * is graph-decoder.ts, the wire shape graph-frame.ts). An actor with `persist.immutable` builds
 * each new context from the last one, sharing what did not change (a member table's hash trie
 * copies one path per write). Posting the whole record at every persist is one structured clone
 * of everything (1-4 s at 100,000 members, serialized in the actor's thread, a stall of the actor);
 * this sends only the plain objects and arrays not sent before, and refers to the others by id.
 *
 * Why an id stands for its object's content forever: every object sent is frozen as it is sent
 * (children first). `persist.immutable` promises no in-place write; freezing holds the machine to
 * it (a write then throws in the machine: its crash, restarted from the last record), where
 * otherwise the system thread's copy would silently stop matching the actor's state.
 *
 * Ids are forgotten when their objects are: a WeakMap keeps object -> id without keeping the
 * object alive, and a FinalizationRegistry reports each collected object's id, which the next
 * frame carries in `freed`. The system thread's map (id -> rebuilt object) thus holds what this
 * thread still holds and had sent, plus what it collected and the registry has not reported yet:
 * bounded by the worker's heap (its resourceLimits), never by the number of persists.
 *
 * A frame is built, then posted; a post that fails (a function somewhere in the record: postMessage
 * refuses it) is rolled back (`abort`), so ids the system thread never received are never referred to.
 * Recursion follows the record's depth (a 3-level trie, a member record: shallow); a record nested
 * deeper than the stack is refused by the caller as an uncloneable snapshot.
 */
import type { GraphFrame } from './graph-frame.ts'

/** Plain data this encoder shares: objects of Object.prototype or null, and ordinary arrays. */
function isPlain(v: unknown): v is object {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v) as unknown
  if (Array.isArray(v)) return proto === Array.prototype
  return proto === Object.prototype || proto === null
}

export interface GraphEncoderStats {
  /** Objects sent and not yet reported collected (the system thread's map holds as many). */
  live: number
  /** Nodes sent in all frames. */
  sent: number
  /** Ids reported freed. */
  freed: number
}

export class GraphEncoder {
  #ids = new WeakMap<object, number>()
  #next = 1
  #freed: number[] = []
  #registry = new FinalizationRegistry<number>((id) => {
    this.#freed.push(id)
  })
  /** The frame being built and not yet committed: its new objects (ids tentative). */
  #added: object[] = []
  #nodes: unknown[] = []
  /** This frame's keys arrays by shape (cleared per frame: bounded by the frame's own nodes). */
  #shapes = new Map<string, string[]>()
  readonly stats: GraphEncoderStats = { live: 0, sent: 0, freed: 0 }

  /**
   * The frame for `record`: its nodes not sent before, and the ids freed since the last frame.
   * Call `commit()` once the frame is posted, or `abort()` if it was not.
   */
  encode(record: unknown): GraphFrame {
    if (this.#added.length > 0) this.abort()
    this.#nodes = []
    this.#shapes.clear()
    const rootIsRef = isPlain(record)
    const root = rootIsRef ? this.#ref(record) : record
    const freed = this.#freed
    this.#freed = []
    this.#shapes.clear()
    return { root, rootIsRef, nodes: this.#nodes, freed }
  }

  /** The last frame reached the system thread: its objects are known there by their ids. */
  commit(frame: GraphFrame): void {
    for (const v of this.#added) this.#registry.register(v, this.#ids.get(v)!)
    this.stats.live += this.#added.length - frame.freed.length
    this.stats.sent += this.#added.length
    this.stats.freed += frame.freed.length
    this.#added = []
    this.#nodes = []
  }

  /** The last frame was not posted: its new ids are forgotten, its freed ids go with the next one. */
  abort(frame?: GraphFrame): void {
    for (const v of this.#added) this.#ids.delete(v)
    this.#added = []
    this.#nodes = []
    if (frame !== undefined) this.#freed = frame.freed.concat(this.#freed)
  }

  #ref(v: object): number {
    const known = this.#ids.get(v)
    if (known !== undefined) return known
    const id = this.#next++
    // Before the children: a cycle back to `v` becomes a reference to it.
    this.#ids.set(v, id)
    this.#added.push(v)
    let keys: string[] | null
    let values: unknown[]
    if (Array.isArray(v)) {
      keys = null
      values = new Array<unknown>(v.length)
      for (let i = 0; i < v.length; i++) values[i] = v[i]
    } else {
      const own = Object.keys(v)
      values = new Array<unknown>(own.length)
      for (let i = 0; i < own.length; i++) values[i] = (v as Record<string, unknown>)[own[i]!]
      const shape = own.join('\u0000')
      keys = this.#shapes.get(shape) ?? own
      if (keys === own) this.#shapes.set(shape, own)
    }
    let refs: number[] | null = null
    for (let i = 0; i < values.length; i++) {
      const x = values[i]
      if (isPlain(x)) {
        values[i] = this.#ref(x)
        ;(refs ??= []).push(i)
      }
    }
    Object.freeze(v)
    this.#nodes.push(id, keys, values, refs)
    return id
  }
}
