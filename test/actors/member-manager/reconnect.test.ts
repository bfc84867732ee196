import { describe, expect, it } from 'vitest'
import { chooseReconnect } from '../../../actors/member-manager/reconnect.ts'
import { node, table } from './fixtures.ts'

/** A random source that returns the given draws in order. */
function draws(next: number[], ints: number[] = []) {
  return { next: () => next.shift()!, int: (n: number) => Math.min(n - 1, ints.shift() ?? 0) }
}

describe('chooseReconnect', () => {
  it('does nothing without failed members', () => {
    const { t } = table()
    t.nodeJoined(node('a'), 0)
    expect(chooseReconnect(t, draws([0]))).toEqual({ target: undefined, probability: 0 })
  })

  it('uses probability numFailed / numAlive with numAlive = members − failed − left', () => {
    const { t } = table()
    for (const n of ['a', 'b', 'c', 'd', 'e']) t.nodeJoined(node(n), 0)
    t.nodeLeft(node('a'), 0) // failed
    t.leaveIntent('b', 1n, false, 0)
    t.nodeLeft(node('b'), 0) // left
    // 1 failed, alive = 5 − 1 − 1 = 3
    expect(chooseReconnect(t, draws([0.34])).target).toBeUndefined()
    const hit = chooseReconnect(t, draws([0.33]))
    expect(hit.probability).toBeCloseTo(1 / 3)
    expect(hit.target?.name).toBe('a')
  })

  it('guards numAlive at 1 and picks among failed members in failure order', () => {
    const { t } = table()
    for (const n of ['x', 'y']) t.nodeJoined(node(n), 0)
    t.nodeLeft(node('y'), 1)
    t.nodeLeft(node('x'), 2)
    const r = chooseReconnect(t, draws([0.99], [1]))
    expect(r.probability).toBe(2)
    expect(r.target?.name).toBe('x') // index 1 of [y, x]
  })
})
