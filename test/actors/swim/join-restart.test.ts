/**
 * A `swim.join` asked of swim while swim crashes and restarts in place is not left to the asker's
 * timeout (2 × tcpTimeoutMs + 5 s for the node's join, 25 s on LAN): the runtime fails the ask with
 * ERR_ACTOR_CRASHED at the crash, and the caller may join again. (Issue 13 reported a ~25 s wait;
 * not reproduced in either placement: this pins the fast failure on the simulated clock.)
 *
 * Inline swim on the memory network and the simulated clock: a member that accepts the push/pull's
 * stream and never answers keeps the join in flight; a join to an address whose dial throws
 * crashes the machine meanwhile.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Stream } from '../../../src/transport/transport.ts'
import { crashingOpener } from './support/crashing-opener.ts'
import { simNodes } from './support/sim-nodes.ts'
import type { SimNodes } from './support/sim-nodes.ts'

const BOOM = '10.0.0.66:7946'
const SILENT = '10.0.0.9:7946'

let nodes: SimNodes | undefined
afterEach(async () => {
  await nodes?.close()
  nodes = undefined
})

describe('a join in flight when swim restarts', () => {
  it('fails at the crash with ERR_ACTOR_CRASHED, long before the ask times out, and the restarted node joins', async () => {
    nodes = simNodes(41)
    const held: Stream[] = []
    const silent = nodes.net.createTransport(SILENT)
    silent.onStream((s) => void held.push(s))
    await nodes.spawn('n1', 1, { config: { pushPullIntervalMs: 0 } })
    const n2 = await nodes.spawn('n2', 2, { config: { pushPullIntervalMs: 0 } }, { open: crashingOpener(nodes.net, BOOM) })
    await nodes.context(n2, 100)
    let settled: { at: number; value?: unknown; error?: unknown } | undefined
    const asked = nodes.clock.now()
    void n2.ask({ type: 'swim.join', addresses: [SILENT] }, { timeoutMs: 25_000 }).then(
      (value) => void (settled = { at: nodes!.clock.now(), value }),
      (error: unknown) => void (settled = { at: nodes!.clock.now(), error }),
    )
    await nodes.context(n2, 50)
    expect(held.length).toBe(1) // connected: the join waits for the member's state
    expect(settled).toBeUndefined()
    n2.send({ type: 'swim.join', addresses: [BOOM] }) // the dial throws: the machine crashes and restarts in place
    const after = await nodes.context(n2, 100)
    expect(after.restores).toBe(1)
    expect(settled).toBeDefined()
    expect(settled!.at - asked).toBeLessThan(1_000)
    expect(settled!.error).toMatchObject({ code: 'ERR_ACTOR_CRASHED' })
    // The caller joins again, through the restarted node.
    const again = n2.ask({ type: 'swim.join', addresses: ['10.0.0.1:7946'] }, { timeoutMs: 25_000 })
    await nodes.context(n2, 500)
    expect(await again).toMatchObject({ numJoined: 1, errors: [] })
    silent.close()
  })
})
