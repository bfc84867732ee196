/**
 * HostDelivery: what happens to one message an ActorHost is handed. It is checked against the
 * actor's protocol (MessageGate) and then, depending on the host's status:
 * - running: handed to the machine, or (definition's `coalesce`) added to the run of the delivery
 *   under way, which reaches the machine as one event at `flush()`;
 * - restarting: held, in order, for the restarted machine (at most `holdLimit`; past it refused
 *   with ERR_MAILBOX_FULL);
 * - escalated or stopped: refused with ERR_ACTOR_STOPPED.
 * A refused request fails its ask at once. The counts (handled, invalid, refused) are per message,
 * whether or not it was coalesced. Never throws: a failing coalesce `into` is the machine's crash.
 */
import type { AnyStateMachine } from 'xstate'
import type { Message, ReplyTo } from '../types/actor-env.ts'
import { toWireError, type WireError } from '../errors/cluster-error.ts'
import { ActorStoppedError, MailboxFullError, type InvalidMessageError, type UnknownMessageError } from '../errors/runtime-errors.ts'
import type { ActorDefinition } from './define-actor.ts'
import { CoalesceRun } from './coalesce.ts'
import { requestOf } from './mailbox-policy.ts'
import { MessageGate } from './message-gate.ts'
import { RingQueue } from './ring.ts'

/** What the delivery needs from its host. */
export interface DeliveryHost {
  /** The host's status now. */
  readonly status: 'running' | 'restarting' | 'escalated' | 'stopped'
  /** Hands one event to the running machine. */
  send(event: Message): void
  /** The running machine failed outside a transition (a coalesce `into` threw): its crash. */
  crash(err: unknown): void
  /** Answers a request with an error. */
  fail(token: ReplyTo<unknown>, error: WireError): void
  /** A message the protocol refused (reported to the system). */
  invalid(error: WireError, messageType: string): void
}

export class HostDelivery {
  handled = 0
  invalid = 0
  refused = 0
  /** Messages that arrived while the machine restarts, for the restarted machine. */
  readonly held = new RingQueue<Message>()
  readonly #gate: MessageGate
  /** The run of coalescible messages of the delivery under way (definition's `coalesce`). */
  readonly #run: CoalesceRun | undefined
  readonly #host: DeliveryHost
  readonly #id: string
  readonly #holdLimit: number

  constructor(id: string, definition: ActorDefinition<AnyStateMachine>, machine: AnyStateMachine, host: DeliveryHost, holdLimit: number) {
    this.#id = id
    this.#host = host
    this.#holdLimit = holdLimit
    this.#gate = new MessageGate(id, definition, machine)
    this.#run = definition.coalesce === undefined ? undefined : new CoalesceRun(id, definition.coalesce as never)
  }

  /** One message on its own: a run being coalesced goes first. */
  deliver(msg: Message): void {
    if (this.#run !== undefined && this.#run.length > 0) this.flush()
    this.#accept(msg)
  }

  /**
   * One message of a delivery batch: with `coalesce`, a message of the listed types that is not an
   * ask joins the current run (counted as handled now); anything else flushes the run, then goes
   * as `deliver` does. The batch's owner calls `flush()` when the batch ends.
   */
  offer(msg: Message): void {
    const run = this.#run
    if (run === undefined) return this.#accept(msg)
    if (this.#host.status === 'running' && run.accepts(msg)) {
      const refusal = this.#gate.check(msg)
      if (refusal !== undefined) return this.#reject(msg, refusal)
      this.handled++
      run.push(msg)
      if (run.full) this.flush()
      return
    }
    if (run.length > 0) this.flush()
    this.#accept(msg)
  }

  /** Hands the run being coalesced to the machine as one event (a failing `into` crashes the actor). */
  flush(): void {
    const run = this.#run
    if (run === undefined || run.length === 0) return
    if (this.#host.status !== 'running') {
      // Not reached (a run only grows while running and is flushed before anything that can
      // crash or stop the machine), but if it were: each message is held or refused on its own.
      const msgs = run.takeMessages()
      this.handled -= msgs.length
      for (const m of msgs) this.#accept(m)
      return
    }
    const taken = run.take()
    if (taken === undefined) return
    if ('error' in taken) this.#host.crash(taken.error)
    else this.#host.send(taken.event as Message)
  }

  /** The restarted machine takes what was held, in order, while it keeps running. */
  replayHeld(): void {
    while (this.#host.status === 'running' && this.held.length > 0) this.offer(this.held.shift()!)
    this.flush()
  }

  /** No machine will take what was held: each one is refused (its ask fails). */
  refuseHeld(): void {
    const stopped = toWireError(new ActorStoppedError(this.#id))
    for (let m = this.held.shift(); m !== undefined; m = this.held.shift()) {
      this.refused++
      this.#failAsk(m, stopped)
    }
  }

  #accept(msg: Message): void {
    const refusal = this.#gate.check(msg)
    if (refusal !== undefined) {
      this.#reject(msg, refusal)
      return
    }
    const status = this.#host.status
    if (status === 'running') {
      this.handled++
      this.#host.send(msg)
    } else if (status === 'restarting' && this.held.length < this.#holdLimit) {
      this.held.push(msg)
    } else if (status === 'restarting') {
      this.refused++
      this.#failAsk(msg, toWireError(new MailboxFullError(this.#id, this.#holdLimit)))
    } else {
      this.refused++
      this.#failAsk(msg, toWireError(new ActorStoppedError(this.#id)))
    }
  }

  #reject(msg: Message, error: UnknownMessageError | InvalidMessageError): void {
    this.invalid++
    const wire = toWireError(error)
    this.#failAsk(msg, wire)
    this.#host.invalid(wire, typeof msg.type === 'string' ? msg.type : String(msg.type))
  }

  #failAsk(msg: Message, error: WireError): void {
    const replyTo = requestOf(msg)
    if (replyTo !== undefined) this.#host.fail(replyTo, error)
  }
}
