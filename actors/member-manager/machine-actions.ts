/**
 * The named actions of the member-manager machine (machine.ts keeps its states and transitions):
 * the `turn` that runs the core, the tells outside the core (swim's leave step, the user state
 * told ahead of push/pulls: user-state-push.ts), and what a restore re-arms. Each takes its
 * context and event and returns through XState's enqueue (assign, raise, emit, cancel); the
 * sends go through the effect runner, counted when they find no receiver.
 */
import { assertEvent, enqueueActions as enqueueWithParams, setup } from 'xstate'
import type { ActorEnv, RuntimeEvent } from '../../src/types/actor-env.ts'
import { toWireError } from '../../src/errors/index.ts'
import type { MemberManagerEmitted, MemberManagerInbound, NodesResyncMsg, SwimLeaveMsg, UserStateMsg } from './protocol.ts'
import { localUserStateOf, memberViewChange } from './member-reads.ts'
import { freshNodeFeed, receiveFeed, resyncAsked } from './node-feed.ts'
import type { createEffectRunner } from './effect-runner.ts'
import { forceLeavesOf, type ForceLeaveTimeout, type MemberManagerContext, type MemberManagerInput, type PruneDue, type TurnParams, type UserStateDue } from './machine-context.ts'
import { afterTell, freshUserStatePush, nextTellDelay, USER_STATE_DUE_ID, userStateMoved } from './user-state-push.ts'

/** The member-manager machine's types (machine.ts's setup declares the same). */
export interface MemberManagerMachineTypes {
  context: MemberManagerContext
  events: MemberManagerInbound | PruneDue | ForceLeaveTimeout | UserStateDue | RuntimeEvent
  input: MemberManagerInput
  emitted: MemberManagerEmitted
}

type EffectRunner = ReturnType<typeof createEffectRunner>
type Events = MemberManagerMachineTypes['events']

