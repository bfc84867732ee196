/**
 * SwimCore: memberlist's behaviour for one node (spec §4), a thin dispatcher over its concept
 * files. Its one entry point, `step(input)`, takes a timer, a packet, a send's result or a request
 * (join, leave, Meta, a finished broadcast) and returns the effects it decided as plain data
 * (effects.ts), in order; time and randomness come from its SwimEnv. Each concept file declares the
 * narrow host it needs (SwimParts, swim-parts.ts, holds the parts and provides those hosts), so none
 * imports this one and nothing imports in a cycle: packet-intake.ts (a datagram in), probe.ts, suspicion-timers.ts and suspicion-refresh.ts
 * (failure detection), gossip-ticker.ts, push-pull.ts, leave.ts, apply-outcome.ts (what follows a
 * node-table decision), send-accounting.ts (packets, user datagrams, broadcasts and their counts),
 * address-index.ts, ping-delegate.ts (Serf's coordinates in acks). The swim actor's runner
 * (swim-runner.ts) runs it; the simulator and hand-wired tests run it through SwimNode (swim-node.ts).
 *
 * Serf's user state for a push/pull is asked as an effect and answered as an input (`user-state`).
 * Streams are the exception: an inbound stream is handed over with `accept(stream)`, and dials and
 * stream reads answer through callbacks; what the core decides in them (or when a test calls a
 * concept file directly, outside a step) goes to `SwimEnv.run` at once.
 */
import type { Stream } from '../../src/transport/transport.ts'
import { bytesEqual } from './messages.ts'
import type { SwimCoreInput, SwimEffect } from './effects.ts'
import { SUSPECT_TIMER_PREFIX } from './suspicion-timers.ts'
import { TIMER, pushPullScale } from './core-state.ts'
import type { SwimCoreState, SwimStep } from './core-state.ts'
import { SwimParts } from './swim-parts.ts'

export { TIMER, pushPullScale } from './core-state.ts'
export type { SwimCoreState, SwimIdentity, SwimStep } from './core-state.ts'

export class SwimCore extends SwimParts {
  /** The state as last read; stale once a step copied the counters after it (see `state`). */
  private handedOut: SwimCoreState | undefined
  private started = false

  /**
   * The core's entry point: one input in, the new state and the effects it decided out, in order
   * (effects.ts). A step may run inside another's effects (a send's result, a notice the runner
   * delivers at once): each step collects its own.
   */
  step(input: SwimCoreInput): SwimStep {
    const effects = this.advance(input)
    return { state: this.state, effects }
  }

  /**
   * `step` without reading the state: for a runner that reads it once after several steps (the
   * actor: once per action, however many send results fed back) or never (the simulator). A
   * state is only copied on write after it was read, so this saves the copy of the counters.
   */
  advance(input: SwimCoreInput): SwimEffect[] {
    return this.outbox.within(() => this.dispatch(input))
  }

  /**
   * The scalar state and counters as plain data (the swim context keeps it as it is). Not changed
   * after it is read: the next step works on a copy of the counters. The node table stays in the
   * core (a persisted projection: numNodes here, knownPeers in the runner; see machine.ts).
   */
  get state(): SwimCoreState {
    // Still valid while no step copied the counters since it was read (every change happens in a step).
    if (this.handedOut !== undefined && this.handedOut.counters === this.outbox.counters) return this.handedOut
    this.handedOut = { incarnation: this.table.self().incarnation, healthScore: this.awareness.getHealthScore(), numNodes: this.table.size(), counters: this.outbox.share() }
    return this.handedOut
  }

