/**
 * The outcome of one memberlist Join (push-pull.ts `join`): a push/pull with each address, one
 * success being enough. The tally counts each address's push/pull as it ends and, when the last
 * one did, emits `join-completed` with how many answered and each failure, coded (join-errors.ts).
 * No addresses at all is a completed join that reached no one (ERR_JOIN_NO_ADDRESSES).
 */
import type { TransportAddress } from '../../src/transport/transport.ts'
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { JoinReply } from './protocol.ts'
import type { SwimOutput } from './effects.ts'
import { joinAddressError } from './join-errors.ts'
import type { JoinAddressError, PushPullFailure } from './join-errors.ts'

/** What a join carries back unchanged on its `join-completed` (see SwimOutput). */
export interface JoinTags {
  /** Serf's reconnect of a known member. */
  reconnect: boolean
  /** The runner's join tracking (failures counted, retry-join). */
  purpose?: string | undefined
  /** The asker of a `swim.join`. */
  replyTo?: ReplyTo<JoinReply> | undefined
}

/**
 * Starts the tally of a join over `addresses`; the returned function takes each address's outcome
 * (undefined: it answered). With no addresses, `join-completed` is emitted at once and the
 * function is never needed.
 */
export function joinTally(addresses: readonly TransportAddress[], tags: JoinTags, emit: (out: SwimOutput) => void): (addr: TransportAddress, err?: PushPullFailure) => void {
  let pending = addresses.length
  let numJoined = 0
  const failures: JoinAddressError[] = []
  const done = () => {
    const errors = failures.map((f) => f.message)
    const out: SwimOutput = tags.reconnect ? { type: 'join-completed', numJoined, errors, failures, reconnect: true } : { type: 'join-completed', numJoined, errors, failures }
    if (tags.purpose !== undefined) Object.assign(out, { purpose: tags.purpose, addresses: [...addresses] })
    if (tags.replyTo !== undefined) Object.assign(out, { replyTo: tags.replyTo })
    emit(out)
  }
  if (pending === 0) {
    failures.push({ address: '', code: 'ERR_JOIN_NO_ADDRESSES', message: 'no addresses' })
    done()
  }
  return (addr, err) => {
    if (err === undefined) numJoined++
    else failures.push(joinAddressError(addr, err))
    if (--pending === 0) done()
  }
}