/** The actions of the member-manager machine of `env`, over its effect runner (made once per machine). */
export function memberManagerActions(env: ActorEnv, { deliver, applyStep }: Pick<EffectRunner, 'deliver' | 'applyStep'>) {
  // setup's own helper fixes an action's params to none: `turn` takes TurnParams, so it is typed by hand.
  const { enqueueActions } = setup({ types: {} as MemberManagerMachineTypes })
  const now = (): number => env.clock.now()

  /** Asks swim for its whole node table (member.nodes-resync); true when swim's mailbox took it. */
  const askResync = (context: MemberManagerContext, reason: NodesResyncMsg['reason']): boolean => {
    const msg: NodesResyncMsg = { type: 'member.nodes-resync', reason }
    return deliver(context.peers.swim, msg)
  }

  return {
    /**
     * One turn of the core: step, assign the next state, run the effects (sends now, events
     * emitted, prunes as delayed events noted with their due time so a restore can raise them
     * again), and answer `replyTo` (an ack, or the coded refusal).
     */
    turn: enqueueWithParams<MemberManagerContext, Events, TurnParams, Events, never, never, never, never, MemberManagerEmitted>(({ context, enqueue }, { input, replyTo, feed }) => {
      const r = applyStep(context, input)
      for (const e of r.emitted) enqueue.emit(e)
      const patch: Partial<MemberManagerContext> = {}
      if (r.state !== context.core) patch.core = r.state
      const view = memberViewChange(context.core, r.state)
      if (view !== undefined) {
        // For a copy of the member list kept outside (the node's): numbered, so a gap shows.
        const seq = (context.viewSeq ?? 0) + 1
        patch.viewSeq = seq
        enqueue.emit({ type: 'member.view-changed', seq, ...view })
      }
      if (feed?.seq !== undefined) {
        // swim's feed, followed in the same turn (one assign): a gap asks swim for a resync.
        const { next, askResync: gap } = receiveFeed(context.feed ?? freshNodeFeed(), feed.seq, feed.changes, feed.resync)
        if (!gap) patch.feed = next
        else {
          const delivered = askResync(context, 'gap')
          if (!delivered) r.undelivered++
          patch.feed = resyncAsked(next, delivered)
        }
      }
      if (r.undelivered > 0) patch.undelivered = context.undelivered + r.undelivered
      if (r.prunes.length > 0) {
        const at = now()
        for (const p of r.prunes) enqueue.raise({ type: 'member.prune-due', name: p.name }, { delay: p.delayMs })
        patch.prunes = [...(context.prunes ?? []), ...r.prunes.map((p) => ({ name: p.name, dueAt: at + p.delayMs }))]
      }
      if (input.type === 'start' || userStateMoved(context.core, r.state)) {
        // swim gets the new user state for its push/pulls once the push interval allows (user-state-push.ts).
        const push = context.userStatePush ?? freshUserStatePush()
        const delay = nextTellDelay(push, now())
        if (delay !== undefined) {
          enqueue.raise({ type: 'member.user-state-due' }, { id: USER_STATE_DUE_ID, delay })
          patch.userStatePush = { ...push, pending: true }
        }
      }
      const countForceLeave = input.type === 'force-leave'
      if (r.awaiting !== undefined) {
        // Answered when gossip-queue reports the broadcast gone, or failed at BroadcastTimeout (Serf).
        const fl = forceLeavesOf(context)
        patch.forceLeaves = { ...fl, pending: [...fl.pending, { id: r.awaiting, ...(replyTo !== undefined ? { replyTo } : {}) }] }
        enqueue.raise({ type: 'member.force-leave-timeout', id: r.awaiting }, { id: r.awaiting, delay: context.core.config.broadcastTimeoutMs })
      }
      if (countForceLeave) patch.forceLeaves = { ...(patch.forceLeaves ?? forceLeavesOf(context)), requested: forceLeavesOf(context).requested + 1 }
      if (Object.keys(patch).length > 0) enqueue.assign(patch)
      if (replyTo !== undefined && r.awaiting === undefined) {
        if (r.refused !== undefined) env.fail(replyTo, toWireError(r.refused))
        else env.reply(replyTo, { type: 'member.ack' })
      }
    }),
    /** A tell to swim outside the core (the memberlist leave step), its delivery counted. */
    tellSwimLeave: enqueueActions(({ context, enqueue }) => {
      const msg: SwimLeaveMsg = { type: 'member.swim-leave', timeoutMs: context.core.config.broadcastTimeoutMs }
      if (!deliver(context.peers.swim, msg)) {
        enqueue.assign({ undelivered: context.undelivered + 1 })
      }
    }),
    /** The push interval passed: swim gets the user state as it is now, for its push/pulls (user-state-push.ts). */
    tellUserState: enqueueActions(({ context, enqueue }) => {
      const msg: UserStateMsg = { type: 'member.user-state', bytes: localUserStateOf(context.core) }
      const delivered = deliver(context.peers.swim, msg)
      enqueue.assign({ userStatePush: afterTell(context.userStatePush ?? freshUserStatePush(), msg.bytes.length, now()), ...(delivered ? {} : { undelivered: context.undelivered + 1 }) })
    }),
    /** After a restore the scheduled tell died with the old instance (and swim may hold an older state): tell now. */
    rearmUserStatePush: enqueueActions(({ context, enqueue }) => {
      enqueue.raise({ type: 'member.user-state-due' }, { id: USER_STATE_DUE_ID, delay: 0 })
      enqueue.assign({ userStatePush: { ...(context.userStatePush ?? freshUserStatePush()), pending: true } })
    }),
    /** After a restore: the delayed prune events died with the crashed instance; raise them again. */
    rearmPrunes: enqueueActions(({ context, enqueue }) => {
      const at = now()
      // (A snapshot persisted before `prunes` existed has none pending.)
      if (context.prunes === undefined) enqueue.assign({ prunes: [] })
      for (const p of context.prunes ?? []) enqueue.raise({ type: 'member.prune-due', name: p.name }, { delay: Math.max(0, p.dueAt - at) })
    }),
    /** Restored from a snapshot up to a second old: what swim told since may be lost; ask for its table. */
    resyncAfterRestore: enqueueActions(({ context, enqueue }) => {
      const delivered = askResync(context, 'restored')
      enqueue.assign({ feed: resyncAsked(context.feed ?? freshNodeFeed(), delivered), undelivered: (context.undelivered ?? 0) + (delivered ? 0 : 1) })
    }),
    /** A force-leave's broadcast left gossip-queue: its asker gets the ack (Serf: notifyCh closed). */
    forceLeaveSpread: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'gossip.broadcast-finished')
      const fl = forceLeavesOf(context)
      const done = fl.pending.find((p) => p.id === event.id)
      if (done === undefined) return
      enqueue.cancel(done.id)
      if (done.replyTo !== undefined) env.reply(done.replyTo, { type: 'member.ack' })
      enqueue.assign({ forceLeaves: { ...fl, pending: fl.pending.filter((p) => p !== done) } })
    }),
    /** BroadcastTimeout passed first: Serf's error for the asker; the intent stays queued. */
    forceLeaveTimedOut: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'member.force-leave-timeout')
      const fl = forceLeavesOf(context)
      const late = fl.pending.find((p) => p.id === event.id)
      if (late === undefined) return
      if (late.replyTo !== undefined) env.fail(late.replyTo, { code: 'ERR_MEMBER_FORCE_LEAVE_TIMEOUT', message: 'timed out broadcasting node removal' })
      env.log.warn({ code: 'ERR_MEMBER_FORCE_LEAVE_TIMEOUT', timeoutMs: context.core.config.broadcastTimeoutMs }, 'force-leave: node removal not confirmed spread within BroadcastTimeout')
      enqueue.assign({ forceLeaves: { ...fl, timedOut: fl.timedOut + 1, pending: fl.pending.filter((p) => p !== late) } })
    }),
    /** After a restore the waiting askers' timers died with the old instance: fail them now (their answer is unknowable). */
    dropStaleForceLeaves: enqueueActions(({ context, enqueue }) => {
      const fl = forceLeavesOf(context)
      if (fl.pending.length === 0 && context.forceLeaves !== undefined) return
      for (const p of fl.pending) if (p.replyTo !== undefined) env.fail(p.replyTo, { code: 'ERR_MEMBER_FORCE_LEAVE_TIMEOUT', message: 'timed out broadcasting node removal' })
      enqueue.assign({ forceLeaves: { ...fl, timedOut: fl.timedOut + fl.pending.length, pending: [] } })
    }),
    /** A prune came due: forget its note (the oldest for that name); the `turn` then erases the member. */
    forgetPrune: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'member.prune-due')
      const i = context.prunes.findIndex((p) => p.name === event.name)
      if (i >= 0) enqueue.assign({ prunes: context.prunes.filter((_, j) => j !== i) })
    }),
  }
}
