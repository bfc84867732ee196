/**
 * The assignment ACTOR's event-loop stall while it leads a group of P = 100,000 partitions over
 * W = 1,000 workers and its calculator's cold-start computation runs on the system's compute pool
 * (piscina, src/runtime/compute-pool.ts): the actor in its own worker thread (placement 'worker'),
 * the 999 other workers registered as Gossamer messages would register them, then an
 * `election.changed` that makes it the leader with a cold-start window of 0.
 *
 * A first leadership (term 1, cold start over W workers) warms the actor's thread and the pool's
 * (the pool thread starts and loads its modules: that is start-up, not a stall of steady work);
 * then one more worker registers, leadership moves away and back (term 2), and the measured
 * rebalance is the restart from the accepted assignment with the newcomer (restart window 0: no
 * takeover publication first): P = 100,000 over W + 1 computed on the pool as one whole round
 * (strategy, check, move cap, comparison, encoding and this node's own partitions: rebalance.ts
 * computeRound), then published and offered with O(1) work left in the actor's turn.
 *
 * The actor's loop is probed from this thread with back-to-back cheap asks (`assignment.view` of a
 * group it is not in: no work behind the answer), 1 ms apart, from the election change until the
 * actor emits the accepted assignment (computed on the pool, encoded, published and offered to its
 * own worker). A stall of the actor's thread delays the answer to the probe in flight: stall =
 * the slowest probe's round trip minus the median round trip of the same probes with the actor
 * idle (the hop cost: this thread to the actor and back). An upper bound: the probe's round trip
 * also carries any delay of this thread (which relays the pool's request and answer).
 *
 * Measures of one window, in the actor's thread (stall-worker.ts, the bench's entry for that
 * thread: the actor's own entry plus probes of its loop, read and reset over a BroadcastChannel):
 * - the figure: the longest callback the thread ran (async_hooks before/after: a message, a timer,
 *   a promise continuation), i.e. the longest the actor's own work kept its loop from anything else;
 * - its event loop's longest delay (perf_hooks' monitor, 1 ms resolution): that work plus any time
 *   the thread waited for a core. On this 2-core VM a computation in ANY thread of the process
 *   delays an idle thread's timers by several ms (measured: 3-9 ms with the actor doing nothing), so
 *   the run also has a control: the same thread's loop delay, actor idle, while a second pool of
 *   this process computes the same P and W;
 * - from this thread (an upper bound of the delay): the probes above, which also carry any delay of
 *   this thread (it relays the pool's request and answer) and both hops.
 * The loop delay and the probes each have a quiet floor too: as long again right after, all idle.
 */
import { ActorSystem } from '../../src/runtime/index.ts'
import { assignment } from '../../actors/assignment/definition.ts'
import { ASSIGNMENT_TASK } from '../../actors/assignment/compute-task.ts'
import { createAssignmentConfig } from '../../actors/assignment/config.ts'
import { rebalanceRequest } from '../../actors/assignment/rebalance.ts'
import { ComputePool } from '../../src/runtime/compute-pool.ts'
import { encodeGroupMessage } from '../../actors/assignment/group-message.ts'
import type { AssignmentChangedMsg } from '../../actors/assignment/protocol.ts'
import type { Member } from '../../actors/member-manager/protocol.ts'
import type { ElectionChangedMsg } from '../../actors/election/protocol.ts'
import { BroadcastChannel } from 'node:worker_threads'
import { LOOP_CHANNEL, type LoopReading, type LoopRequest } from './loop-channel.ts'

export interface ActorStallRun {
  /** The actor's thread: the longest callback it ran (its own blocking work) while the round was computed (ms). */
  stallMs: number
  /** The actor's thread: its event loop's longest delay in the same window (its work plus waiting for a core, ms). */
  loopDelayMs: number
  /** The loop delay as long again after, actor and pool idle (ms). */
  loopNoiseMs: number
  /**
   * The control: the loop delay of the same thread with the actor idle while a pool in this
   * process computes the same P and W (ms): what the machine alone costs the loop.
   */
  controlLoopDelayMs: number
  /** Slowest probe round trip during the computation, minus the idle median round trip (ms). */
  probeStallMs: number
  maxRttMs: number
  idleMedianRttMs: number
  probes: number
  /** The probe measure over as long again with the actor idle (the machine's noise floor, ms). */
  noiseMs: number
  /** From the election change to the emitted assignment (ms). */
  windowMs: number
  /** Computations the measured leadership's calculator sent to the pool (1 expected: its restart round). */
  offloaded: number
}

const member = (name: string): Member => ({ name, addr: Uint8Array.of(127, 0, 0, 1), port: 7946, tags: {}, status: 'alive', protocolMin: 2, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 })

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** This thread's end of stall-worker.ts's channel: one request at a time, answered by id. */
class LoopMonitor {
  readonly #channel = new BroadcastChannel(LOOP_CHANNEL)
  #seq = 0
  request(type: LoopRequest['type']): Promise<LoopReading> {
    const id = ++this.#seq
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the actor's thread did not answer the loop ${type} in 10 s`)), 10_000)
      this.#channel.onmessage = (e) => {
        const reading = (e as { data: LoopReading }).data
        if (reading.id !== id) return
        clearTimeout(timer)
        resolve(reading)
      }
      this.#channel.postMessage({ type, id } satisfies LoopRequest)
    })
  }
  close(): void {
    this.#channel.close()
  }
}

