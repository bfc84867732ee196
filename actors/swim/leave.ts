/**
 * memberlist Leave: we broadcast dead{self, From: self} and report `left` once it has reached its
 * transmit limit (gossip-queue tells us, `broadcast-finished` 'leave'), the leave's timeout ran
 * out, or nobody is left to tell. Declares the narrow host it needs: no import of the core.
 */
import type { Broadcast, NodeTable } from './node-table.ts'
import type { SwimEnv, SwimOutput } from './effects.ts'

/** Timer key of the leave's timeout, and the notify id of its dead message. */
export const LEAVE_TIMER = 'leave-timeout'
export const LEAVE_NOTIFY_ID = 'leave'

export interface LeaveHost {
  readonly env: SwimEnv
  readonly table: NodeTable
  broadcast(b: Broadcast, notifyId?: string): void
  setTimer(key: string, delayMs: number): void
  cancelTimer(key: string): void
  emit(output: SwimOutput): void
}

export class Leave {
  private phase: 'none' | 'waiting' | 'done' = 'none'

  constructor(private readonly host: LeaveHost) {}

  /** A leave began (waiting for its dead message, or done). */
  get running(): boolean {
    return this.phase !== 'none'
  }

  /** memberlist Leave: broadcast our dead; `left` once it has spread or timed out. */
  begin(timeoutMs: number): void {
    if (this.phase !== 'none') return
    this.phase = 'waiting'
    const { table, env } = this.host
    const out = table.leave(env.now())
    const anyoneAlive = [...table.records()].some((n) => n.name !== table.selfName && n.state === 'alive')
    if (out.broadcast !== undefined) this.host.broadcast(out.broadcast, anyoneAlive ? LEAVE_NOTIFY_ID : undefined)
    if (!anyoneAlive) return this.finish()
    this.host.setTimer(LEAVE_TIMER, timeoutMs)
  }

  /** gossip-queue says the broadcast `notifyId` left its queue. */
  broadcastFinished(notifyId: string): void {
    if (notifyId === LEAVE_NOTIFY_ID && this.phase === 'waiting') this.finish()
  }

  /**
   * A member left or died. Our leave waits for its dead message to reach its transmit limit, which
   * takes members to gossip to: when the last one went (two nodes leaving at once), nobody is left
   * to tell and waiting would only run into the timeout (memberlist checks anyAlive once, at the start).
   */
  memberGone(): void {
    if (this.phase === 'waiting' && !this.anyoneToTell()) this.finish()
  }

  /** The leave's timeout ran out. */
  timeout(): void {
    this.finish()
  }

  /** Another member our gossip still goes to (memberlist's anyAlive: neither dead nor left). */
  private anyoneToTell(): boolean {
    const { table } = this.host
    for (const n of table.records()) if (n.name !== table.selfName && (n.state === 'alive' || n.state === 'suspect')) return true
    return false
  }

  private finish(): void {
    if (this.phase === 'done') return
    this.phase = 'done'
    this.host.cancelTimer(LEAVE_TIMER)
    this.host.emit({ type: 'left' })
  }
}
