import { describe, expect, it } from 'vitest'
import { actorLogger, rootLogger } from '../../src/logging/index.ts'

describe('logging', () => {
  it('gives each actor a child of the thread root with { node, actor } bindings', () => {
    const lines: string[] = []
    const root = rootLogger({ node: 'n1', level: 'info', destination: { write: (s: string) => void lines.push(s) } })
    actorLogger(root, 'swim').warn({ peer: 'n2' }, 'probe timed out')
    const rec = JSON.parse(lines[0]!)
    expect(rec).toMatchObject({ node: 'n1', actor: 'swim', peer: 'n2', msg: 'probe timed out', level: 40 })
  })

  it('reuses one root per thread for the same node and level', () => {
    expect(rootLogger({ node: 'x', level: 'silent' })).toBe(rootLogger({ node: 'x', level: 'silent' }))
  })
})
