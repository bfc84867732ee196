/** A LiveSource without a node: inspection listeners the test feeds by hand, fixed figures and members. */
import type { LiveSource } from '../../../src/inspect/live/index.ts'
import type { InspectionEvent } from '../../../src/runtime/types.ts'

export interface FakeSource {
  source: LiveSource
  emit(e: Partial<InspectionEvent> & { actor: string; event: string }): void
  /** Inspection listeners attached now. */
  readonly listeners: number
  /** Times inspection was subscribed. */
  readonly subscriptions: number
  members: Array<{ name: string; addr: string; status: string; tags: Record<string, string> }>
}

export function fakeSource(actors: string[] = ['alpha', 'beta']): FakeSource {
  const listeners = new Set<(e: InspectionEvent) => void>()
  let subscriptions = 0
  const fake: FakeSource = {
    members: [{ name: 'n1', addr: '127.0.0.1:7946', status: 'alive', tags: { role: 'web' } }],
    source: {
      node: 'n1',
      address: '127.0.0.1:7946',
      actors: async () => actors,
      inspect: (l) => {
        listeners.add(l)
        subscriptions++
        return () => void listeners.delete(l)
      },
      states: async () => actors.map((a) => [a, 'idle'] as [string, unknown]),
      figures: async () => actors.map((id) => ({ id, status: 'running', mailboxDepth: 0, restarts: 0, overflows: 0, counters: [['handled', 1]] as Array<[string, number]> })),
      members: async () => fake.members,
    },
    emit: (e) => {
      const full: InspectionEvent = { state: 'busy', at: 0, placement: 'inline', ...e }
      for (const l of listeners) l(full)
    },
    get listeners() {
      return listeners.size
    },
    get subscriptions() {
      return subscriptions
    },
  }
  return fake
}
