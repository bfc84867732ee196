/**
 * memberlist's node table and its rules (spec §4.6): alive / suspect / dead / left with incarnation
 * numbers, refutation of rumours about ourselves, and the push/pull merge (§2.2). Pure: the caller
 * passes the time and owns every timer; each operation returns an outcome saying what to broadcast,
 * which event to report and which suspicion deadline to (re-)arm.
 */
import type { AliveMsg, DeadMsg, NodeStateKind, PushNodeState, SuspectMsg } from './messages.ts'
import { bytesEqual } from './messages.ts'
import { aliveRefusal, deadRefusal, MAX_INCARNATION, suspectRefusal } from './acceptance.ts'
import { ProbeList } from './probe-list.ts'
import type { Random } from './probe-list.ts'
import { Suspicion, suspicionBounds } from './suspicion.ts'

export interface NodeRecord {
  name: string
  addr: Uint8Array
  port: number
  meta: Uint8Array
  vsn: Uint8Array
  incarnation: number
  state: NodeStateKind
  /** When `state` last changed (ms, the caller's clock). */
  stateChangeMs: number
}

/** What the caller must do after applying a message. */
export type NodeEvent =
  | { kind: 'join'; node: NodeRecord }
  | { kind: 'update'; node: NodeRecord }
  | { kind: 'leave'; node: NodeRecord }

export type Broadcast =
  | { type: 'alive'; msg: AliveMsg }
  | { type: 'suspect'; msg: SuspectMsg }
  | { type: 'dead'; msg: DeadMsg }

export interface Outcome {
  /**
   * 'ignored' carries the reason (memberlist's rules said no); 'refused' too (the message breaks
   * what swim accepts, acceptance.ts, or we cannot refute it: the caller counts it); 'refuted'
   * means the rumour was about us and we answered.
   */
  result: 'accepted' | 'ignored' | 'refused' | 'refuted' | 'conflict' | 'confirmed'
  reason?: string
  broadcast?: Broadcast
  event?: NodeEvent
  /** Arm (or re-arm) the suspicion timer of `node` to fire at `deadlineMs`. */
  suspicion?: { node: string; deadlineMs: number; startMs: number }
  /** Cancel any suspicion timer of this node. */
  cancelSuspicion?: string
  /** For 'conflict': the record we kept. */
  existing?: NodeRecord
  /** For 'conflict': the claim we refused (the name at another address), whichever path brought it. */
  other?: { node: string; addr: Uint8Array; port: number }
  /** For 'refuted': the message about us that we answered, and its accuser (suspect and dead carry one). */
  refutes?: { message: 'alive' | 'suspect' | 'dead'; from?: string }
}

export interface NodeTableOptions {
  self: { name: string; addr: Uint8Array; port: number; meta: Uint8Array; vsn: Uint8Array }
  random: Random
  suspicionMult: number
  suspicionMaxTimeoutMult: number
  probeIntervalMs: number
  /** See SwimConfig.staleSuspicionRefresh. */
  staleSuspicionRefresh?: boolean
  /** See SwimConfig.deadNodeReclaimTimeMs (0 or absent: never). */
  deadNodeReclaimTimeMs?: number
  /**
   * The largest message we can gossip, in bytes (acceptance.ts maxBroadcastBytes): a message whose
   * re-broadcast would not fit a packet is refused. Default: memberlist's 1,400-byte UDP buffer,
   * plaintext (1,396).
   */
  maxMessageBytes?: number
}

/** The refusal reason when a rumour about us is at an incarnation we cannot go above. */
export const INCARNATION_EXHAUSTED = `cannot refute: our incarnation would pass ${MAX_INCARNATION} (a Go uint32)`

const DEFAULT_MAX_MESSAGE_BYTES = 1396

const ignored = (reason: string): Outcome => ({ result: 'ignored', reason })
const refused = (reason: string): Outcome => ({ result: 'refused', reason })

export class NodeTable {
  private readonly nodes = new Map<string, NodeRecord>()
  private readonly suspicions = new Map<string, Suspicion>()
  readonly probeList: ProbeList
  private leaving = false

  constructor(private readonly options: NodeTableOptions, nowMs: number) {
    this.probeList = new ProbeList(options.random)
    const s = options.self
    // Our own incarnation starts at 1: an alive with 0 about an unknown node is ignored (spec §4.6).
    const self: NodeRecord = { ...s, incarnation: 1, state: 'alive', stateChangeMs: nowMs }
    this.nodes.set(s.name, self)
    this.probeList.insert(s.name)
  }

