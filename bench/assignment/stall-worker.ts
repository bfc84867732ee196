/**
 * The assignment actor's thread entry for bench/assignment/actor-stall.ts: the actor's own entry
 * (actors/assignment/worker.ts: the same definition and implementations, hosted by the runtime as
 * always), plus an event-loop delay monitor of this thread (perf_hooks, resolution 1 ms),
 * which the bench reads and resets over a BroadcastChannel. What it measures is the loop of the
 * thread the actor runs in, nothing on the system thread. It also times every callback the thread
 * runs (async_hooks before/after): the longest is the actor's own blocking work, without the time
 * the thread waited for a core.
 */
import { createHook } from 'node:async_hooks'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { BroadcastChannel } from 'node:worker_threads'
// The actor's own entry (hosts it in this thread); the monitor below starts right after.
import '../../actors/assignment/worker.ts'
import { LOOP_CHANNEL, LOOP_RESOLUTION_MS, type LoopReading, type LoopRequest } from './loop-channel.ts'

const histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
histogram.enable()
// Callbacks nest (a promise continuation inside a message's callback): a stack of start times.
const starts: number[] = []
let longestTaskMs = 0
createHook({
  before() {
    starts.push(performance.now())
  },
  after() {
    const t = starts.pop()
    if (t !== undefined) longestTaskMs = Math.max(longestTaskMs, performance.now() - t)
  },
}).enable()

const channel = new BroadcastChannel(LOOP_CHANNEL)
channel.unref()
channel.onmessage = (e) => {
  const req = (e as { data: LoopRequest }).data
  if (req.type === 'reset') {
    histogram.reset()
    longestTaskMs = 0
  }
  // The histogram records the whole interval between two ticks (ns): a tick on time is `resolution`.
  const reading: LoopReading = { id: req.id, maxStallMs: Math.max(0, histogram.max / 1e6 - LOOP_RESOLUTION_MS), samples: histogram.count, longestTaskMs }
  channel.postMessage(reading)
}
