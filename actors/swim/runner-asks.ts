/**
 * swim's two asks of member-manager, neither on the packet path: Serf's push/pull user state
 * (`member.local-state`, for the core's `ask-user-state` effect) and, at each start, the local Meta
 * (`member.local-meta`). Each has a timeout derived from swim's config; a failure is counted
 * (localStateFailures, localMetaFailures), logged at 1, 2, 4, 8, ... occurrences, and the node goes
 * on without the answer. The asks of a node are aborted when it stops (`abort`).
 */
import type { ActorEnv, Message } from '../../src/types/actor-env.ts'
import { actorAddress } from '../../src/types/actor-env.ts'
import { ClusterError, toWireError } from '../../src/errors/index.ts'
import type { LocalMetaMsg, LocalStateMsg } from '../member-manager/protocol.ts'
import type { SwimConfig } from './config.ts'
import type { SwimPeers } from './protocol.ts'
import type { RunnerCounts } from './runner-counts.ts'

/** Timeouts (ms) of swim's asks, derived from its config so every preset gets fitting ones. */
export function askTimeouts(config: SwimConfig): { localStateMs: number; localMetaMs: number } {
  return {
    // A push/pull's whole exchange has tcpTimeoutMs (>= probeTimeoutMs by validation); a healthy
    // member-manager answers in microseconds, so one probe timeout is ample and leaves the rest.
    localStateMs: config.probeTimeoutMs,
    // The start waits for it (an alive without the tags would be what peers see). A member-manager
    // that is there answers in microseconds; one that is not fails the ask at once. So this only
    // bounds a stuck one: one stream deadline, then start with the Meta we know.
    localMetaMs: config.tcpTimeoutMs,
  }
}

type AskKind = 'localStateFailures' | 'localMetaFailures'
const ASK_NAMES: Record<AskKind, string> = { localStateFailures: 'member.local-state', localMetaFailures: 'member.local-meta' }

export function createRunnerAsks(env: ActorEnv, peers: SwimPeers, counts: RunnerCounts) {
  /** Aborted when the node it belongs to stops: late replies of its asks are then ignored. */
  let asks = new AbortController()
  const failed = (kind: AskKind, err: unknown, fallback: string): void => {
    const n = ++counts[kind]
    if ((n & (n - 1)) === 0) env.log.warn({ err: toWireError(err), count: n }, `${ASK_NAMES[kind]} ask failed; ${fallback}`)
  }
  const ask = <M extends Message>(msg: M, timeoutMs: number, signal: AbortSignal) => env.ask(actorAddress<M>(peers.memberManager), msg, { timeoutMs, signal })

  return {
    /**
     * Serf's user state for a push/pull; `answer` gets it, or empty bytes when the ask failed
     * (counted), unless the node's asks were aborted meanwhile.
     */
    userState(config: SwimConfig, join: boolean, answer: (bytes: Uint8Array) => void): void {
      const signal = asks.signal
      ask<LocalStateMsg>({ type: 'member.local-state', join }, askTimeouts(config).localStateMs, signal).then(
        (reply) => {
          if (signal.aborted) return
          if (reply?.bytes instanceof Uint8Array) return answer(reply.bytes)
          failed('localStateFailures', new ClusterError('ERR_SWIM_BAD_REPLY', 'member.local-state reply without bytes'), 'sent without it')
          answer(new Uint8Array(0))
        },
        (err: unknown) => {
          if (signal.aborted) return
          failed('localStateFailures', err, 'sent without it')
          answer(new Uint8Array(0))
        },
      )
    },

    /**
     * member-manager's current local Meta, for the node's first alive. Never rejects: a failed or
     * malformed answer is counted and gives undefined (the caller falls back to the Meta it knows).
     */
    async localMeta(timeoutMs: number, signal: AbortSignal): Promise<Uint8Array | undefined> {
      const fallback = 'starting with the Meta known before (member-manager sends changes as they come)'
      try {
        const reply = await ask<LocalMetaMsg>({ type: 'member.local-meta' }, timeoutMs, signal)
        if (reply?.meta instanceof Uint8Array) return reply.meta
        failed('localMetaFailures', new ClusterError('ERR_SWIM_BAD_REPLY', 'member.local-meta reply without meta'), fallback)
      } catch (err) {
        if (!signal.aborted) failed('localMetaFailures', err, fallback)
      }
      return undefined
    },

    /** The node stops: its pending asks are aborted (late replies ignored). */
    abort(): void {
      asks.abort()
      asks = new AbortController()
    },
  }
}
