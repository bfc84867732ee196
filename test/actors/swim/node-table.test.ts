import { describe, expect, it } from 'vitest'
import { NodeTable, verifyProtocol } from '../../../actors/swim/node-table.ts'
import { DEFAULT_VSN } from '../../../actors/swim/messages.ts'
import type { AliveMsg, PushNodeState } from '../../../actors/swim/messages.ts'

function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const addr = (last: number) => Uint8Array.of(10, 0, 0, last)
const meta = new Uint8Array(0)

function table(now = 0, staleSuspicionRefresh = false): NodeTable {
  return new NodeTable(
    { self: { name: 'self', addr: addr(1), port: 7946, meta, vsn: DEFAULT_VSN }, random: seeded(1), suspicionMult: 4, suspicionMaxTimeoutMult: 6, probeIntervalMs: 1000, staleSuspicionRefresh },
    now,
  )
}

const alive = (node: string, incarnation: number, last = 2, m = meta): AliveMsg => ({ node, incarnation, addr: addr(last), port: 7946, meta: m, vsn: DEFAULT_VSN })

describe('NodeTable alive', () => {
  it('adds an unknown node with a join event and a re-broadcast', () => {
    const t = table()
    const o = t.alive(alive('a', 1), 10)
    expect(o.result).toBe('accepted')
    expect(o.event?.kind).toBe('join')
    expect(o.broadcast?.type).toBe('alive')
    expect(t.get('a')).toMatchObject({ state: 'alive', incarnation: 1, stateChangeMs: 10 })
    expect(t.probeList.size()).toBe(2)
  })

  it('leaves an incarnation-0 alive for an unknown node as a dead placeholder (memberlist quirk)', () => {
    const t = table()
    expect(t.alive(alive('a', 0), 0).result).toBe('ignored')
    expect(t.get('a')?.state).toBe('dead')
  })

  it.each([
    ['same incarnation', 1, 'ignored'],
    ['older incarnation', 0, 'ignored'],
    ['newer incarnation', 2, 'accepted'],
  ] as const)('%s -> %s', (_n, inc, result) => {
    const t = table()
    t.alive(alive('a', 1), 0)
    expect(t.alive(alive('a', inc), 1).result).toBe(result)
  })

  it('reports update on a meta change, nothing on a plain incarnation bump', () => {
    const t = table()
    t.alive(alive('a', 1), 0)
    expect(t.alive(alive('a', 2), 1).event).toBeUndefined()
    expect(t.alive(alive('a', 3, 2, Uint8Array.of(1)), 2).event?.kind).toBe('update')
  })

  it('rejects a different address for a live node as a conflict, accepts it for a left one', () => {
    const t = table()
    t.alive(alive('a', 1), 0)
    expect(t.alive(alive('a', 5, 9), 1).result).toBe('conflict')
    t.dead({ node: 'a', incarnation: 1, from: 'a' }, 2)
    expect(t.get('a')?.state).toBe('left')
    const o = t.alive(alive('a', 1, 9), 3)
    expect(o.result).toBe('accepted')
    expect(o.event?.kind).toBe('join')
    expect(t.get('a')?.addr).toEqual(addr(9))
  })

  it('lets a dead node come back at a new address only past deadNodeReclaimTimeMs (memberlist DeadNodeReclaimTime)', () => {
    const withReclaim = (reclaimMs: number) => {
      const t = new NodeTable(
        { self: { name: 'self', addr: addr(1), port: 7946, meta, vsn: DEFAULT_VSN }, random: seeded(1), suspicionMult: 4, suspicionMaxTimeoutMult: 6, probeIntervalMs: 1000, deadNodeReclaimTimeMs: reclaimMs },
        0,
      )
      t.alive(alive('a', 1), 0)
      t.dead({ node: 'a', incarnation: 1, from: 'b' }, 1_000) // failed, not left
      expect(t.get('a')?.state).toBe('dead')
      return t
    }
    // Off (memberlist's default): a dead node's name stays bound to its address.
    expect(withReclaim(0).alive(alive('a', 2, 9), 1_000_000).result).toBe('conflict')
    // On: a conflict until the reclaim time has passed since the death, then accepted as a join.
    const t = withReclaim(5_000)
    expect(t.alive(alive('a', 2, 9), 6_000).result).toBe('conflict')
    const o = t.alive(alive('a', 2, 9), 6_001)
    expect(o.result).toBe('accepted')
    expect(o.event?.kind).toBe('join')
    expect(t.get('a')).toMatchObject({ addr: addr(9), state: 'alive', incarnation: 2 })
  })

  it('refuses an invalid Vsn (memberlist: PMin, PMax non-zero and ordered) and adds nothing', () => {
    const t = table()
    for (const vsn of [Uint8Array.of(0, 5, 2, 2, 5, 5), Uint8Array.of(1, 0, 2, 2, 5, 5), Uint8Array.of(1, 5, 2), Uint8Array.of(1, 5, 2, 2, 5), Uint8Array.of(3, 2, 2, 2, 5, 5)]) {
      const o = t.alive({ ...alive('a', 1), vsn }, 0)
      expect(o.result).toBe('refused')
      expect(o.reason).toMatch(/^alive\.Vsn must/)
    }
    expect(t.get('a')).toBeUndefined()
  })

  it('refuses a Vsn that is not 6 bytes, empty or longer: we could not re-send it as it came (issue 10)', () => {
    const t = table()
    expect(t.alive({ ...alive('a', 1), vsn: Uint8Array.of(1, 5, 2, 2, 5, 5, 9) }, 0)).toMatchObject({ result: 'refused', reason: 'alive.Vsn must be 6 bytes (got 7)' })
    expect(t.alive({ ...alive('b', 1, 3), vsn: new Uint8Array(0) }, 0)).toMatchObject({ result: 'refused', reason: 'alive.Vsn must be 6 bytes (got 0)' })
    expect(t.size()).toBe(1)
    // PCur outside [PMin, PMax] is not alive's business (push/pull verifyProtocol checks it).
    expect(t.alive({ ...alive('c', 1, 4), vsn: Uint8Array.of(2, 4, 1, 2, 5, 5) }, 0).result).toBe('accepted')
  })

  it('refutes an alive about us with different meta, above the accused incarnation', () => {
    const t = table()
    const o = t.alive({ ...alive('self', 7, 1), meta: Uint8Array.of(9) }, 0)
    expect(o.result).toBe('refuted')
    expect(o.broadcast).toMatchObject({ type: 'alive', msg: { node: 'self', incarnation: 8 } })
    expect(t.self().incarnation).toBe(8)
    expect(t.alive(alive('self', 8, 1), 0).result).toBe('ignored')
  })
})

