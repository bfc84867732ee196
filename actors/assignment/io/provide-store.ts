/**
 * The assignment actor's store in its thread (the placement's implementations for the machine):
 * opens the store port (io/nats-store.ts by default) into the actor's resource slot, released
 * (watch stopped, connection closed) when the actor stops for good; starts the watch; runs the
 * store operations the core asks for and sends their outcomes back as messages.
 */
import { ClusterError, toWireError } from '../../../src/errors/index.ts'
import type { ActorEnv } from '../../../src/types/actor-env.ts'
import { actorAddress } from '../../../src/types/actor-env.ts'
import type { AssignmentInput, OpenStoreAction, StoreAction } from '../machine.ts'
import type { AssignmentInbound } from '../protocol.ts'
import type { AssignmentStorePort } from '../store-port.ts'
import { openNatsAssignmentStore } from './nats-store.ts'

const SLOT = 'assignment-store'

/** `provide` for the assignment actor with a store (default: NATS with input.nats). */
export function provideAssignmentStore(open: (input: AssignmentInput) => Promise<AssignmentStorePort> = (input) => openNatsAssignmentStore(input.nats)) {
  return (env: ActorEnv) => {
    const self = actorAddress<AssignmentInbound>(env.id)
    const tell = (msg: AssignmentInbound) => void env.send(self, msg)
    let node = ''
    const portOf = () => env.resources?.get<{ port: AssignmentStorePort }>(SLOT)?.port
    const openStore: OpenStoreAction = ({ context }, { input }) => {
      node = input.self
      if (context.backend !== 'nats') return
      if (portOf() !== undefined) {
        // A restart in place: the store in the slot outlasted it; its watch feeds the new machine.
        queueMicrotask(() => tell({ type: 'assignment.store-opened' }))
        return
      }
      const slots = env.resources
      if (slots === undefined) {
        queueMicrotask(() => tell({ type: 'assignment.store-opened', error: toWireError(new ClusterError('ERR_ASSIGNMENT_NO_STORE', 'assignment: the env has no resource slots to hold the store')) }))
        return
      }
      open(input).then(
        (port) => {
          const watch = port.watch((entry) => tell({ type: 'assignment.store-entry', ...entry }))
          slots.hold(SLOT, { port }, async (held) => {
            watch.stop()
            await held.port.close()
          })
          tell({ type: 'assignment.store-opened' })
        },
        (err: unknown) => tell({ type: 'assignment.store-opened', error: toWireError(err) }),
      )
    }
    const store: StoreAction = (_args, { effect }) => {
      const port = portOf()
      const missing = { code: 'ERR_ASSIGNMENT_STORE_CLOSED', message: 'the assignment store is not open' }
      switch (effect.op) {
        case 'publish':
          if (port === undefined) return tell({ type: 'assignment.store-done', group: effect.group, version: effect.version, error: missing })
          void port.publish(effect.group, effect.bytes, effect.term).then((r) =>
            tell(r.ok ? { type: 'assignment.store-done', group: effect.group, version: effect.version } : { type: 'assignment.store-done', group: effect.group, version: effect.version, error: r.error, ...(r.newerTerm === undefined ? {} : { newerTerm: r.newerTerm }) }),
          )
          return
        case 'read':
          if (port === undefined) return tell({ type: 'assignment.store-read', group: effect.group, term: effect.term, bytes: null, error: missing })
          void port.read(effect.group).then((r) => tell(r.ok ? { type: 'assignment.store-read', group: effect.group, term: effect.term, bytes: r.bytes } : { type: 'assignment.store-read', group: effect.group, term: effect.term, bytes: null, error: r.error }))
          return
        case 'register':
        case 'unregister': {
          // A failed write is counted; the registration is written again on the group's next leader change.
          const op = effect.op
          if (port === undefined) return tell({ type: 'assignment.store-failed', op, group: effect.group, error: missing })
          const whose = op === 'unregister' ? (effect.node ?? node) : node
          void (op === 'register' ? port.register(effect.group, node, effect.bytes) : port.unregister(effect.group, whose)).then((r) => {
            if (!r.ok) tell({ type: 'assignment.store-failed', op, group: effect.group, error: r.error })
            else if (op === 'unregister') tell({ type: 'assignment.store-withdrawn', group: effect.group, node: whose })
          })
          return
        }
      }
    }
    return { actions: { openStore, store } } as never
  }
}