  get selfName(): string {
    return this.options.self.name
  }

  self(): NodeRecord {
    return this.nodes.get(this.options.self.name)!
  }

  get(name: string): NodeRecord | undefined {
    return this.nodes.get(name)
  }

  size(): number {
    return this.nodes.size
  }

  records(): IterableIterator<NodeRecord> {
    return this.nodes.values()
  }

  isLeaving(): boolean {
    return this.leaving
  }

  /** Running suspicions (one per suspect node). */
  suspicionCount(): number {
    return this.suspicions.size
  }

  suspicionOf(name: string): Suspicion | undefined {
    return this.suspicions.get(name)
  }

  /** Our own alive message (what we broadcast on join, refutation and update). */
  selfAlive(): AliveMsg {
    const s = this.self()
    return { incarnation: s.incarnation, node: s.name, addr: s.addr, port: s.port, meta: s.meta, vsn: s.vsn }
  }

  /**
   * Updates our Meta (Serf tags) with a fresh incarnation; returns the alive to broadcast. At the
   * u32 limit the incarnation stays (peers then ignore the update; nothing can be sent above it).
   */
  updateSelfMeta(meta: Uint8Array): AliveMsg {
    const s = this.self()
    s.meta = meta
    if (s.incarnation < MAX_INCARNATION) s.incarnation++
    return this.selfAlive()
  }

  private get maxMessageBytes(): number {
    return this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  }

  /**
   * Applies an alive message (spec §4.6), once it passes what swim accepts (acceptance.ts): a
   * refused one changes nothing, not even memberlist's placeholder for an unknown name.
   */
  alive(a: AliveMsg, nowMs: number): Outcome {
    const refusal = aliveRefusal(a, this.maxMessageBytes)
    if (refusal !== undefined) return refused(refusal)
    const isSelf = a.node === this.selfName
    if (this.leaving && isSelf) return ignored('we are leaving')

    let node = this.nodes.get(a.node)
    let addressChange = false
    if (node === undefined) {
      // Placeholder in state dead with incarnation 0, inserted at a random probe position.
      node = { name: a.node, addr: a.addr, port: a.port, meta: a.meta, vsn: a.vsn, incarnation: 0, state: 'dead', stateChangeMs: nowMs }
      this.nodes.set(a.node, node)
      this.probeList.insert(a.node)
    } else if (!bytesEqual(node.addr, a.addr) || node.port !== a.port) {
      const reclaimMs = this.options.deadNodeReclaimTimeMs ?? 0
      const reclaimable = node.state === 'dead' && reclaimMs > 0 && nowMs - node.stateChangeMs > reclaimMs
      if (node.state === 'left' || reclaimable) {
        addressChange = true
      } else {
        return { result: 'conflict', reason: 'conflicting address', existing: node, other: { node: a.node, addr: a.addr, port: a.port } }
      }
    }

    if (isSelf) {
      if (a.incarnation < node.incarnation) return ignored('old incarnation about us')
      if (a.incarnation === node.incarnation && bytesEqual(a.meta, node.meta) && bytesEqual(a.vsn, node.vsn)) {
        return ignored('our own alive')
      }
      return this.refute(a.incarnation, { message: 'alive' })
    }
    if (a.incarnation <= node.incarnation && !addressChange) return ignored('old incarnation')

    const cancel = this.suspicions.delete(a.node) ? a.node : undefined
    const oldState = node.state
    const oldMeta = node.meta
    node.incarnation = a.incarnation
    // Keep the arrays we hold when the bytes are the same (most alives are refutations that change
    // only the incarnation): a 1,000-node table otherwise holds three fresh arrays per refutation.
    if (!bytesEqual(node.meta, a.meta)) node.meta = a.meta
    if (!bytesEqual(node.addr, a.addr)) node.addr = a.addr
    node.port = a.port
    if (!bytesEqual(node.vsn, a.vsn)) node.vsn = a.vsn
    if (node.state !== 'alive') {
      node.state = 'alive'
      node.stateChangeMs = nowMs
    }
    const out: Outcome = { result: 'accepted', broadcast: { type: 'alive', msg: a } }
    if (cancel !== undefined) out.cancelSuspicion = cancel
    if (oldState === 'dead' || oldState === 'left') out.event = { kind: 'join', node }
    else if (!bytesEqual(oldMeta, a.meta)) out.event = { kind: 'update', node }
    return out
  }

