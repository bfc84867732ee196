/**
 * swim's concept files split out of the core, each driven alone through the narrow host it
 * declares (no SwimCore): our leave (leave.ts), the gossip tick's parking and early rounds
 * (gossip-ticker.ts) and the address index (address-index.ts).
 */
import { describe, expect, it } from 'vitest'
import { createSwimConfig } from '../../../actors/swim/config.ts'
import { DEFAULT_VSN } from '../../../actors/swim/messages.ts'
import { NodeTable } from '../../../actors/swim/node-table.ts'
import { Leave, LEAVE_TIMER } from '../../../actors/swim/leave.ts'
import type { LeaveHost } from '../../../actors/swim/leave.ts'
import { GOSSIP_TIMER, GossipTicker, JOIN_ROUND_DIVISOR } from '../../../actors/swim/gossip-ticker.ts'
import type { GossipHost } from '../../../actors/swim/gossip-ticker.ts'
import { AddressIndex, memberAddress } from '../../../actors/swim/address-index.ts'

const empty = new Uint8Array(0)
const self = { name: 'self', addr: Uint8Array.of(10, 0, 0, 1), port: 7946, meta: empty, vsn: DEFAULT_VSN }

/** A table that knows `others` alive (10.0.0.2, ...). */
function tableWith(others: number): NodeTable {
  const t = new NodeTable({ self, random: () => 0.5, suspicionMult: 4, suspicionMaxTimeoutMult: 6, probeIntervalMs: 1000 }, 0)
  for (let i = 2; i < 2 + others; i++) t.alive({ incarnation: 1, node: `n${i}`, addr: Uint8Array.of(10, 0, 0, i), port: 7946, meta: empty, vsn: DEFAULT_VSN }, 0)
  return t
}

describe('leave.ts through its host', () => {
  function leave(others: number) {
    const calls: string[] = []
    const table = tableWith(others)
    const host: LeaveHost = {
      env: { now: () => 100, random: () => 0.5, run: () => {} },
      table,
      broadcast: (b, notifyId) => void calls.push(`broadcast ${b.type} ${b.msg.node} ${notifyId ?? '-'}`),
      setTimer: (key, ms) => void calls.push(`set ${key} ${ms}`),
      cancelTimer: (key) => void calls.push(`cancel ${key}`),
      emit: (o) => void calls.push(`emit ${o.type}`),
    }
    return { l: new Leave(host), calls, table }
  }

  it('with nobody alive to tell, is done at once (no timer, no waiting for the broadcast)', () => {
    const { l, calls } = leave(0)
    l.begin(5000)
    expect(calls).toEqual(['broadcast dead self -', `cancel ${LEAVE_TIMER}`, 'emit left'])
    expect(l.running).toBe(true)
  })

  it('waits for its dead message (notify id leave) or its timeout; finishes once', () => {
    const { l, calls } = leave(2)
    l.begin(5000)
    expect(calls).toEqual(['broadcast dead self leave', `set ${LEAVE_TIMER} 5000`])
    l.broadcastFinished('other')
    expect(calls).toHaveLength(2)
    l.broadcastFinished('leave')
    l.timeout()
    expect(calls.slice(2)).toEqual([`cancel ${LEAVE_TIMER}`, 'emit left'])
  })

  it('stops waiting when the last member to tell is gone', () => {
    const { l, calls, table } = leave(1)
    l.begin(5000)
    l.memberGone()
    expect(calls).toHaveLength(2) // n2 is still alive
    table.dead({ incarnation: 1, node: 'n2', from: 'n2' }, 200)
    l.memberGone()
    expect(calls.slice(2)).toEqual([`cancel ${LEAVE_TIMER}`, 'emit left'])
  })
})

