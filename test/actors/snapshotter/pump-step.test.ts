import { describe, expect, it } from 'vitest'
import { nextPumpStep, type PumpFacts } from '../../../actors/snapshotter/pump-step.ts'

const idle: PumpFacts = {
  stopped: false,
  swapReady: false,
  diskError: false,
  retryDue: false,
  dirty: false,
  syncWanted: false,
  syncWouldRelease: false,
  hasWork: false,
  received: 10,
  written: 10,
  durable: 10,
  waiting: 0,
}
const at = (f: Partial<PumpFacts>) => nextPumpStep({ ...idle, ...f })

describe('snapshotter pump decision', () => {
  it('stops when there is nothing to do, or the writer is closed', () => {
    expect(at({})).toBe('stop')
    expect(at({ stopped: true, hasWork: true, swapReady: true })).toBe('stop')
  })

  it('swaps a built compaction in before anything else, even while a write is failing', () => {
    expect(at({ swapReady: true, hasWork: true, dirty: true, syncWanted: true, diskError: true })).toBe('swap')
  })

  it('writes nothing while a write is failing: the repair runs only when its retry timer fired', () => {
    expect(at({ diskError: true, hasWork: true, dirty: true, syncWanted: true })).toBe('stop')
    expect(at({ diskError: true, retryDue: true, hasWork: true })).toBe('repair')
  })

  it('puts a due fsync before the next piece, so a sender that never pauses cannot starve it', () => {
    expect(at({ dirty: true, syncWanted: true, hasWork: true })).toBe('sync')
    expect(at({ dirty: true, syncWouldRelease: true, hasWork: true })).toBe('sync')
    // Nothing written since the last fsync: the piece goes first.
    expect(at({ syncWanted: true, hasWork: true })).toBe('write')
  })

  it('counts records that needed no line as written, then fsyncs what someone waits for', () => {
    expect(at({ written: 7 })).toBe('catch-up')
    expect(at({ dirty: true, waiting: 1 })).toBe('sync')
    expect(at({ durable: 8, waiting: 1 })).toBe('sync')
    // Dirty but nobody asked (the serf policy): no fsync.
    expect(at({ dirty: true })).toBe('stop')
  })
})