  /** Applies a suspect message (spec §4.6); confirmations shrink a running suspicion (§4.5). */
  suspect(s: SuspectMsg, nowMs: number): Outcome {
    const refusal = suspectRefusal(s, this.maxMessageBytes)
    if (refusal !== undefined) return refused(refusal)
    const node = this.nodes.get(s.node)
    if (node === undefined) return ignored('unknown node')
    if (s.incarnation < node.incarnation) return ignored('old incarnation')

    let running = this.suspicions.get(s.node)
    if (running !== undefined && this.options.staleSuspicionRefresh === true && s.incarnation > node.incarnation && node.state === 'suspect') {
      // The accused refuted our suspicion (an alive above it exists): what we would hold had that
      // alive reached us is a fresh suspicion at the new incarnation, not a confirmation of the old.
      this.suspicions.delete(s.node)
      node.state = 'alive'
      running = undefined
    }
    if (running !== undefined) {
      if (!running.confirm(s.from)) return ignored('duplicate confirmation')
      return {
        result: 'confirmed',
        broadcast: { type: 'suspect', msg: s },
        suspicion: { node: s.node, deadlineMs: running.deadlineMs(), startMs: running.startMs },
      }
    }
    if (node.state !== 'alive') return ignored(`node is ${node.state}`)
    if (s.node === this.selfName) return this.refute(s.incarnation, { message: 'suspect', from: s.from })

    node.incarnation = s.incarnation
    node.state = 'suspect'
    node.stateChangeMs = nowMs
    const bounds = suspicionBounds(this.nodes.size, this.options.suspicionMult, this.options.suspicionMaxTimeoutMult, this.options.probeIntervalMs)
    const suspicion = new Suspicion(s.from, nowMs, bounds)
    this.suspicions.set(s.node, suspicion)
    return {
      result: 'accepted',
      broadcast: { type: 'suspect', msg: s },
      suspicion: { node: s.node, deadlineMs: suspicion.deadlineMs(), startMs: nowMs },
    }
  }

  /** Applies a dead message (spec §4.6). `from === node` is a graceful leave → state left. */
  dead(d: DeadMsg, nowMs: number): Outcome {
    const refusal = deadRefusal(d, this.maxMessageBytes)
    if (refusal !== undefined) return refused(refusal)
    const node = this.nodes.get(d.node)
    if (node === undefined) return ignored('unknown node')
    if (d.incarnation < node.incarnation) return ignored('old incarnation')
    const cancel = this.suspicions.delete(d.node) ? d.node : undefined
    if (node.state === 'dead' || node.state === 'left') {
      const out = ignored(`node is already ${node.state}`)
      if (cancel !== undefined) out.cancelSuspicion = cancel
      return out
    }
    if (d.node === this.selfName && !this.leaving) {
      const out = this.refute(d.incarnation, { message: 'dead', from: d.from })
      if (cancel !== undefined) out.cancelSuspicion = cancel
      return out
    }
    node.incarnation = d.incarnation
    node.state = d.from === d.node ? 'left' : 'dead'
    node.stateChangeMs = nowMs
    const out: Outcome = { result: 'accepted', broadcast: { type: 'dead', msg: d }, event: { kind: 'leave', node } }
    if (cancel !== undefined) out.cancelSuspicion = cancel
    return out
  }

  /**
   * The suspicion timer of `name` fired. If the node is still suspect since `startMs`, it is
   * declared dead by us (From = self); otherwise the timer was stale.
   */
  suspicionExpired(name: string, startMs: number, nowMs: number): Outcome {
    const node = this.nodes.get(name)
    if (node === undefined || node.state !== 'suspect' || node.stateChangeMs !== startMs) return ignored('stale suspicion timer')
    return this.dead({ incarnation: node.incarnation, node: name, from: this.selfName }, nowMs)
  }

  /** Graceful leave (spec §4.6): mark ourselves leaving and process dead{self, From: self}. */
  leave(nowMs: number): Outcome {
    this.leaving = true
    const s = this.self()
    return this.dead({ incarnation: s.incarnation, node: s.name, from: s.name }, nowMs)
  }

