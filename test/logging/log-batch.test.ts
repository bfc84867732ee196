/**
 * LogBatch (a worker's pino destination under a system log sink): lines posted once per turn in
 * order, at most `linesPerSecond` per second of the clock, the rest dropped and counted with the
 * next post; and recordOfLine, which turns a pino line into the sink's record.
 */
import { describe, expect, it } from 'vitest'
import { LogBatch, type LogBatchPost } from '../../src/logging/log-batch.ts'
import { levelName, recordOfLine } from '../../src/logging/log-record.ts'

const turn = () => new Promise((r) => setImmediate(r))

describe('LogBatch', () => {
  it('posts the lines of one turn as one batch, in order', async () => {
    const posts: LogBatchPost[] = []
    const batch = new LogBatch((b) => posts.push(b), 100, () => 0)
    batch.write('a')
    batch.write('b')
    expect(posts).toEqual([])
    await turn()
    expect(posts).toEqual([{ lines: ['a', 'b'], dropped: 0 }])
    await turn()
    expect(posts).toHaveLength(1)
  })

  it('drops past linesPerSecond within one second and counts the drops, then opens the next second', async () => {
    let now = 5_000
    const posts: LogBatchPost[] = []
    const batch = new LogBatch((b) => posts.push(b), 3, () => now)
    for (let i = 0; i < 10; i++) batch.write(`l${i}`)
    await turn()
    expect(posts).toEqual([{ lines: ['l0', 'l1', 'l2'], dropped: 7 }])
    // Same second: everything is over the bound, the drops still travel.
    batch.write('late')
    await turn()
    expect(posts[1]).toEqual({ lines: [], dropped: 1 })
    now = 6_000
    batch.write('next')
    batch.flush()
    expect(posts[2]).toEqual({ lines: ['next'], dropped: 0 })
    expect(batch.droppedTotal).toBe(8)
  })
})

describe('recordOfLine', () => {
  it("reads pino's JSON line: actor, level name, time, message and every field", () => {
    const line = JSON.stringify({ level: 40, time: 123, node: 'n', actor: 'swim', err: { message: 'x' }, msg: 'swim: join reached no member' })
    expect(recordOfLine(line, 'fallback')).toEqual({
      actor: 'swim',
      level: 'warn',
      time: 123,
      msg: 'swim: join reached no member',
      fields: { level: 40, time: 123, node: 'n', actor: 'swim', err: { message: 'x' }, msg: 'swim: join reached no member' },
    })
  })

  it('keeps a line that is not a JSON object as an info record of its text, under the given actor', () => {
    const r = recordOfLine('plain text\n', 'gq')
    expect(r).toMatchObject({ actor: 'gq', level: 'info', msg: 'plain text', fields: {} })
  })

  it("names pino's numeric levels", () => {
    expect([10, 20, 30, 40, 50, 60].map(levelName)).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
  })
})
