/**
 * Bench harness for the snapshotter: the real actor (pure machine + implementations + writer) run
 * on the actor runtime, inline on this thread, over the real disk in a temp directory.
 */
import { ActorSystem } from '../../src/runtime/index.ts'
import { defineActor } from '../../src/runtime/define-actor.ts'
import { snapshotter } from '../../actors/snapshotter/definition.ts'
import { createSnapshotterImplementations, writerOf, type SnapshotterPlatform } from '../../actors/snapshotter/implementations.ts'
import { nodeDisk } from '../../actors/snapshotter/io/node-disk.ts'
import type { SnapshotterInput } from '../../actors/snapshotter/protocol.ts'
import type { ActorEnv } from '../../src/types/actor-env.ts'

/** The snapshotter without its `coalesce` opt-in: one machine event per record message (`--no-coalesce`). */
const { coalesce: _coalesce, ...uncoalescedSpec } = snapshotter
export const uncoalescedSnapshotter = defineActor(uncoalescedSpec)

/**
 * The real actor on the actor runtime, inline on this thread (the runtime's mailbox and delivery,
 * so the definition's `coalesce` applies as it does in production), over the real disk. The mailbox
 * is large (65,536): the steady phase sends 50 records per ms and a stall of a second must queue,
 * not be refused. `coalesce: false` spawns the definition without the opt-in.
 */
export async function startSnapshotter(input: SnapshotterInput, observe: SnapshotterPlatform['observe'] = {}, options: { coalesce?: boolean } = {}) {
  const platform: SnapshotterPlatform = { disk: nodeDisk(), defer: (fn) => void setImmediate(fn), now: () => performance.now(), observe }
  const system = await ActorSystem.start({ node: 'bench', logLevel: 'silent', compute: false })
  let env: ActorEnv | undefined
  const def = options.coalesce === false ? uncoalescedSnapshotter : snapshotter
  const ref = await system.spawn(def as typeof snapshotter, {
    id: 'snapshotter',
    placement: 'inline',
    input,
    mailbox: { capacity: 1 << 16 },
    provide: (e) => {
      env = e
      return createSnapshotterImplementations(e, platform)
    },
  })
  await ref.ask({ type: 'snapshot.restore' }, { timeoutMs: 10_000 })
  const stop = async () => {
    await system.shutdown({ drainTimeoutMs: 30_000 })
  }
  return { actor: ref, writer: writerOf(env!)!, stop }
}

/** Weighted percentile over (value, weight) samples. */
export function percentile(samples: Array<[number, number]>, q: number): number {
  if (samples.length === 0) return 0
  const sorted = [...samples].sort((a, b) => a[0] - b[0])
  const total = sorted.reduce((s, [, w]) => s + w, 0)
  const rank = q * total
  let seen = 0
  for (const [v, w] of sorted) {
    seen += w
    if (seen >= rank) return v
  }
  return sorted.at(-1)![0]
}

export const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits
export const nextTurn = () => new Promise<void>((r) => setImmediate(r))
