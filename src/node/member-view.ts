/**
 * The node's copy of the member list, kept from member-manager's `member.view-changed` events, so
 * `members()` (and the RPC `members` an agent answers) is read on the caller's thread instead of
 * an ask to member-manager's. Measured on a `gossamer agent` with every actor in its own thread
 * (bench:agents' pollCostMsPerPoll, K = 5): an ask cost about 1.9 ms of CPU per `members` reply,
 * half of it on member-manager's thread, against Serf's 0.2; the hop, not the list, is the cost.
 *
 * The copy is used only while it is known to be whole and recent enough; otherwise a read asks
 * member-manager as before and the reply (with its `viewSeq`) starts the copy over:
 * - before the first reply (nothing kept yet);
 * - after a gap in the events' numbering, or member-manager's (re)start or crash: its restored
 *   state numbers from its snapshot, so what came before says nothing about what comes next;
 * - after a write through this node (join, set-tags, leave, force-leave) until a read asks once:
 *   the write's reply and the events come on different channels (a worker's events may arrive
 *   after a reply to a later ask), so a read right after a write must not see the list from before
 *   it. The ask answers that read, as it did before this copy existed.
 * Between those, the copy may trail member-manager by the events still on their way, as an ask's
 * reply trails what member-manager handles after answering it.
 */
import type { Member, MemberViewChangedMsg, MembersReply } from '../../actors/member-manager/protocol.ts'

/** Counters of the copy (node stats' `memberView`). */
export interface MemberViewStats {
  /** Reads answered from the copy. */
  reads: number
  /** Reads that asked member-manager (see the file's header for when). */
  asks: number
  /** Events applied. */
  applied: number
  /** Gaps in the events' numbering, each of which made the next read ask. */
  gaps: number
  /** member-manager (re)starts and crashes seen, each of which made the next read ask. */
  resets: number
}

/** A copy callers may keep and change: nothing shared with the kept list. */
function copyOf(m: Member): Member {
  return { ...m, addr: m.addr.slice(), tags: { ...m.tags } }
}

export class MemberView {
  #members = new Map<string, Member>()
  /** The `seq` of the last event applied, or the `viewSeq` of the reply the copy was started from. */
  #seq = 0
  /** The copy is whole: started from a reply, every event since applied in order. */
  #whole = false
  /** Bumped by each write through the node; a read asks until an ask sent after the latest bump answers. */
  #writes = 0
  /** The `#writes` the copy is known to reflect. */
  #seenWrites = 0
  readonly stats: MemberViewStats = { reads: 0, asks: 0, applied: 0, gaps: 0, resets: 0 }

  /** The copy can answer a read now. */
  get usable(): boolean {
    return this.#whole && this.#seenWrites === this.#writes
  }

  /** Members in member-manager's order, as copies; undefined when the read must ask (then `fromReply`). */
  read(): Member[] | undefined {
    if (!this.usable) return undefined
    this.stats.reads++
    const out: Member[] = []
    for (const m of this.#members.values()) out.push(copyOf(m))
    return out
  }

  /** One `member.view-changed` event (in emit order). */
  apply(e: MemberViewChangedMsg): void {
    if (!this.#whole || e.seq <= this.#seq) return
    if (e.seq !== this.#seq + 1) {
      this.stats.gaps++
      this.#whole = false
      return
    }
    for (const name of e.removed) this.#members.delete(name)
    for (const m of e.set) this.#members.set(m.name, m)
    this.#seq = e.seq
    this.stats.applied++
  }

  /** A write went through the node: reads ask until one sent after it answers. */
  wrote(): void {
    this.#writes++
  }

  /** member-manager (re)started or crashed: its numbering starts over from its snapshot's. */
  reset(): void {
    this.stats.resets++
    this.#whole = false
  }

  /** Before an ask for a read: the token `fromReply` takes with its answer. */
  asking(): number {
    this.stats.asks++
    return this.#writes
  }

  /**
   * The reply of an ask made with `token`: the copy starts over from it unless the copy is whole and
   * already past it (events that came before the reply). The reply's list answers the read either way.
   */
  fromReply(token: number, reply: Pick<MembersReply, 'members' | 'viewSeq'>): void {
    const seq = reply.viewSeq
    if (seq === undefined) return
    if (!this.#whole || seq > this.#seq) {
      this.#members = new Map(reply.members.map((m) => [m.name, copyOf(m)]))
      this.#seq = seq
      this.#whole = true
    }
    if (token > this.#seenWrites) this.#seenWrites = token
  }
}

/** What keepMemberView subscribes to: member-manager's ref and the system's lifecycle events. */
export interface MemberViewSources {
  memberManager: { id: string; on(type: 'member.view-changed', handler: (e: MemberViewChangedMsg) => void): () => void }
  system: { on(listener: (event: { type: string; actor?: string }) => void): () => void }
}

/** A MemberView fed from member-manager's events until `stop()`; subscribe before `system.sync()`. */
export function keepMemberView({ memberManager, system }: MemberViewSources): { view: MemberView; stop(): void } {
  const view = new MemberView()
  const offEvents = memberManager.on('member.view-changed', (e) => view.apply(e))
  const offSystem = system.on((e) => {
    if ((e.type === 'actor.started' || e.type === 'actor.crashed') && e.actor === memberManager.id) view.reset()
  })
  return {
    view,
    stop: () => {
      offEvents()
      offSystem()
    },
  }
}