describe('NodeTable suspect', () => {
  it('suspects an alive node at equal incarnation and arms the max timer', () => {
    const t = table()
    for (const n of ['a', 'b', 'c', 'd']) t.alive(alive(n, 1), 0)
    const o = t.suspect({ node: 'a', incarnation: 1, from: 'b' }, 100)
    expect(o.result).toBe('accepted')
    expect(t.get('a')?.state).toBe('suspect')
    // n = 5 -> min 4 s, max 24 s, k = 2
    expect(o.suspicion).toEqual({ node: 'a', deadlineMs: 100 + 24_000, startMs: 100 })
  })

  it('counts a distinct accuser as a confirmation and shortens the deadline', () => {
    const t = table()
    for (const n of ['a', 'b', 'c', 'd']) t.alive(alive(n, 1), 0)
    t.suspect({ node: 'a', incarnation: 1, from: 'b' }, 0)
    expect(t.suspect({ node: 'a', incarnation: 1, from: 'b' }, 1).result).toBe('ignored')
    const o = t.suspect({ node: 'a', incarnation: 1, from: 'c' }, 1)
    expect(o.result).toBe('confirmed')
    expect(o.suspicion?.deadlineMs).toBe(11_381)
  })

  it.each([
    ['unknown node', 'zz', 1],
    ['old incarnation', 'a', 0],
  ])('ignores %s', (_n, node, inc) => {
    const t = table()
    t.alive(alive('a', 1), 0)
    expect(t.suspect({ node, incarnation: inc, from: 'b' }, 0).result).toBe('ignored')
  })

  it('refutes a suspicion of ourselves', () => {
    const t = table()
    const o = t.suspect({ node: 'self', incarnation: 1, from: 'x' }, 0)
    expect(o.result).toBe('refuted')
    expect(t.self().incarnation).toBe(2)
    expect(t.self().state).toBe('alive')
  })

  it('an alive with a higher incarnation clears the suspicion', () => {
    const t = table()
    t.alive(alive('a', 1), 0)
    t.suspect({ node: 'a', incarnation: 1, from: 'x' }, 0)
    const o = t.alive(alive('a', 2), 5)
    expect(o.cancelSuspicion).toBe('a')
    expect(t.get('a')?.state).toBe('alive')
    expect(t.suspicionOf('a')).toBeUndefined()
  })
})

