/**
 * The election actor's backend in its thread (the placement's implementations for the machine):
 * opens the nats backend (io/nats-election.ts) into the actor's resource slot, released (the lease
 * given up, the connection closed) when the actor stops for good; runs the backend operations the
 * core asks for and sends their outcomes and the followed groups' changes back as messages.
 */
import { toWireError } from '../../../src/errors/index.ts'
import type { ActorEnv } from '../../../src/types/actor-env.ts'
import { actorAddress } from '../../../src/types/actor-env.ts'
import { ClusterError } from '../../../src/errors/index.ts'
import type { ElectionBackend } from '../backend.ts'
import type { BackendAction, OpenBackendAction } from '../machine.ts'
import type { ElectionInbound } from '../protocol.ts'
import type { Term } from '../term.ts'
import { createNatsElection } from './nats-election.ts'

const SLOT = 'election-backend'

/** `provide` for the election actor with the nats backend (or `open`, e.g. a backend over a simulated KV). */
export function provideElectionBackend(open: (self: string, input: Parameters<OpenBackendAction>[1]['input']) => Promise<ElectionBackend> = (self, input) => createNatsElection(self, input.nats!) /* checkElectionInput: required for nats */) {
  return (env: ActorEnv) => {
    const self = actorAddress<ElectionInbound>(env.id)
    const tell = (msg: ElectionInbound) => void env.send(self, msg)
    const backendOf = () => env.resources?.get<ElectionBackend>(SLOT)
    const openBackend: OpenBackendAction = (_args, { input }) => {
      if (backendOf() !== undefined) {
        // A restart in place: the backend in the slot outlasted it.
        queueMicrotask(() => tell({ type: 'election.opened' }))
        return
      }
      if (env.resources === undefined) {
        queueMicrotask(() => tell({ type: 'election.opened', error: toWireError(new ClusterError('ERR_ELECTION_NO_BACKEND', 'election: the env has no resource slots to hold the backend')) }))
        return
      }
      const slots = env.resources
      open(input.self, input).then(
        (backend) => {
          slots.hold(SLOT, backend, (b) => b.close())
          tell({ type: 'election.opened' })
        },
        (err: unknown) => tell({ type: 'election.opened', error: toWireError(err) }),
      )
    }
    const backend: BackendAction = (_args, { effect }) => {
      const b = backendOf()
      if (b === undefined) return
      if (effect.type === 'follow') {
        void (async () => {
          try {
            for await (const change of b.changes(effect.group)) tell({ type: 'election.change-in', change })
          } catch {
            // overflow or close: the view stays as last told
          }
        })()
        return
      }
      const done = (p: Promise<Term | void>) =>
        p.then(
          (term) => tell({ type: 'election.done', op: effect.op, group: effect.group, replyTo: effect.replyTo, ...(typeof term === 'number' ? { term } : effect.term === undefined ? {} : { term: effect.term }) }),
          (err: unknown) => tell({ type: 'election.done', op: effect.op, group: effect.group, replyTo: effect.replyTo, error: toWireError(err) }),
        )
      if (effect.op === 'campaign') void done(b.campaign(effect.group))
      else if (effect.op === 'resign') void done(b.resign(effect.group))
      else void done(b.fence(effect.group, (effect.term ?? -1) as Term))
    }
    return { actions: { openBackend, backend } } as never
  }
}
