/**
 * Where the live page reads a node from: a narrow port over the actor system (its inspection, the
 * actors' states and runtime figures) plus, for a whole node, its members and each actor's own
 * counters. `systemSource` builds it from an ActorSystem; createNode adds its members and stats.
 */
import type { ActorSystem } from '../../runtime/actor-system.ts'
import type { InspectionEvent, Unsubscribe } from '../../runtime/types.ts'
import { formatIp } from '../../transport/ip-address.ts'
import type { ActorFigures, MemberRow } from './live-protocol.ts'

export interface LiveSource {
  /** The node's name and gossip address (shown in the page's header). */
  node: string
  address: string
  /** Ids of the actors that run now. */
  actors(): Promise<string[]>
  /** The runtime's inspection: every transition while subscribed (and free otherwise). */
  inspect(listener: (e: InspectionEvent) => void): Unsubscribe
  /** Each actor's current state value. */
  states(): Promise<Array<[string, unknown]>>
  /** Each actor's mailbox depth, restarts, overflows and counters. */
  figures(): Promise<ActorFigures[]>
  /** The member table, for a node. */
  members?(): Promise<MemberRow[]>
}

/** Counters kept per actor on the page (the first ones in the actor's own order). */
const MAX_COUNTERS = 48

/** Numbers (and bigints, as text) among an actor's counters, one level of nesting flattened ('streams.accepted'). */
export function flattenCounters(counters: Readonly<Record<string, unknown>> | undefined): Array<[string, number | string]> {
  const out: Array<[string, number | string]> = []
  const add = (key: string, v: unknown, depth: number): void => {
    if (out.length >= MAX_COUNTERS) return
    if (typeof v === 'number' && Number.isFinite(v)) out.push([key, v])
    else if (typeof v === 'bigint') out.push([key, v.toString()])
    else if (depth === 0 && v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      for (const [k, sub] of Object.entries(v as Record<string, unknown>)) add(`${key}.${k}`, sub, 1)
    }
  }
  for (const [k, v] of Object.entries(counters ?? {})) add(k, v, 0)
  return out
}

export interface SystemSourceExtras {
  node?: string
  address?: string
  /** Each actor's own counters by actor id (a node's `stats().actors[id].counters`). */
  counters?: () => Promise<Readonly<Record<string, Readonly<Record<string, unknown>>>>>
  members?: () => Promise<ReadonlyArray<{ name: string; addr: Uint8Array; port: number; status: string; tags: Readonly<Record<string, string>> }>>
}

/** The live page's source over an ActorSystem (and, given, a node's counters and members). */
export function systemSource(system: ActorSystem, extras: SystemSourceExtras = {}): LiveSource {
  const listMembers = extras.members
  return {
    node: extras.node ?? system.node,
    address: extras.address ?? '',
    actors: async () => (await system.stats()).map((s) => s.id),
    inspect: (listener) => system.inspect(listener),
    states: async () => {
      const ids = (await system.stats()).filter((s) => s.status === 'running').map((s) => s.id)
      const states = await Promise.all(ids.map(async (id) => [id, (await system.ref(id)?.getSnapshot().catch(() => undefined))?.value] as [string, unknown]))
      return states.filter(([, v]) => v !== undefined)
    },
    figures: async () => {
      const [stats, counters] = await Promise.all([system.stats(), extras.counters?.() ?? Promise.resolve(undefined)])
      return stats.map((s) => ({
        id: s.id,
        status: s.status,
        mailboxDepth: s.queued,
        restarts: s.restarts,
        overflows: s.dropped + s.rejected,
        counters: flattenCounters(counters?.[s.id]),
      }))
    },
    ...(listMembers === undefined
      ? {}
      : {
          members: async () =>
            (await listMembers()).map((m) => {
              const ip = formatIp(m.addr) ?? '?'
              return { name: m.name, addr: `${m.addr.length === 16 ? `[${ip}]` : ip}:${m.port}`, status: m.status, tags: { ...m.tags } }
            }),
        }),
  }
}