  /**
   * Push/pull merge (spec §2.2): alive → alive rules; left → dead with From = Name; dead or suspect
   * → suspect with From = self (a push/pull never kills a node directly). Each entry is screened as
   * the message it becomes (acceptance.ts), so a push/pull cannot bring in what a packet could not.
   */
  merge(remote: readonly PushNodeState[], nowMs: number): Outcome[] {
    const out: Outcome[] = []
    for (const r of remote) {
      switch (r.state) {
        case 'alive':
          out.push(this.alive({ incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn }, nowMs))
          break
        case 'left':
          out.push(this.dead({ incarnation: r.incarnation, node: r.name, from: r.name }, nowMs))
          break
        case 'dead':
        case 'suspect':
          out.push(this.suspect({ incarnation: r.incarnation, node: r.name, from: this.selfName }, nowMs))
          break
      }
    }
    return out
  }

  /** Our side of a push/pull: every node in the table, suspect/dead/left included. */
  localState(): PushNodeState[] {
    const out: PushNodeState[] = []
    for (const n of this.nodes.values()) {
      out.push({ name: n.name, addr: n.addr, port: n.port, meta: n.meta, incarnation: n.incarnation, state: n.state, vsn: n.vsn })
    }
    return out
  }

  /**
   * Called when the probe index wraps (memberlist resetNodes): removes dead/left nodes whose state
   * changed more than `gossipToTheDeadMs` ago. Returns the removed names.
   */
  removeExpiredDead(nowMs: number, gossipToTheDeadMs: number): string[] {
    const removed: string[] = []
    for (const n of this.nodes.values()) {
      if (n.name === this.selfName) continue
      if ((n.state === 'dead' || n.state === 'left') && nowMs - n.stateChangeMs > gossipToTheDeadMs) removed.push(n.name)
    }
    for (const name of removed) {
      this.nodes.delete(name)
      this.suspicions.delete(name)
      this.probeList.remove(name)
    }
    return removed
  }

  /** Counts of nodes per state. */
  counts(): Record<NodeStateKind, number> {
    const c: Record<NodeStateKind, number> = { alive: 0, suspect: 0, dead: 0, left: 0 }
    for (const n of this.nodes.values()) c[n.state]++
    return c
  }

  /**
   * Refute a rumour about ourselves: a fresh incarnation above the accused one, broadcast as alive.
   * The caller adds +1 to the health score (spec §4.4).
   */
  private refute(accusedIncarnation: number, refutes: NonNullable<Outcome['refutes']>): Outcome {
    const s = this.self()
    let inc = s.incarnation + 1
    if (accusedIncarnation >= inc) inc = accusedIncarnation + 1
    // Go's uint32 would wrap to 0 here and send an alive nobody accepts; ours would not encode.
    if (inc > MAX_INCARNATION) return refused(INCARNATION_EXHAUSTED)
    s.incarnation = inc
    return { result: 'refuted', broadcast: { type: 'alive', msg: this.selfAlive() }, refutes }
  }
}

/**
 * push/pull verifyProtocol (spec §1.9): every alive node's current memberlist and delegate version
 * must lie within the ranges all alive nodes support. Returns the reason when it does not.
 */
export function verifyProtocol(local: Iterable<{ state: NodeStateKind; vsn: Uint8Array }>, remote: readonly PushNodeState[]): string | undefined {
  let maxPMin = 0
  let minPMax = 255
  let maxDMin = 0
  let minDMax = 255
  const all = [...local, ...remote].filter((n) => n.state === 'alive')
  for (const n of all) {
    if (n.vsn.length < 6) continue
    maxPMin = Math.max(maxPMin, n.vsn[0]!)
    minPMax = Math.min(minPMax, n.vsn[1]!)
    maxDMin = Math.max(maxDMin, n.vsn[3]!)
    minDMax = Math.min(minDMax, n.vsn[4]!)
  }
  for (const n of all) {
    const pcur = n.vsn.length >= 6 ? n.vsn[2]! : 0
    const dcur = n.vsn.length >= 6 ? n.vsn[5]! : 0
    if (pcur < maxPMin || pcur > minPMax) return `protocol version ${pcur} outside [${maxPMin}, ${minPMax}]`
    if (dcur < maxDMin || dcur > minDMax) return `delegate version ${dcur} outside [${maxDMin}, ${minDMax}]`
  }
  return undefined
}
