/**
 * MemberFeed: everything swim tells member-manager, in order, in as few messages as the mailbox
 * needs, and never more than it has room for.
 *
 * A push/pull merge of N nodes reports N node changes in one turn; sent one message each, a
 * 10,000-node merge overran member-manager's mailbox (2,048, refused past 4×) and its table never
 * caught up (issue 10). Here:
 * - node changes of one turn are batched into `member.nodes-changed` messages of at most
 *   MAX_NODE_CHANGES (a lone change still goes as its single `member.node-*` message); any other
 *   message to member-manager first closes the open batch, so member-manager sees swim's order;
 * - every message carries the feed's `seq` (1, 2, 3, ...), so member-manager can see a gap;
 * - with a runtime env (`whenReady`) each message waits until member-manager's mailbox is below its
 *   bound, so the feed itself never fills it past the bound, whatever its overflow policy; a send
 *   refused anyway (other senders filled it) is kept and sent again once there is room;
 * - what waits is bounded: past max(MIN_FEED_BOUND, 2 × swim's table) queued changes, the queued
 *   changes are replaced by one resync (the whole table as `state` changes, read when its turn
 *   comes), so the memory held is of the order of the table itself;
 * - `resync()` (member-manager saw a gap or was restored) queues the same.
 *
 * Tell-only and pure: no timers, no asks; the env's `send` and `whenReady` are the only effects.
 */
import type { ActorEnv, Message, SendStatus } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import type { MemberManagerInbound, NodeChange, NodeInfo, NodesChangedMsg } from '../member-manager/protocol.ts'
import { MAX_NODE_CHANGES } from '../member-manager/protocol.ts'

/** Changes the feed may hold at least before it collapses them into a resync (~1 MB of NodeInfo). */
export const MIN_FEED_BOUND = 4096

/** What the feed did (swim's context shows it as `memberFeed`). */
export interface MemberFeedStats {
  /** Messages handed to member-manager's mailbox (batches and single ones) and the node changes in them. */
  messages: number
  changes: number
  /** Sends the mailbox refused: kept and sent again once it had room (not lost). */
  deferred: number
  /**
   * Sends that found the mailbox at or past its bound (backpressure, drop-oldest, refused): the feed
   * then waited for room. It waits for room before every message anyway, so these are rare: they
   * mean other senders filled the mailbox meanwhile.
   */
  waits: number
  /** Resyncs sent: swim's whole table as `state` changes (asked for, or after a collapse). */
  resyncs: number
  /** Changes not sent one by one because the queue passed its bound: the next resync covers them. */
  collapsed: number
  /** Messages dropped because member-manager was unknown or stopped (also in swim's `undelivered`). */
  undelivered: number
  /** Changes and messages waiting now. */
  queued: number
}

type Item =
  /** A closed batch; `seq` once it was first offered (kept when the mailbox refused it). */
  | { k: 'changes'; changes: NodeChange[]; resync: boolean; seq?: number }
  | { k: 'message'; msg: MemberManagerInbound }
  /** A resync not started yet: the table is read when the feed reaches it. */
  | { k: 'resync' }

export interface MemberFeedSource {
  /** member-manager's actor id (read at each send: peers may be set after creation). */
  to(): string
  /** swim's node table now, as member-manager's NodeInfo (empty without a running node). */
  nodes(): NodeInfo[]
  /** How many nodes the table holds (sets the queue's bound). */
  tableSize(): number
  /** A message was dropped: no member-manager to take it. */
  undelivered(): void
}