/** The assignment actor with stall-worker.ts as its thread's entry (the same definition otherwise). */
const monitored = { ...assignment, worker: new URL('./stall-worker.ts', import.meta.url) }

export async function actorStall(run: number, partitions = 100_000, workers = 1_000): Promise<ActorStallRun> {
  const system = await ActorSystem.start({ logLevel: 'silent', compute: { maxThreads: 1, idleTimeoutMs: 30_000 } })
  const loop = new LoopMonitor()
  try {
    const ref = await system.spawn(monitored, {
      id: 'assignment',
      placement: 'worker',
      input: { self: 'w-0', calculator: { coldStartWindowMs: 0, plannedScaleWindowMs: 0, restartWindowMs: 0 }, peers: { swim: 'none', election: 'none' } },
    })
    const probe = async (): Promise<number> => {
      const t = performance.now()
      await ref.ask({ type: 'assignment.view', group: 'probe' }, { timeoutMs: 30_000 })
      return performance.now() - t
    }
    const group = 'bench'
    await ref.ask({ type: 'assignment.register', group, partitions })
    const others = Array.from({ length: workers - 1 }, (_, i) => `w-${i + 1}`)
    // Plain members (no gossamer tag): the publication is offered to the actor's own worker only,
    // so the window measures the computation and one encode, not 999 sends.
    ref.send({ type: 'member.event', event: 'member-join', members: others.map(member) })
    const body = (sender: string) => encodeGroupMessage({ kind: 'register', group, sender, registration: { partitions, strategy: 'consistent-hash', weight: 1 } })
    for (const from of others) ref.send({ type: 'gossamer.message', from, channel: 'assignment', body: body(from) })
    let version = 0
    ref.on('assignment.changed', (e) => {
      const a = (e as AssignmentChangedMsg).assignment
      if (a.group === group) version = a.version
    })
    await system.sync()
    const leadFor = (term: number, isSelf: boolean) =>
      ref.send({ type: 'election.changed', change: { group, leader: isSelf ? 'w-0' : null, term: term as ElectionChangedMsg['change']['term'], isSelf, reason: isSelf ? 'elected' : 'vacant', at: 0 } })
    // Warm-up: the first leadership's cold start.
    leadFor(2 * run + 1, true)
    while (version === 0) await new Promise((r) => setTimeout(r, 5))
    leadFor(2 * run + 1, false)
    const newcomer = `w-${workers}`
    ref.send({ type: 'member.event', event: 'member-join', members: [member(newcomer)] })
    ref.send({ type: 'gossamer.message', from: newcomer, channel: 'assignment', body: body(newcomer) })
    for (let i = 0; i < 20; i++) await probe()
    const idle: number[] = []
    for (let i = 0; i < 50; i++) {
      idle.push(await probe())
      await new Promise((r) => setTimeout(r, 1))
    }
    const before = version
    await loop.request('reset')
    const start = performance.now()
    leadFor(2 * run + 2, true)
    const rtts: number[] = []
    while (version === before) {
      rtts.push(await probe())
      await new Promise((r) => setTimeout(r, 1))
    }
    const windowMs = performance.now() - start
    const inThread = await loop.request('read')
    // The same measures for as long again with the actor idle: the machine's own noise (descheduling).
    await loop.request('reset')
    const quiet: number[] = []
    const quietEnd = performance.now() + windowMs
    while (performance.now() < quietEnd) {
      quiet.push(await probe())
      await new Promise((r) => setTimeout(r, 1))
    }
    const quietLoop = await loop.request('read')
    // The control: the actor idle, the same computation on a pool of this process (as many threads).
    const controlRequest = rebalanceRequest(createAssignmentConfig({ partitions }), [...others, newcomer, 'w-0'].map((id) => ({ id, weight: 1 })), undefined, 1)
    const control = new ComputePool({ maxThreads: 1 })
    let controlLoop: LoopReading
    try {
      await control.run(ASSIGNMENT_TASK, controlRequest)
      await loop.request('reset')
      await control.run(ASSIGNMENT_TASK, controlRequest)
      controlLoop = await loop.request('read')
    } finally {
      await control.destroy()
    }
    const view = await ref.ask({ type: 'assignment.view', group })
    const idleMedian = median(idle)
    const maxRtt = Math.max(...rtts)
    return {
      stallMs: inThread.longestTaskMs,
      loopDelayMs: inThread.maxStallMs,
      loopNoiseMs: quietLoop.maxStallMs,
      controlLoopDelayMs: controlLoop.maxStallMs,
      probeStallMs: Math.max(0, maxRtt - idleMedian),
      maxRttMs: maxRtt,
      idleMedianRttMs: idleMedian,
      noiseMs: Math.max(0, Math.max(...quiet) - idleMedian),
      probes: rtts.length,
      windowMs,
      offloaded: view.calculator?.computeOffloaded ?? 0,
    }
  } finally {
    loop.close()
    await system.shutdown({ drainTimeoutMs: 5_000 })
  }
}

