import { describe, expect, it } from 'vitest'
import { Watermarks } from '../../../actors/snapshotter/watermarks.ts'

describe('snapshotter - watermarks', () => {
  it('releases waiters in order of their count, whatever order they came in', async () => {
    const m = new Watermarks()
    const order: number[] = []
    for (const t of [3, 1, 5, 2]) void m.wait(t).then(() => order.push(t))
    m.written = 2
    expect(m.syncWouldRelease()).toBe(true)
    m.durable = 2
    m.settle()
    await Promise.resolve()
    expect(order).toEqual([1, 2])
    expect(m.waiting).toBe(2)
    m.written = m.durable = 5
    m.settle()
    await Promise.resolve()
    expect(order).toEqual([1, 2, 3, 5])
    expect(m.waiting).toBe(0)
  })

  it('refuses waiters past its bound with a coded error', async () => {
    const m = new Watermarks(2)
    const a = m.wait(1)
    const b = m.wait(1)
    await expect(m.wait(1)).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_TOO_MANY_WAITERS' })
    m.rejectAll(new Error('done'))
    await expect(a).rejects.toThrow('done')
    await expect(b).rejects.toThrow('done')
  })
})