export function createMemberFeed(env: Pick<ActorEnv, 'send' | 'whenReady'>, source: MemberFeedSource) {
  const stats: MemberFeedStats = { messages: 0, changes: 0, deferred: 0, waits: 0, resyncs: 0, collapsed: 0, undelivered: 0, queued: 0 }
  /** The batch of this turn, not closed yet. */
  let open: NodeChange[] = []
  const items: Item[] = []
  let head = 0
  /** Changes held in `open` and in queued batches; other messages and resync markers queued. */
  let heldChanges = 0
  let heldOther = 0
  let seq = 0
  /** A pump run is scheduled or waiting for room. */
  let running = false
  /** A resync marker is queued and not expanded: changes until then are covered by it. */
  let resyncQueued = false

  const bound = (): number => Math.max(MIN_FEED_BOUND, 2 * source.tableSize())

  const push = (it: Item): void => {
    if (it.k !== 'changes') heldOther++
    items.push(it)
  }

  const close = (): void => {
    if (open.length === 0) return
    push({ k: 'changes', changes: open, resync: false })
    open = []
  }

  const updateQueued = (): void => {
    stats.queued = heldChanges + heldOther
  }

  const schedule = (): void => {
    if (running) return
    running = true
    queueMicrotask(pump)
  }

  /** Replaces every queued batch by one resync at the end (messages keep their order). */
  const collapse = (): void => {
    close()
    let kept = head
    for (let i = head; i < items.length; i++) {
      const it = items[i]!
      if (it.k === 'changes') stats.collapsed += it.changes.length
      else if (it.k === 'message') items[kept++] = it
    }
    items.length = kept
    heldChanges = 0
    heldOther = kept - head
    push({ k: 'resync' })
    resyncQueued = true
  }

  /** The marker at the head becomes the table's batches of `state` changes (the first one flagged). */
  const expand = (): void => {
    resyncQueued = false
    heldOther--
    stats.resyncs++
    const nodes = source.nodes()
    const batches: Item[] = []
    for (let i = 0; i === 0 || i < nodes.length; i += MAX_NODE_CHANGES) {
      const changes = nodes.slice(i, i + MAX_NODE_CHANGES).map((node): NodeChange => ({ kind: 'state', node }))
      batches.push({ k: 'changes', changes, resync: i === 0 })
      heldChanges += changes.length
    }
    items.splice(head, 1, ...batches)
  }

  const messageOf = (it: Exclude<Item, { k: 'resync' }>): MemberManagerInbound => {
    if (it.k === 'message') return it.msg
    it.seq ??= ++seq
    const only = it.changes.length === 1 ? it.changes[0]! : undefined
    if (only !== undefined && only.kind !== 'state') {
      const type = only.kind === 'joined' ? 'member.node-joined' : only.kind === 'updated' ? 'member.node-updated' : 'member.node-left'
      return { type, node: only.node, seq: it.seq }
    }
    const batch: NodesChangedMsg = { type: 'member.nodes-changed', seq: it.seq, changes: it.changes }
    if (it.resync) batch.resync = true
    return batch
  }

  const shift = (): void => {
    const it = items[head]!
    if (it.k === 'changes') heldChanges -= it.changes.length
    else heldOther--
    items[head++] = undefined as unknown as Item
    if (head > 64 && head * 2 > items.length) {
      items.splice(0, head)
      head = 0
    }
  }

  /**
   * Offers the head item (a resync marker is expanded first). 'wait': the mailbox is at or past its
   * bound (a refused message stays at the head); 'next': it took the message, or nobody could
   * (unknown, stopped, or refused with no `whenReady` to wait on: dropped and counted).
   */
  const sendHead = (): 'next' | 'wait' => {
    let it = items[head]!
    if (it.k === 'resync') {
      expand()
      it = items[head]!
    }
    const msg = messageOf(it as Exclude<Item, { k: 'resync' }>)
    const status: SendStatus = env.send(actorAddress<Message>(source.to()), msg)
    switch (status) {
      case 'ok':
      case 'backpressure':
      case 'displaced':
        stats.messages++
        if (it.k === 'changes') stats.changes += it.changes.length
        shift()
        // At or over the bound (backpressure), or it dropped an older message (drop-oldest): wait.
        return status === 'ok' ? 'next' : 'wait'
      case 'rejected':
        if (env.whenReady !== undefined) {
          stats.deferred++
          return 'wait'
        }
        break
      default:
        break
    }
    // Nobody to take it (unknown, stopped; or refused with no way to wait): counted, dropped.
    stats.undelivered++
    source.undelivered()
    shift()
    return 'next'
  }

  /** Sends what is queued; with `whenReady`, one message per turn of room. */
  const pump = (): void => {
    close()
    const ready = env.whenReady
    if (ready === undefined) {
      while (head < items.length) sendHead()
      running = false
      updateQueued()
      return
    }
    updateQueued()
    if (head >= items.length) {
      running = false
      return
    }
    // Wait for room before each message: the feed never takes the mailbox past its bound itself.
    void ready(source.to()).then(step, step)
  }

  const step = (): void => {
    close()
    if (head >= items.length) {
      running = false
      updateQueued()
      return
    }
    if (sendHead() === 'wait') stats.waits++
    pump()
  }

  return {
    stats,

    /** A node change (memberlist NotifyJoin / NotifyUpdate / NotifyLeave), sent with the turn's others. */
    change(kind: NodeChange['kind'], node: NodeInfo): void {
      if (resyncQueued) {
        stats.collapsed++
        return
      }
      open.push({ kind, node })
      heldChanges++
      if (open.length >= MAX_NODE_CHANGES) close()
      if (heldChanges > bound()) collapse()
      schedule()
    },

    /**
     * Any other message to member-manager, after the changes before it. Without `whenReady` (a
     * hand-built env: nothing to wait for) it goes at once, with the changes still open.
     */
    message(msg: MemberManagerInbound): void {
      close()
      push({ k: 'message', msg })
      if (env.whenReady === undefined && !running) pump()
      else schedule()
    },

    /** member-manager asked for the whole table (a gap, a restore): queued once, behind what waits. */
    resync(): void {
      if (resyncQueued) return
      close()
      push({ k: 'resync' })
      resyncQueued = true
      schedule()
    },
  }
}

export type MemberFeed = ReturnType<typeof createMemberFeed>
