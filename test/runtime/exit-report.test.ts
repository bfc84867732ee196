/**
 * Exit reports beyond the machine's own: a failing `onStop` and a throwing `exitReport` reader each
 * make the shutdown unclean, with a coded error, instead of being lost in a log line.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../src/runtime/index.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import { ClusterError } from '../../src/errors/cluster-error.ts'
import { holder } from './support/holder/definition.ts'

describe('exit reports', () => {
  let system: ActorSystem | undefined
  afterEach(async () => {
    await system?.shutdown({ drainTimeoutMs: 2000 })
    system = undefined
  })

  it('counts a failing onStop as an unclean exit, with its error', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    await system.spawn(holder, {
      id: 'h',
      placement: 'inline',
      onStop: () => {
        throw new ClusterError('ERR_TEST_CLOSE', 'socket would not close')
      },
    })
    const report = await system.shutdown({ drainTimeoutMs: 2000 })
    system = undefined
    expect(report.clean).toBe(false)
    expect(report.exits).toEqual({ h: { clean: false, reason: 'onStop failed', error: { code: 'ERR_TEST_CLOSE', message: 'socket would not close' } } })
  })

  it('keeps the machine’s own reason and count when onStop fails as well', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    const h = await system.spawn(holder, { id: 'h', placement: 'inline', onStop: () => Promise.reject(new ClusterError('ERR_TEST_CLOSE', 'no')) })
    h.send({ type: 'holder.hold' })
    h.send({ type: 'holder.stick', n: 1 })
    const report = await system.shutdown({ drainTimeoutMs: 2000 })
    system = undefined
    expect(report.exits['h']).toEqual({ clean: false, reason: 'held items not delivered', undelivered: 1, error: { code: 'ERR_TEST_CLOSE', message: 'no' } })
  })

  it('counts an exitReport reader that throws as an unclean exit', async () => {
    const broken = defineActor({
      ...holder,
      exitReport: () => {
        throw new ClusterError('ERR_TEST_READ', 'bad reader')
      },
    })
    system = await ActorSystem.start({ logLevel: 'silent' })
    await system.spawn(broken, { id: 'b', placement: 'inline' })
    const report = await system.shutdown({ drainTimeoutMs: 2000 })
    system = undefined
    expect(report).toMatchObject({ clean: false, exits: { b: { clean: false, reason: 'exitReport failed', error: { code: 'ERR_TEST_READ' } } } })
  })
})
