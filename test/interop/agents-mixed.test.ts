/**
 * A mixed cluster of processes on loopback: 3 `gossamer agent`s (the built CLI, every actor in its
 * own thread) and 3 real `serf agent`s, 'local' profile. They converge to one view of 6 alive
 * members; a graceful leave (SIGINT) of one of each is seen as left by every other; then a kill -9
 * of one of each is seen as failed by the rest. The leave goes first: Serf's leave intent is sent a
 * limited number of times to random members, and members that are already dead (memberlist still
 * gossips to them for a while) would take some of those sends, leaving a peer to learn of the leave
 * only from a later push/pull. Every view is read with the real `serf members` RPC client, so the
 * gossamer agents' RPC is exercised by Serf's own client too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AgentProcess } from '../support/agent-process.ts'
import { waitUntil } from '../support/serf.ts'

/** Lifeguard: with only two observers left, few confirm a suspicion, so it runs close to its maximum (18 s on the local profile at N = 6). */
const VIEW_TIMEOUT_MS = 45_000

describe('3 gossamer agents and 3 serf agents', () => {
  const agents: AgentProcess[] = []

  /** Waits until every agent in `observers` reports `status` for each name in `names`. */
  async function everyoneSees(observers: AgentProcess[], names: string[], status: string): Promise<void> {
    await waitUntil(
      `${observers.map((o) => o.name).join(',')} to see ${names.join(',')} ${status}`,
      async () => {
        const views = await Promise.all(observers.map((o) => o.members()))
        return views.every((v) => v !== undefined && names.every((n) => v.find((m) => m.name === n)?.status === status)) ? true : undefined
      },
      VIEW_TIMEOUT_MS,
      250,
    )
  }

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) agents.push(await AgentProcess.start('serf', `serf-${i}`, 'local'))
    for (let i = 0; i < 3; i++) agents.push(await AgentProcess.start('gossamer-workers', `goss-${i}`, 'local'))
    // Half join through a serf agent, half through a gossamer agent.
    await Promise.all(agents.slice(1).map((a, i) => a.join(i % 2 === 0 ? agents[0]!.gossipAddr : agents[3]!.gossipAddr)))
  }, 120_000)

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')))
  })

  it('converges to one view of 6 alive members', async () => {
    await everyoneSees(agents, agents.map((a) => a.name), 'alive')
  }, VIEW_TIMEOUT_MS + 5_000)

  it('sees a graceful leave of one of each kind as left', async () => {
    const [serfLeaver, gossLeaver] = [agents[1]!, agents[4]!]
    serfLeaver.kill('SIGINT')
    gossLeaver.kill('SIGINT')
    const rest = agents.filter((a) => a !== serfLeaver && a !== gossLeaver)
    await everyoneSees(rest, [serfLeaver.name, gossLeaver.name], 'left')
    // The gossamer agent exits 0 by itself after its graceful leave, as serf's does.
    await waitUntil('the leavers to exit', () => (serfLeaver.running || gossLeaver.running ? undefined : true), 15_000)
    expect([serfLeaver.running, gossLeaver.running]).toEqual([false, false])
  }, VIEW_TIMEOUT_MS + 20_000)

  it('sees a kill -9 of one of each kind as failed', async () => {
    const [serfVictim, gossVictim] = [agents[2]!, agents[5]!]
    serfVictim.kill('SIGKILL')
    gossVictim.kill('SIGKILL')
    const rest = [agents[0]!, agents[3]!]
    await everyoneSees(rest, [serfVictim.name, gossVictim.name], 'failed')
  }, VIEW_TIMEOUT_MS + 5_000)
})