  private dispatch(input: SwimCoreInput): void {
    switch (input.type) {
      case 'start':
        return this.startTickers(input.steadyState === true)
      case 'stop':
        return this.stopAll()
      case 'timer':
        return this.timer(input.key)
      case 'packet':
        return this.intake.packet(input.from, input.bytes)
      case 'packet-sent': {
        const round = this.sends.sent(input.effect, input.sent)
        if (round !== undefined) this.gossip.next(round)
        return
      }
      case 'join':
        return this.pushPull.join(input.addresses, input.reconnect === true, input.purpose, input.replyTo)
      case 'leave':
        return this.departure.begin(input.timeoutMs)
      case 'broadcast-finished':
        return this.departure.broadcastFinished(input.notifyId)
      case 'meta':
        if (bytesEqual(input.meta, this.table.self().meta)) return
        this.broadcast({ type: 'alive', msg: this.table.updateSelfMeta(input.meta) })
        // memberlist's UpdateNode runs aliveNode on our own node, whose changed Meta calls the
        // delegate's NotifyUpdate: Serf's own member takes its new tags there (member-update).
        return this.emit({ type: 'node-updated', node: this.table.self() })
      case 'send-user':
        return this.sends.user(input.to, input.bytes)
      case 'broadcasts-waiting':
        return this.gossip.waiting(input.fresh === true)
      case 'user-state':
        if (!this.outbox.answerUserState(input.id, input.bytes)) this.counters.userStatesUnmatched++
        return
      case 'user-state-told':
        return this.outbox.userStateTold(input.bytes)
    }
  }

  /** Dispatches a due timer by its key. */
  private timer(key: string): void {
    if (this.stopped) return
    if (key === TIMER.probeTick) {
      this.setTimer(TIMER.probeTick, this.prober.nextTickDelayMs(false))
      this.prober.tick()
    } else if (key === TIMER.gossipTick) {
      this.gossip.tick()
    } else if (key === TIMER.pushPullTick) {
      this.setTimer(TIMER.pushPullTick, pushPullScale(this.config.pushPullIntervalMs, this.table.size()))
      this.pushPull.periodic()
    } else if (key === TIMER.leave) {
      this.departure.timeout()
    } else if (key.startsWith(SUSPECT_TIMER_PREFIX)) {
      this.suspicions.due(key.slice(SUSPECT_TIMER_PREFIX.length))
    } else if (key.startsWith('pp:')) {
      this.pushPull.onTimer(key)
    } else {
      this.prober.onTimer(key)
    }
  }

  /**
   * Starts the tickers, each after a random stagger below its interval (spec §4.2). memberlist
   * staggers the first push/pull within the unscaled interval; `steadyState` staggers it within the
   * scaled one instead, as in a cluster that has been running for a while (simulation warm starts).
   */
  private startTickers(steadyState: boolean): void {
    if (this.started) return
    this.started = true
    const { probeIntervalMs, gossipIntervalMs, pushPullIntervalMs } = this.config
    this.setTimer(TIMER.probeTick, this.prober.nextTickDelayMs(true))
    if (this.gossip.enabled) this.gossip.arm(Math.floor(this.env.random() * gossipIntervalMs))
    if (pushPullIntervalMs > 0) {
      const span = steadyState ? pushPullScale(pushPullIntervalMs, this.table.size()) : pushPullIntervalMs
      this.setTimer(TIMER.pushPullTick, Math.floor(this.env.random() * span))
    }
    // memberlist's setAlive: our own alive goes out with the first gossip, and the delegate hears
    // NotifyJoin about ourselves (Serf adds its local member that way).
    this.broadcast({ type: 'alive', msg: this.table.selfAlive() })
    this.emit({ type: 'node-joined', node: this.table.self() })
    this.reportSize()
  }

  /** Stops every ticker and timer we know of (shutdown or crash of the host). */
  private stopAll(): void {
    this.stopped = true
    for (const key of [TIMER.probeTick, TIMER.gossipTick, TIMER.pushPullTick, TIMER.leave]) this.cancelTimer(key)
    this.prober.stop()
    this.pushPull.stop() // streams still open (push/pulls, fallback pings) close with the node
    this.suspicions.stop()
    this.refresh.clear()
    this.suspectProbes.clear()
    this.intake.clear()
    this.outbox.dropAsks()
  }

  /** An inbound stream (push/pull, fallback ping, user message): read outside any step (see the header). */
  accept(stream: Stream): void {
    if (this.stopped) {
      stream.close()
      return
    }
    this.outbox.enter(() => this.pushPull.accept(stream))
  }

}
