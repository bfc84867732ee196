/**
 * Child process of the snapshot soak (scripts/fuzz-snapshot.ts): the real snapshotter actor in its
 * own worker thread through the runtime (as a node places it), fed the soak's record stream in
 * bursts, until the parent kills it with SIGKILL. It boots, then waits for `go` on stdin (the
 * parent boots it while the previous run is still going) before it spawns the actor. Every line it prints is handed to the OS before
 * it goes on (a SIGKILL loses what a pipe has not taken):
 *   ready                      the file is replayed, records start
 *   plan <end>                 records up to index <end> (exclusive) may be sent from now on
 *   ask <id>                   snapshot.sync number <id> is asked
 *   ack <id> <durable>         it was answered: records [0, durable) are fsynced
 *   syncerr <id> <code>        it failed with this coded error
 * argv: FILE RUN SEED MEMBERS MAX_BURST
 */
import { ActorSystem } from '../src/runtime/index.ts'
import { snapshotter } from '../actors/snapshotter/definition.ts'
import { nodeSnapshotterIo } from '../actors/snapshotter/io/node-platform.ts'
import { burstSize, recordOf, type StreamShape } from './fuzz-snapshot-stream.ts'

const [file, runText, seedText, membersText, maxBurstText] = process.argv.slice(2)
const shape: StreamShape = { seed: Number(seedText), run: Number(runText), members: Number(membersText) }
const maxBurst = Number(maxBurstText)
/** Records per `snapshot.records` message (each record still counts as one in the watermarks). */
const PER_MESSAGE = 64
/** A sync is asked after every this many records, besides the one at the end of each burst. */
const SYNC_EVERY = 50_000

const say = (line: string) => new Promise<void>((resolve) => process.stdout.write(line + '\n', () => resolve()))

const system = await ActorSystem.start({ node: 'soak', logLevel: 'silent' })
// Booted while the previous run was still going: the file is opened only after the parent's `go`.
await new Promise<void>((resolve) => {
  process.stdin.setEncoding('utf8').on('data', (d: string) => {
    if (d.includes('go')) resolve()
  })
})
const ref = await system.spawn(snapshotter, { id: 'snapshotter', placement: 'worker', input: { path: file!, nodeName: 'soak', durability: 'serf' }, ...nodeSnapshotterIo() })
await ref.ask({ type: 'snapshot.restore' }, { timeoutMs: 60_000 })
await say('ready')

let asked = 0
/** Asks a sync; resolves once its answer is printed. */
async function sync(): Promise<void> {
  const id = ++asked
  await say(`ask ${id}`)
  return ref.ask({ type: 'snapshot.sync' }, { timeoutMs: 120_000 }).then(
    (p) => say(`ack ${id} ${p.durableThrough}`),
    (err: { code?: string }) => say(`syncerr ${id} ${err.code ?? 'ERR_UNKNOWN'}`),
  )
}

let next = 0
for (let burst = 0; ; burst++) {
  const end = next + burstSize(shape, burst, maxBurst)
  await say(`plan ${end}`)
  while (next < end) {
    const n = Math.min(PER_MESSAGE, end - next)
    const records = new Array(n)
    for (let k = 0; k < n; k++) records[k] = recordOf(shape, next + k)
    const before = next
    next += n
    const status = ref.send({ type: 'snapshot.records', records })
    if (status === 'backpressure') await ref.ready()
    else if (status !== 'ok') throw new Error(`send refused: ${status}`)
    if (Math.floor(before / SYNC_EVERY) !== Math.floor(next / SYNC_EVERY)) void sync()
  }
  await sync()
}
