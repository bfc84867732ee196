/**
 * memberlist's log lines from swim (output-route.ts), through the swim machine on the simulated
 * clock: a failed probe of ours, a death we declare (with its confirmations) and a refutation, in
 * memberlist's words, under the `memberlist` subsystem, as a `serf agent` prints them.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { machineNodes } from './support/machine-nodes.ts'
import type { MachineNode } from './support/machine-nodes.ts'
import { refutationLine } from '../../../actors/swim/output-route.ts'

let h: ReturnType<typeof machineNodes> | undefined
afterEach(() => {
  h?.shutdown()
  h = undefined
})

const lines = (n: MachineNode, level: string) => n.logged.filter((l) => l.level === level && (l.obj as { subsystem?: string }).subsystem === 'memberlist').map((l) => l.msg)

describe("swim's memberlist log lines", () => {
  it('a member cut off: its probers log the failed probe and the declaration with its confirmations; back, the members it suspected log their refutations', async () => {
    h = machineNodes(3)
    const nodes = [1, 2, 3, 4].map((i) => h!.add(`n${i}`, i, i === 1 ? {} : { join: ['10.0.0.1:7946'] }))
    await h.clock.advance(5_000)
    const [n1, n2, n3, n4] = nodes as [MachineNode, MachineNode, MachineNode, MachineNode]
    for (const n of nodes) expect(lines(n, 'info')).toEqual([])
    h.net.setDown(n4.address)
    await h.clock.advance(10_000)
    const others = [n1, n2, n3]
    const info = others.flatMap((n) => lines(n, 'info'))
    // At least one member's own probe failed; lines about members that answered never appear.
    expect(info).toContain('Suspect n4 has failed, no acks received')
    expect(info.filter((m) => m?.startsWith('Suspect ')).every((m) => m === 'Suspect n4 has failed, no acks received')).toBe(true)
    // n = 4: k = 2 confirmations expected (suspicionMult 4 − 2, and n − 2 ≥ 2); the first to declare had them.
    const marks = info.filter((m) => m?.startsWith('Marking '))
    expect(marks.length).toBeGreaterThan(0)
    for (const m of marks) expect(m).toMatch(/^Marking n4 as failed, suspect timeout reached \([12] peer confirmations\)$/)
    expect(marks).toContain('Marking n4 as failed, suspect timeout reached (2 peer confirmations)')
    // The network back. n4 had suspected every other member (its probes failed too, and with nobody
    // to confirm, its timers run toward the 24 s maximum): its pings carry those suspicions (the
    // buddy system), which the others refute.
    h.net.setDown(n4.address, false)
    await h.clock.advance(5_000)
    for (const n of others) expect(lines(n, 'warn')).toContain('Refuting a suspect message (from: n4)')
  })

  it('names what was refuted and who said it, as memberlist does', () => {
    expect(refutationLine({ message: 'suspect', from: 'n4' })).toBe('Refuting a suspect message (from: n4)')
    expect(refutationLine({ message: 'dead', from: 'n2' })).toBe('Refuting a dead message (from: n2)')
    expect(refutationLine({ message: 'alive' })).toBe('Refuting an alive message for ourselves')
    expect(refutationLine(undefined)).toBe('Refuting a message about ourselves')
  })
})