describe('NodeTable dead', () => {
  it.each([
    ['another node reports it', 'b', 'dead'],
    ['the node itself reports it (graceful leave)', 'a', 'left'],
  ] as const)('%s -> %s', (_n, from, state) => {
    const t = table()
    t.alive(alive('a', 1), 0)
    const o = t.dead({ node: 'a', incarnation: 1, from }, 5)
    expect(o.result).toBe('accepted')
    expect(o.event?.kind).toBe('leave')
    expect(t.get('a')).toMatchObject({ state, stateChangeMs: 5 })
  })

  it('ignores old and repeated deaths', () => {
    const t = table()
    t.alive(alive('a', 2), 0)
    expect(t.dead({ node: 'a', incarnation: 1, from: 'b' }, 1).result).toBe('ignored')
    expect(t.dead({ node: 'a', incarnation: 2, from: 'b' }, 1).result).toBe('accepted')
    expect(t.dead({ node: 'a', incarnation: 2, from: 'b' }, 2).result).toBe('ignored')
  })

  it('replayed alive after dead needs a higher incarnation', () => {
    const t = table()
    t.alive(alive('a', 2), 0)
    t.dead({ node: 'a', incarnation: 2, from: 'b' }, 1)
    expect(t.alive(alive('a', 2), 2).result).toBe('ignored')
    expect(t.alive(alive('a', 3), 2).event?.kind).toBe('join')
  })

  it('refutes a death of ourselves unless we are leaving', () => {
    const t = table()
    expect(t.dead({ node: 'self', incarnation: 1, from: 'x' }, 0).result).toBe('refuted')
    const leave = t.leave(1)
    expect(leave.result).toBe('accepted')
    expect(leave.broadcast).toMatchObject({ type: 'dead', msg: { node: 'self', from: 'self', incarnation: 2 } })
    expect(t.self().state).toBe('left')
    expect(t.alive(alive('self', 9, 1), 2).result).toBe('ignored')
  })

  it('suspicion expiry declares dead only if still suspect since the same time', () => {
    const t = table()
    t.alive(alive('a', 1), 0)
    t.suspect({ node: 'a', incarnation: 1, from: 'x' }, 10)
    expect(t.suspicionExpired('a', 9, 100).result).toBe('ignored')
    const o = t.suspicionExpired('a', 10, 100)
    expect(o.result).toBe('accepted')
    expect(o.broadcast).toMatchObject({ type: 'dead', msg: { node: 'a', from: 'self' } })
    expect(t.get('a')?.state).toBe('dead')
  })
})

describe('NodeTable merge (push/pull)', () => {
  const st = (name: string, state: PushNodeState['state'], incarnation = 1): PushNodeState => ({ name, state, incarnation, addr: addr(name.charCodeAt(0)), port: 7946, meta, vsn: DEFAULT_VSN })

  it('never kills directly: remote dead and suspect become suspect; left becomes left', () => {
    const t = table()
    for (const n of ['a', 'b', 'c']) t.alive({ ...alive(n, 1), addr: addr(n.charCodeAt(0)) }, 0)
    t.merge([st('a', 'dead'), st('b', 'suspect'), st('c', 'left'), st('d', 'alive')], 5)
    expect(t.get('a')?.state).toBe('suspect')
    expect(t.get('b')?.state).toBe('suspect')
    expect(t.get('c')?.state).toBe('left')
    expect(t.get('d')?.state).toBe('alive')
    expect(t.suspicionOf('a')?.from).toBe('self')
  })

  it('refutes a remote view that has us dead', () => {
    const t = table()
    const [o] = t.merge([{ ...st('self', 'dead', 1), addr: addr(1) }], 0)
    expect(o?.result).toBe('refuted')
  })

  it('exports every node including non-alive ones', () => {
    const t = table()
    t.alive(alive('a', 1), 0)
    t.dead({ node: 'a', incarnation: 1, from: 'x' }, 1)
    expect(t.localState().map((s) => [s.name, s.state])).toEqual(expect.arrayContaining([['self', 'alive'], ['a', 'dead']]))
  })

  it('removes dead nodes after gossipToTheDead', () => {
    const t = table()
    t.alive(alive('a', 1), 0)
    t.dead({ node: 'a', incarnation: 1, from: 'x' }, 1000)
    expect(t.removeExpiredDead(2000, 30_000)).toEqual([])
    expect(t.removeExpiredDead(32_000, 30_000)).toEqual(['a'])
    expect(t.get('a')).toBeUndefined()
    expect(t.probeList.size()).toBe(1)
  })
})

