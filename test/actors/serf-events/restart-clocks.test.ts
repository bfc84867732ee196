/**
 * serf-events is not persisted: a crash restarts it from its spawn input. Its Lamport clocks must
 * not go back with it, or its next user event would reuse an LTime the cluster has seen (peers'
 * dedupe rings drop it) and retransmitted copies of events it delivered would be delivered again.
 * member-manager keeps the clocks of the last push/pull slice serf-events told it and hands them
 * back with the member table serf-events asks for at start.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, SimulatedClock, defineActor } from '../../../src/runtime/index.ts'
import type { ActorEnv } from '../../../src/types/actor-env.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { serfEvents } from '../../../actors/serf-events/definition.ts'
import { createSerfEventsMachine } from '../../../actors/serf-events/machine.ts'
import { encodeSerfMessage } from '../../../src/wire/serf.ts'
import { node } from '../member-manager/fixtures.ts'

/** A send to this id throws inside serf-events' action while `armed`: a machine crash, restarted in place. */
const CRASH = '$crash-serf-events'
let armed = false
const crashable = defineActor({
  name: 'serf-events',
  machine: (env: ActorEnv) =>
    createSerfEventsMachine({
      ...env,
      send: (to, msg) => {
        if (to === CRASH && armed) throw new Error('serf-events crashed on purpose (test hook)')
        return env.send(to, msg)
      },
    }),
  ...(serfEvents.validate === undefined ? {} : { validate: serfEvents.validate }),
})

let system: ActorSystem | undefined
afterEach(async () => {
  armed = false
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

async function until(check: () => boolean | Promise<boolean>, clock: SimulatedClock): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await clock.advance(10)
  }
  throw new Error('condition not met in time')
}

describe('serf-events restarted after a crash', () => {
  it('keeps its clocks ahead of every LTime it used, and does not deliver an event it delivered', async () => {
    const clock = new SimulatedClock()
    system = await ActorSystem.start({ logLevel: 'silent', seed: 9, clock })
    await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'inline' })
    const mm = await system.spawn(memberManager, {
      id: 'member-manager',
      placement: 'inline',
      input: { config: { nodeName: 'self' }, peers: { gossipQueue: 'gossip-queue', serfEvents: 'serf-events' } },
      dependsOn: ['gossip-queue'],
    })
    mm.send({ type: 'member.node-joined', node: node('self', {}, 7946) })
    // Its snapshot records go to the crash hook (harmless while it is not armed: counted undelivered).
    const se = await system.spawn(crashable, { id: 'serf-events', placement: 'inline', input: { nodeName: 'self', peers: { snapshotter: CRASH } }, dependsOn: ['member-manager'] })
    const delivered: string[] = []
    se.on('serf.user-event', (e) => void delivered.push(`${e.name}@${e.ltime}`))
    await system.sync()

    let last = 0n
    for (let i = 0; i < 3; i++) last = (await se.ask({ type: 'serf.user-event', name: 'deploy', payload: Uint8Array.of(i), coalesce: false })).ltime
    // A peer's event at LTime 10, delivered once.
    const peerEvent = encodeSerfMessage({ type: 'userEvent', LTime: 10n, Name: 'peer', Payload: Uint8Array.of(7), CC: false })
    se.send({ type: 'serf.message', bytes: peerEvent, from: '10.0.0.2:7946' })
    await until(() => delivered.includes('peer@10'), clock)
    // member-manager holds the latest slice (its push/pull carries EventLTime 11 now).
    await until(async () => (await mm.ask({ type: 'member.members' })).eventClocks?.eventLTime === 11n, clock)

    const restartsBefore = (await system.stats()).find((a) => a.id === 'serf-events')!.restarts
    armed = true
    // The crashing turn never answers: its ask fails on the simulated clock, which `until` advances.
    void se.ask({ type: 'serf.user-event', name: 'boom', payload: null, coalesce: false }).catch(() => undefined)
    await until(async () => (await system!.stats()).find((a) => a.id === 'serf-events')!.restarts > restartsBefore, clock)
    armed = false
    // Past the supervisor's restart backoff, and the start's ask of member-manager answered.
    await clock.advance(5_000)
    await until(async () => (await se.ask({ type: 'serf.stats' })).members === 1, clock)

    const after = (await se.ask({ type: 'serf.user-event', name: 'deploy', payload: Uint8Array.of(9), coalesce: false })).ltime
    expect(after).toBeGreaterThan(last)
    expect(after).toBeGreaterThan(10n)
    // A retransmitted copy of the peer's event is not delivered a second time.
    se.send({ type: 'serf.message', bytes: peerEvent, from: '10.0.0.3:7946' })
    await system.sync()
    await clock.advance(100)
    expect(delivered.filter((d) => d === 'peer@10')).toHaveLength(1)
    const stats = await se.ask({ type: 'serf.stats' })
    expect((stats.counters['actor'] as Record<string, number>)['clocksRestored']).toBe(1)
  })
})