describe('gossip-ticker.ts through its host', () => {
  function ticker(opts: { waiting: boolean; leaving?: boolean }) {
    let now = 0
    const calls: string[] = []
    const config = createSwimConfig({})
    const host: GossipHost = {
      config,
      env: { now: () => now, random: () => 0.5, run: () => {}, broadcastsWaiting: () => opts.waiting },
      table: tableWith(4),
      setTimer: (key, ms) => void calls.push(`set ${key} ${ms}`),
      sendPacket: (req, round) => void calls.push(`send ${req.to} ${round?.index}`),
      addressOf: (n) => memberAddress(n, 7946),
      isStopped: () => false,
      leaving: () => opts.leaving === true,
    }
    const g = new GossipTicker(host)
    /** A tick (a round) at `ms` (default: now), its calls forgotten. */
    const roundAt = (ms = now) => {
      now = ms
      g.tick()
      calls.length = 0
    }
    return { g, calls, config, at: (ms: number) => void (now = ms), roundAt }
  }

  it('a tick with nothing to send parks (not re-armed); broadcasts waiting resume it at once', () => {
    const t = ticker({ waiting: false })
    t.g.tick()
    expect(t.calls).toEqual([])
    t.g.waiting(false)
    expect(t.calls).toEqual([`set ${GOSSIP_TIMER} 0`])
  })

  it('a round sends to one target at a time; fresh news goes half an interval after the last round', () => {
    const t = ticker({ waiting: true })
    const interval = t.config.gossipIntervalMs
    t.at(1000)
    t.g.tick()
    expect(t.calls[0]).toBe(`set ${GOSSIP_TIMER} ${interval}`)
    expect(t.calls.slice(1)).toEqual([expect.stringMatching(/^send 10\.0\.0\.\d:7946 0$/)])
    t.calls.length = 0
    // Old news: the armed tick stays; fresh news: brought forward to last round + interval / 2.
    t.at(1010)
    t.g.waiting(false)
    expect(t.calls).toEqual([])
    t.g.waiting(true)
    expect(t.calls).toEqual([`set ${GOSSIP_TIMER} ${1000 + Math.floor(interval / 2) - 1010}`])
  })

  it('no early round while our leave runs', () => {
    const t = ticker({ waiting: true, leaving: true })
    t.roundAt()
    t.g.waiting(true)
    expect(t.calls).toEqual([])
  })

  it('urgent (our own suspect or dead) with the queue in another actor: a round now, and the lease that brings the news goes at once too', () => {
    const t = ticker({ waiting: true })
    const interval = t.config.gossipIntervalMs
    t.roundAt(1000)
    t.at(1010)
    expect(t.g.urgent()).toBe(true)
    expect(t.calls).toEqual([`set ${GOSSIP_TIMER} 0`])
    // That round carries what the lease held before our news reached gossip-queue.
    t.roundAt()
    // The lease with our news: at once, not half an interval after the round just sent.
    t.at(1012)
    t.g.waiting(true)
    expect(t.calls).toEqual([`set ${GOSSIP_TIMER} 0`])
    t.roundAt()
    // Later fresh news follows the early-round rule again.
    t.at(1020)
    t.g.waiting(true)
    expect(t.calls).toEqual([`set ${GOSSIP_TIMER} ${1012 + Math.floor(interval / 2) - 1020}`])
  })

  it('no urgent round while our leave runs', () => {
    const t = ticker({ waiting: true, leaving: true })
    expect(t.g.urgent()).toBe(false)
    expect(t.calls).toEqual([])
  })

  it('join news with the queue in another actor: the lease that brings it goes an eighth of an interval after the last round, not half', () => {
    const t = ticker({ waiting: true })
    const interval = t.config.gossipIntervalMs
    t.roundAt(1000)
    t.at(1005)
    expect(t.g.joinNews()).toBe(true)
    // Nothing is armed yet: the news is in gossip-queue, not in the lease swim holds.
    expect(t.calls).toEqual([])
    t.at(1010)
    t.g.waiting(true)
    expect(t.calls).toEqual([`set ${GOSSIP_TIMER} ${1000 + Math.floor(interval / JOIN_ROUND_DIVISOR) - 1010}`])
    t.roundAt()
    // Once: the next fresh lease without join news follows the early-round rule again.
    t.at(1050)
    t.g.waiting(true)
    expect(t.calls).toEqual([`set ${GOSSIP_TIMER} ${1010 + Math.floor(interval / 2) - 1050}`])
  })

  it('join news past an eighth of an interval since the last round: the lease goes now; none while our leave runs', () => {
    const t = ticker({ waiting: true })
    t.roundAt(1000)
    t.at(1100)
    t.g.joinNews()
    t.g.waiting(true)
    expect(t.calls).toEqual([`set ${GOSSIP_TIMER} 0`])
    const l = ticker({ waiting: true, leaving: true })
    expect(l.g.joinNews()).toBe(false)
    l.g.waiting(true)
    expect(l.calls).toEqual([])
  })
})

describe('address-index.ts', () => {
  it('names the sender of an address; a member that moved no longer owns its old one; forgetting keeps a taken address', () => {
    const ix = new AddressIndex('self', '10.0.0.1:7946')
    ix.index('a', '10.0.0.2:7946')
    expect(ix.nameAt('10.0.0.2:7946')).toBe('a')
    ix.index('a', '10.0.0.3:7946')
    expect(ix.nameAt('10.0.0.2:7946')).toBeUndefined()
    ix.index('b', '10.0.0.3:7946') // b took a's address
    ix.forget('a')
    expect(ix.nameAt('10.0.0.3:7946')).toBe('b')
    expect(ix.size).toBe(2)
    expect(memberAddress({ addr: Uint8Array.of(10, 0, 0, 9), port: 0 }, 7000)).toBe('10.0.0.9:7000')
  })
})
