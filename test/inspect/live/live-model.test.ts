/** The live page's model: state text and lit chart states, the per-actor throttle, folded worker reports, bounds. */
import { describe, expect, it } from 'vitest'
import { LiveModel } from '../../../src/inspect/live/live-model.ts'
import { activeStateIds, pathIndex, stateText } from '../../../src/inspect/live/state-paths.ts'
import { chartGraph } from '../../../src/inspect/chart-graph.ts'
import { loadMachine } from '../../../src/inspect/actor-catalog.ts'
import type { InspectionEvent } from '../../../src/runtime/types.ts'

const ev = (actor: string, event: string, state: unknown, extra: Partial<InspectionEvent> = {}): InspectionEvent => ({ actor, event, state: state as InspectionEvent['state'], at: 1, placement: 'worker', ...extra })

describe('state paths', () => {
  it('writes nested and parallel values as one line and lights the chart ids of member-manager', async () => {
    const value = { running: { lifecycle: 'alive', reaper: 'waiting', reconnector: 'waiting' } }
    expect(stateText(value)).toBe('running.lifecycle.alive, reaper.waiting, reconnector.waiting')
    expect(stateText('idle')).toBe('idle')
    const index = pathIndex(chartGraph('member-manager', await loadMachine('member-manager')))
    expect(activeStateIds(value, index)).toEqual([
      'member-manager.running',
      'member-manager.running.lifecycle',
      'member-manager.running.lifecycle.alive',
      'member-manager.running.reaper',
      'member-manager.running.reaper.waiting',
      'member-manager.running.reconnector',
      'member-manager.running.reconnector.waiting',
    ])
    expect(activeStateIds('no-such-state', index)).toEqual([])
  })
})

describe('LiveModel', () => {
  const limits = { transitionsKept: 5, perActorPerFlush: 3, maxActors: 2 }

  it('lists at most perActorPerFlush transitions an actor a flush, the newest last with what it skipped', () => {
    const m = new LiveModel(limits)
    for (let i = 0; i < 10; i++) m.observe(ev('a', `e${i}`, `s${i}`))
    const u = m.flush()!
    expect(u.transitions.map((t) => [t.event, t.skipped ?? 0])).toEqual([['e0', 0], ['e1', 0], ['e9', 7]])
    expect(u.actors).toEqual([expect.objectContaining({ id: 'a', state: 's9', transitions: 10, event: 'e9' })])
    expect(u.coalesced).toBe(7)
    expect(m.flush()).toBeUndefined()
  })

  it('counts what a worker folded (skipped) as transitions and as coalesced', () => {
    const m = new LiveModel(limits)
    m.observe(ev('a', 'x', 'on', { skipped: 99 }))
    const u = m.flush()!
    expect(u.actors[0]!.transitions).toBe(100)
    expect(u.transitions[0]!.skipped).toBe(99)
    expect(m.stats).toEqual({ observed: 100, coalesced: 99, untracked: 0 })
  })

  it('keeps the newest transitionsKept, tracks at most maxActors and counts the rest', () => {
    const m = new LiveModel(limits)
    for (let i = 0; i < 4; i++) {
      m.observe(ev('a', `a${i}`, 'on'))
      m.observe(ev('b', `b${i}`, 'on'))
      m.observe(ev('c', `c${i}`, 'on'))
      m.flush()
    }
    expect(m.transitions().map((t) => t.event)).toEqual(['b1', 'a2', 'b2', 'a3', 'b3'])
    expect(m.sizes()).toEqual({ actors: 2, kept: 5, pending: 0 })
    expect(m.stats.untracked).toBe(4)
  })

  it('a state read at start does not overwrite a newer transition', () => {
    const m = new LiveModel(limits)
    m.observe(ev('a', 'go', 'running'))
    m.seed('a', 'starting')
    m.seed('b', 'idle')
    expect(m.actors().map((a) => [a.id, a.state])).toEqual([['a', 'running'], ['b', 'idle']])
    m.unseen()
    m.seed('a', 'stopped')
    expect(m.actors()[0]!.state).toBe('stopped')
  })
})
