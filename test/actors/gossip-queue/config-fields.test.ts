/**
 * gossip-queue's config refuses a config that is not an object (the actor's `config: "x"` once
 * spread into the defaults as a field "0" and ran), misspelled fields and wrong-typed values, and a
 * check interval no Node timer can hold.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createGossipQueueConfig, gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import type { GossipQueueInit } from '../../../actors/gossip-queue/config.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'

function refusal(fn: () => unknown): { field: unknown; message: string } {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError)
    return { field: (err as InvalidConfigError).details?.['field'], message: (err as Error).message }
  }
  throw new Error('the config was accepted')
}

const systems: ActorSystem[] = []
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown()
})

describe('gossip-queue config fields', () => {
  it.each([['x'], [7], [null], [[1]]])('refuses %j as the config', (init) => {
    expect(refusal(() => createGossipQueueConfig(init as GossipQueueInit))).toEqual({
      field: 'gossipQueue',
      message: expect.stringMatching(/^gossipQueue must be an object of config fields \(got .+\)$/),
    })
  })

  it('refuses a misspelled field, suggesting the known one', () => {
    expect(refusal(() => createGossipQueueConfig({ maxQueueDeph: 10 } as GossipQueueInit)).message).toBe(
      'gossipQueue.maxQueueDeph is not a known field; did you mean maxQueueDepth?',
    )
  })

  it('shows the received value and refuses a check interval past a Node timer', () => {
    expect(refusal(() => createGossipQueueConfig({ maxQueueDepth: '10' } as never)).message).toBe('gossipQueue.maxQueueDepth must be a positive integer (got "10")')
    expect(refusal(() => createGossipQueueConfig({ queueCheckIntervalMs: 3e9 })).field).toBe('gossipQueue.queueCheckIntervalMs')
    expect(refusal(() => gossipQueueConfigFor({ retransmitMult: 4, udpBufferSize: 1400, encrypted: 'no' } as never)).message).toBe(
      'swim.encrypted must be true or false (got "no")',
    )
  })

  it('fails the spawn of an actor given config: "x", naming the field', async () => {
    const system = await ActorSystem.start({ logLevel: 'silent', clock: new SimulatedClock() })
    systems.push(system)
    const spawn = system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'inline', input: { config: 'x' as never } })
    await expect(spawn).rejects.toMatchObject({ code: 'ERR_ACTOR_START_FAILED', message: expect.stringContaining('gossipQueue must be an object of config fields (got "x")') })
  })
})
