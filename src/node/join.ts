/**
 * Joins as the node's caller sees them: `join(addresses)` resolves with how many were reached, and
 * a join that reaches no one is ERR_JOIN_FAILED whose message lists each address's reason, as
 * `serf join` prints go-multierror's text (`1 error occurred:\n\t* Failed to join ...`).
 *
 * Where the outcome comes from is behind `JoinPort`, so swim's join result (numJoined and the
 * per-address errors) slots in once swim answers joins directly. Until then `observedSwimJoin`
 * reads what swim reports today: its `joinFailures` counter and `lastJoinError` (each address's
 * reason) for a join that reached no one, and its push/pull counters plus the member table for
 * one that reached someone. Joins run one at a time, so one join's counters are not another's.
 */
import { ClusterError } from '../errors/index.ts'
import type { WireError } from '../errors/index.ts'
import { parseIp } from '../transport/ip-address.ts'

/** One join's outcome: push/pulls that completed, and "address: reason" for each that failed. */
export interface JoinOutcome {
  numJoined: number
  errors: string[]
}

export interface JoinPort {
  join(addresses: readonly string[]): Promise<JoinOutcome>
}

/** ERR_JOIN_FAILED with Serf's multierror text: one `* Failed to join <address>: <reason>` line each. */
export function joinFailedError(addresses: readonly string[], errors: readonly string[]): ClusterError {
  const lines = errors.length > 0 ? errors : addresses.map((a) => `${a}: no response`)
  const text = `${lines.length} error${lines.length === 1 ? '' : 's'} occurred:\n${lines.map((e) => `\t* Failed to join ${e}`).join('\n')}\n\n`
  return new ClusterError('ERR_JOIN_FAILED', text, { details: { addresses: [...addresses], errors: [...lines] } })
}

/** What the observation needs from swim's context (a subset of SwimContext). */
export interface SwimJoinView {
  value: unknown
  joinFailures: number
  lastJoinError: WireError | undefined
  pushPullsStarted: number
  /** push/pulls we started that ended without merging: failed, rejected or timed out. */
  pushPullsUnmerged: number
  tcpTimeoutMs: number
}

export interface ObservedJoinDeps {
  /** Sends `swim.join`; false when swim did not take it (mailbox full, stopped). */
  send(addresses: string[]): boolean
  view(): Promise<SwimJoinView>
  /** "ip:port" of every member the table holds now. */
  memberAddresses(): Promise<Set<string>>
  /** Waits `ms` (the node's clock). */
  sleep(ms: number): Promise<void>
  /** Polling period (ms). */
  pollMs?: number
}

/** "ip:port" / "[v6]:port" (as the table writes members) rather than a host name. */
function isIpAddress(address: string): boolean {
  const host = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.slice(0, address.lastIndexOf(':'))
  return parseIp(host) !== undefined
}

/** The errors of a failed join as swim reports them ("address: reason" each). */
function reasonsOf(err: WireError | undefined): string[] {
  const errors = err?.details?.['errors']
  return Array.isArray(errors) ? errors.filter((e): e is string => typeof e === 'string') : []
}

/** The JoinPort over swim today: a `swim.join` tell and swim's counters (see the file comment). */
export function observedSwimJoin(deps: ObservedJoinDeps): JoinPort {
  let queue: Promise<unknown> = Promise.resolve()
  const poll = deps.pollMs ?? 20
  const run = async (addresses: readonly string[]): Promise<JoinOutcome> => {
    const before = await deps.view()
    const named = addresses.filter((a) => !isIpAddress(a)).length
    // A host name is never in the table as written: a member new since the join started stands for it.
    const known = named > 0 ? await deps.memberAddresses() : new Set<string>()
    if (!deps.send([...addresses])) throw new ClusterError('ERR_JOIN_NOT_SENT', 'swim did not take the join (its mailbox is full or it stopped)')
    const n = addresses.length
    // memberlist runs the push/pulls at once, each within 2 × TCPTimeout; a margin for a loaded machine.
    const deadline = 2 * before.tcpTimeoutMs + 5_000
    for (let waited = 0; ; waited += poll) {
      await deps.sleep(poll)
      const now = await deps.view()
      if (now.value !== 'running') throw new ClusterError('ERR_NODE_SHUT_DOWN', 'the node stopped during the join')
      if (now.joinFailures > before.joinFailures) return { numJoined: 0, errors: reasonsOf(now.lastJoinError) }
      const started = now.pushPullsStarted - before.pushPullsStarted
      const unmerged = now.pushPullsUnmerged - before.pushPullsUnmerged
      if (started < n && waited < deadline) continue
      const members = await deps.memberAddresses()
      const newMembers = named > 0 ? [...members].filter((m) => !known.has(m)).length : 0
      const reached = addresses.filter((a) => members.has(a)).length + Math.min(named, newMembers > 0 ? 1 : 0)
      // Every push/pull of the join has ended, and the ones that merged put their node in the table.
      // (With none reached, only swim's failure report ends it: a periodic push/pull that failed
      // meanwhile must not pass for the join's.)
      if (reached > 0 && reached + unmerged >= n) return { numJoined: reached, errors: [] }
      // Past every push/pull's deadline and swim reported no failure: the join reached someone
      // (a host name of a node already in the table is only counted so).
      if (waited >= deadline) return { numJoined: Math.max(reached, 1), errors: [] }
    }
  }
  return {
    join(addresses) {
      const next = queue.then(() => run(addresses))
      queue = next.catch(() => undefined)
      return next
    },
  }
}
