import { describe, expect, it } from 'vitest'
import { MAX_LINE, TimedLines } from './timed-lines.ts'

describe('TimedLines: an agent output read as stamped lines', () => {
  it('stamps a line split across chunks when its end arrives, and skips blank lines', () => {
    const t = new TimedLines()
    t.push('    [INFO] memberlist: Suspect b has ', 10)
    t.push('failed, no acks received\n\n    [INFO] serf: Event', 25)
    t.push('MemberFailed: b 127.0.0.1\n', 40)
    expect(t.since(0, '')).toEqual([
      { at: 25, text: '    [INFO] memberlist: Suspect b has failed, no acks received' },
      { at: 40, text: '    [INFO] serf: EventMemberFailed: b 127.0.0.1' },
    ])
  })

  it('finds the lines that came at or after a time and hold a text', () => {
    const t = new TimedLines()
    t.push('Suspect b has failed\nSuspect c has failed\n', 5)
    t.push('Marking b as failed\nSuspect b has failed\n', 9)
    expect(t.since(0, 'Suspect b').map((l) => l.at)).toEqual([5, 9])
    expect(t.since(6, 'Suspect b').map((l) => l.at)).toEqual([9])
    expect(t.since(6, 'Suspect c')).toEqual([])
  })

  it('keeps only the last lines', () => {
    const t = new TimedLines(3)
    for (let i = 0; i < 5; i++) t.push(`line ${i}\n`, i)
    expect(t.since(0, 'line').map((l) => l.text)).toEqual(['line 2', 'line 3', 'line 4'])
  })

  it('cuts output that never ends its line into lines of MAX_LINE, holding no more', () => {
    const t = new TimedLines()
    t.push('x'.repeat(MAX_LINE * 2 + 5), 1)
    t.push('y\n', 2)
    expect(t.since(0, '').map((l) => [l.at, l.text.length])).toEqual([[1, MAX_LINE], [1, MAX_LINE], [2, 6]])
  })
})