describe('verifyProtocol', () => {
  const n = (vsn: number[], state: PushNodeState['state'] = 'alive') => ({ state, vsn: Uint8Array.from(vsn) })
  it.each([
    ['compatible', [[1, 5, 2, 2, 5, 5]], [[1, 5, 2, 2, 5, 4]], undefined],
    ['pcur above a peer max', [[1, 5, 5, 2, 5, 5]], [[1, 3, 2, 2, 5, 5]], 'protocol'],
    ['empty vsn counted as 0', [[1, 5, 2, 2, 5, 5]], [[]], 'protocol'],
    ['dead peers do not count', [[1, 5, 2, 2, 5, 5]], [[1, 1, 1, 1, 1, 1, 9]], undefined],
  ])('%s', (_name, local, remote, expected) => {
    const remoteStates = remote.map((v, i) => ({ name: `r${i}`, addr: addr(i), port: 1, meta, incarnation: 1, state: (v.length === 7 ? 'dead' : 'alive') as PushNodeState['state'], vsn: Uint8Array.from(v.slice(0, 6)) }))
    const r = verifyProtocol(local.map((v) => n(v)), remoteStates)
    if (expected === undefined) expect(r).toBeUndefined()
    else expect(r).toContain(expected)
  })
})

describe('NodeTable suspect at a higher incarnation than a running suspicion', () => {
  function suspected(refresh: boolean): NodeTable {
    const t = table(0, refresh)
    for (const [i, n] of ['a', 'b', 'c', 'd'].entries()) t.alive(alive(n, 1, i + 2), 0)
    // We suspect a@3; a refutes with alive@4, which we miss.
    t.alive(alive('a', 3), 0)
    expect(t.suspect({ incarnation: 3, node: 'a', from: 'b' }, 1_000).result).toBe('accepted')
    return t
  }

  it("memberlist's rule: counts it as a confirmation of the stale suspicion (spec §4.6)", () => {
    const t = suspected(false)
    const o = t.suspect({ incarnation: 4, node: 'a', from: 'c' }, 9_000)
    expect(o.result).toBe('confirmed')
    expect(t.get('a')).toMatchObject({ state: 'suspect', incarnation: 3, stateChangeMs: 1_000 })
    expect(t.suspicionOf('a')!.getConfirmations()).toBe(1)
  })

  it('staleSuspicionRefresh: restarts the suspicion at the new incarnation, timer from now', () => {
    const t = suspected(true)
    const o = t.suspect({ incarnation: 4, node: 'a', from: 'c' }, 9_000)
    expect(o.result).toBe('accepted')
    expect(o.suspicion).toMatchObject({ node: 'a', startMs: 9_000 })
    expect(t.get('a')).toMatchObject({ state: 'suspect', incarnation: 4, stateChangeMs: 9_000 })
    expect(t.suspicionOf('a')!.getConfirmations()).toBe(0)
    // The stale timer (started at 1 000) no longer applies.
    expect(t.suspicionExpired('a', 1_000, 30_000).result).toBe('ignored')
    // Same incarnation: still an ordinary confirmation.
    expect(t.suspect({ incarnation: 4, node: 'a', from: 'd' }, 9_500).result).toBe('confirmed')
  })
})
