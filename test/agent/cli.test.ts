import { describe, expect, it } from 'vitest'
import { main, registeredVerbs } from '../../src/cli/main.ts'
import { memoryIo } from '../../src/cli/io.ts'

describe('agent - cli', () => {
  it('is a registered verb', () => {
    expect(registeredVerbs()).toContain('agent')
  })

  it('exits 1 with Serf\'s text on a bad config, through the gossamer command', async () => {
    const io = memoryIo()
    expect(await main(['agent', '-profile=foo'], io)).toBe(1)
    expect(io.stdout).toEqual(['==> Unknown profile: foo'])
  })

  it('prints its help on stderr for -h and exits 0', async () => {
    const io = memoryIo()
    expect(await main(['agent', '-h'], io)).toBe(0)
    expect(io.stderr[0]).toMatch(/^Usage: gossamer agent \[options\]/)
  })
})
