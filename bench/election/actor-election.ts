/**
 * `ActorElection`: the ElectionBackend interface over one election actor (its asks, its emitted
 * changes), so the compliance suite (test/actors/election/compliance.ts) and the simulator benches
 * drive the real actor as they would a backend.
 */
import { ClusterError } from '../../src/errors/index.ts'
import type { ElectionBackend, LeaderChange, LeaderView } from '../../actors/election/backend.ts'
import type { ElectionChangedMsg, ElectionInbound, ElectionResultReply } from '../../actors/election/protocol.ts'
import type { Term } from '../../actors/election/term.ts'

export type ElectionRef = {
  id: string
  send(msg: ElectionInbound): unknown
  ask(msg: object, options?: { timeoutMs?: number }): Promise<unknown>
  on(type: 'election.changed', handler: (e: ElectionChangedMsg) => void): () => void
  events(type: 'election.changed', options?: { signal?: AbortSignal; bufferSize?: number }): AsyncIterable<ElectionChangedMsg>
  stop(): Promise<void>
  getSnapshot(): Promise<{ context: unknown }>
}

const LONG = 24 * 3600 * 1000

/** The ElectionBackend interface over one election actor (its asks, its emitted changes). */
export class ActorElection implements ElectionBackend {
  readonly kind = 'membership'
  private readonly views = new Map<string, LeaderView>()
  private readonly off: () => void
  constructor(
    readonly self: string,
    readonly ref: ElectionRef,
  ) {
    this.off = ref.on('election.changed', (e) => {
      const { reason: _r, at: _a, ...view } = e.change
      this.views.set(e.change.group, view)
    })
  }

  private async result(msg: object): Promise<ElectionResultReply> {
    const r = (await this.ref.ask(msg, { timeoutMs: LONG })) as ElectionResultReply
    if (!r.ok) throw new ClusterError(r.error?.code ?? 'ERR_ELECTION_UNKNOWN', r.error?.message ?? 'refused')
    return r
  }

  async campaign(group: string, options: { signal?: AbortSignal } = {}): Promise<Term> {
    const signal = options.signal
    if (signal?.aborted) throw new ClusterError('ERR_ELECTION_ABORTED', 'aborted before it began')
    const won = this.result({ type: 'election.campaign', group })
    if (signal === undefined) return (await won).term as Term
    return await new Promise<Term>((resolve, reject) => {
      const onAbort = () => {
        // Stops standing: the waiting ask is answered ERR_ELECTION_ABORTED by the resign.
        this.ref.send({ type: 'election.resign', group })
        reject(new ClusterError('ERR_ELECTION_ABORTED', 'the campaign was aborted'))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      won.then(
        (r) => {
          signal.removeEventListener('abort', onAbort)
          resolve(r.term as Term)
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(err)
        },
      )
    })
  }

  async resign(group: string): Promise<void> {
    await this.result({ type: 'election.resign', group })
  }

  view(group: string): LeaderView {
    return this.views.get(group) ?? { group, leader: null, term: 0 as Term, isSelf: false }
  }

  async *changes(group: string, options: { signal?: AbortSignal; bufferSize?: number } = {}): AsyncIterable<LeaderChange> {
    for await (const e of this.ref.events('election.changed', options)) if (e.change.group === group) yield e.change
  }

  async fence(group: string, term: Term): Promise<void> {
    await this.result({ type: 'election.fence', group, term })
  }

  async close(): Promise<void> {
    this.off()
    await this.ref.stop()
  }
}
