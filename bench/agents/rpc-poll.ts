/**
 * The ruler of bench:agents and join-cpu: one persistent Serf RPC connection per agent (the
 * project's own client, src/rpc/client.ts, which speaks Serf's agent protocol to a real `serf agent`
 * and to a `gossamer agent` alike), polled with `members` every POLL_MS.
 *
 * Why not the `serf members` CLI, as before: every poll spawned a process (20-40 ms a round of K on
 * this machine) and dialled, handshook and tore down a connection, so polls could not come faster
 * than ~100 ms and a time was known only to the poll it fell in (a join read 0.13 or 0.23 s,
 * "converged at poll 1 or 2"). Here a poll is one request on an open connection, each agent is
 * polled on its own cadence (a slow agent does not hold back the others' polls), and an agent's
 * time is taken when the reply that first shows the condition arrives, so it is late by at most
 * POLL_MS plus one reply's latency, the same for both kinds.
 *
 * What polling costs the polled agents is measured by bench:agents (pollCostMsPerPoll,
 * pollCostCpuPctPerAgent); an agent whose condition holds is no longer polled.
 */
import { RpcClient } from '../../src/rpc/client.ts'
import type { ActorClock } from '../../src/types/time.ts'
import type { AgentProcess } from '../../test/support/agent-process.ts'

/**
 * Poll interval (ms). 20, not 10: a gossamer agent keeps V8's optimizing compiler off until the
 * process uses 5% of a core in two 2 s samples in a row (src/agent/tiering.ts), so the polling alone must stay well
 * under that or the ruler would change what it measures; bench:agents reports the cost it measured.
 */
export const POLL_MS = 20

/** An agent's member list as its RPC reports it: name -> status (alive, leaving, left, failed). */
export type MemberView = ReadonlyMap<string, string>

/** What timeUntil polls: an agent's member list (AgentRpc, or a stand-in in tests). */
export interface Polled {
  members(): Promise<MemberView>
}

/** One agent with its open RPC connection; `polls` counts the `members` replies it gave. */
export class AgentRpc implements Polled {
  polls = 0

  private constructor(
    readonly agent: AgentProcess,
    private readonly client: RpcClient,
  ) {}

  static async open(agent: AgentProcess): Promise<AgentRpc> {
    return new AgentRpc(agent, await RpcClient.connect({ addr: agent.rpcAddr }))
  }

  get name(): string {
    return this.agent.name
  }

  async members(): Promise<MemberView> {
    const list = await this.client.members()
    this.polls++
    return new Map(list.map((m) => [m.name, m.status]))
  }

  /** Serf's `join` RPC: resolves with the number of nodes contacted once the agent's join returns. */
  join(addr: string): Promise<number> {
    return this.client.join([addr])
  }

  /**
   * A gossamer agent's V8 optimizing compiler, from `stats`' agent section (src/agent/tiering.ts):
   * true once on; undefined for an agent that does not report it (serf) or does not answer.
   */
  async turbofanOn(): Promise<boolean | undefined> {
    try {
      const on = (await this.client.stats()).agent?.turbofan
      return on === undefined ? undefined : on === 'on'
    } catch {
      return undefined
    }
  }

  close(): void {
    this.client.close()
  }
}

export interface Until {
  /** From `start` until the last agent's reply showed the condition (s); null if one did not within the cap. */
  seconds: number | null
  /** The same per agent, in the order given. */
  perAgentS: Array<number | null>
  /** `members` polls per agent until its condition held (or the cap). */
  polls: number[]
  /** Per agent, the last view it answered that did not yet show the condition (what held it up). */
  lastPending: Array<MemberView | undefined>
}

export interface UntilOptions {
  /** clock.now() at the event being timed (the joins sent, the kill). */
  start: number
  capMs: number
  pollMs?: number
  /** Time and timers (ms); default the real ones (performance.now, setTimeout). Tests pass a simulated clock. */
  clock?: ActorClock
}

const REAL_CLOCK: ActorClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
}

/**
 * Polls every agent on its own cadence (one request in flight per agent: the next poll goes out
 * `pollMs` after the previous one went out, or at once if its reply came later than that) until
 * `done` holds for its view, or `capMs` after `start` passes. A failed or unanswered poll counts as
 * "not yet". An agent's time is the arrival of the first reply for which `done` holds.
 */
export async function timeUntil(agents: readonly Polled[], done: (view: MemberView) => boolean, opts: UntilOptions): Promise<Until> {
  const clock = opts.clock ?? REAL_CLOCK
  const pollMs = opts.pollMs ?? POLL_MS
  const deadline = opts.start + opts.capMs
  const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(() => r(), ms))
  /** The call's value, or undefined if it failed or the deadline passed first. */
  const beforeDeadline = async <T>(call: Promise<T>): Promise<T | undefined> => {
    let timer: unknown
    const late = new Promise<undefined>((r) => {
      timer = clock.setTimeout(() => r(undefined), Math.max(0, deadline - clock.now()))
    })
    try {
      return await Promise.race([call.catch(() => undefined), late])
    } finally {
      clock.clearTimeout(timer)
    }
  }
  const one = async (a: Polled): Promise<{ at: number | null; polls: number; pending: MemberView | undefined }> => {
    let polls = 0
    let pending: MemberView | undefined
    for (let next = clock.now(); ; next += pollMs) {
      const now = clock.now()
      if (now >= deadline) return { at: null, polls, pending }
      if (next > now) await sleep(next - now)
      else next = now // a reply slower than the interval: poll again at once, and keep the cadence from here
      if (clock.now() >= deadline) return { at: null, polls, pending }
      polls++
      const view = await beforeDeadline(a.members())
      if (view !== undefined && done(view)) return { at: clock.now(), polls, pending }
      if (view !== undefined) pending = view
    }
  }
  const ends = await Promise.all(agents.map(one))
  const perAgentS = ends.map((e) => (e.at === null ? null : (e.at - opts.start) / 1000))
  const seconds = perAgentS.some((s) => s === null) ? null : Math.max(...(perAgentS as number[]))
  return { seconds, perAgentS, polls: ends.map((e) => e.polls), lastPending: ends.map((e) => e.pending) }
}
