/**
 * Joins as the node's caller sees them: `join(addresses)` resolves with how many were reached, and
 * a join that reaches no one is ERR_JOIN_FAILED whose message lists each address's reason, as
 * `serf join` prints go-multierror's text (`1 error occurred:\n\t* Failed to join ...`).
 *
 * The outcome is swim's own: `swimAskJoin` asks swim (`swim.join` with a replyTo), whose answer
 * comes once every push/pull of that join ended, with numJoined and a coded error per address that
 * failed (memberlist's `Failed to join <ip>: <reason>` texts). create-node.ts asks with
 * replyAfterMembers, so member-manager gives that answer once it holds the join's members. No
 * polling, and concurrent joins each get their own.
 */
import { ClusterError } from '../errors/index.ts'
import type { JoinAddressError } from '../../actors/member-manager/protocol.ts'
import type { JoinReply } from '../../actors/swim/protocol.ts'

/** One join's outcome: push/pulls that completed, and each address that failed (swim's coded errors). */
export interface JoinOutcome {
  numJoined: number
  errors: JoinAddressError[]
}

export interface JoinPort {
  join(addresses: readonly string[]): Promise<JoinOutcome>
}

/**
 * ERR_JOIN_FAILED with Serf's multierror text: one `* Failed to join <ip>: <reason>` line per address
 * (swim's message); an address swim gave no reason for reads `Failed to join <address>: no response`.
 */
export function joinFailedError(addresses: readonly string[], errors: readonly JoinAddressError[]): ClusterError {
  const lines = errors.length > 0 ? errors.map((e) => e.message) : addresses.map((a) => `Failed to join ${a}: no response`)
  const text = `${lines.length} error${lines.length === 1 ? '' : 's'} occurred:\n${lines.map((l) => `\t* ${l}`).join('\n')}\n\n`
  return new ClusterError('ERR_JOIN_FAILED', text, {
    details: { addresses: [...addresses], errors: [...lines], codes: errors.map((e) => ({ address: e.address, code: e.code })) },
  })
}

export interface SwimJoinAsk {
  /** Asks swim `{ type: 'swim.join', addresses }` and resolves with its reply (rejects coded: refused, stopped, timed out). */
  ask(addresses: string[], timeoutMs: number): Promise<JoinReply>
  /** swim's tcpTimeoutMs: each push/pull of a join ends within 2 × this. */
  tcpTimeoutMs: number
}

/** Margin over swim's own bound for the ask (ms): a loaded machine, a worker thread's hop. */
const ASK_MARGIN_MS = 5_000

/** The JoinPort over swim: one ask per join, answered by swim with that join's outcome. */
export function swimAskJoin(swim: SwimJoinAsk): JoinPort {
  return {
    async join(addresses) {
      const reply = await swim.ask([...addresses], 2 * swim.tcpTimeoutMs + ASK_MARGIN_MS)
      return { numJoined: reply.numJoined, errors: reply.errors }
    },
  }
}
