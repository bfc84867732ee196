import type { NodeInfo } from '../../../actors/member-manager/protocol.ts'
import { encodeTags } from '../../../actors/member-manager/tags.ts'
import { LamportClock } from '../../../actors/member-manager/lamport.ts'
import { RecentIntents } from '../../../actors/member-manager/intents.ts'
import { MemberTable } from '../../../actors/member-manager/member-table.ts'

/** A memberlist node as swim would report it, with tags encoded into Meta. */
export function node(name: string, tags: Record<string, string> = {}, port = 7946): NodeInfo {
  return { name, addr: Uint8Array.of(127, 0, 0, 1), port, meta: encodeTags(tags, 5), vsn: [1, 5, 2, 2, 5, 5], incarnation: 1, state: 'alive' }
}

export function table(localName = 'self', opts: { maxIntents?: number; pruneDelayMs?: number } = {}) {
  const clock = new LamportClock()
  const intents = new RecentIntents(opts.maxIntents ?? 100)
  const t = new MemberTable({ localName, clock, intents, pruneDelayMs: opts.pruneDelayMs ?? 6000, flapTimeoutMs: 60_000 })
  return { t, clock, intents }
}
