/**
 * The node as the agent hands it to the RPC server: the same GossamerNode, with the agent's duties
 * added where Serf's agent has them (serf-rpc.md 6.8, 6.9):
 * - `setTags` writes the tags file first (Serf's order: a failed write leaves the tags unchanged)
 *   and keeps the agent's view of its own tags (the handlers' SERF_TAG_* variables) current;
 * - `leave` (the RPC `leave` command) is remembered, so the agent's shutdown is not a
 *   "Shutdown without a Leave";
 * - `logs` is the agent's log ring (the agent's own lines and the node's), for `monitor`.
 */
import type { GossamerNode, LogLine, BoundedStream } from '../node/api.ts'
import { writeTagsFile } from './config/persisted-files.ts'
import type { AgentLog } from './logs/agent-log.ts'

export interface AgentNodeHooks {
  tagsFile: string | undefined
  log: AgentLog
  /** Called when a leave starts (the node stops after it: that stop is not a crash). */
  onLeave(): void
}

/** Serf's tags rule: (current minus `remove`) merged with `set`. */
export function applyTags(current: Readonly<Record<string, string>>, set: Readonly<Record<string, string>>, remove: readonly string[] = []): Record<string, string> {
  const next: Record<string, string> = { ...current }
  for (const k of remove) delete next[k]
  return { ...next, ...set }
}

export function agentNode(inner: GossamerNode, startTags: Readonly<Record<string, string>>, hooks: AgentNodeHooks): GossamerNode & { readonly tags: Readonly<Record<string, string>> } {
  let tags: Readonly<Record<string, string>> = { ...startTags }
  return {
    get name() {
      return inner.name
    },
    get address() {
      return inner.address
    },
    get keys() {
      return inner.keys
    },
    get stopped() {
      return inner.stopped
    },
    get inspectUrl() {
      return inner.inspectUrl
    },
    get tags() {
      return tags
    },
    members: (filter) => inner.members(filter),
    events: (options) => inner.events(options),
    userEvent: (name, payload, options) => inner.userEvent(name, payload, options),
    query: (name, payload, options) => inner.query(name, payload, options),
    respond: (key, payload) => inner.respond(key, payload),
    async setTags(set, remove) {
      const next = applyTags(tags, set, remove)
      if (hooks.tagsFile !== undefined) {
        try {
          await writeTagsFile(hooks.tagsFile, next)
        } catch (err) {
          hooks.log.err('agent', `Failed to write tags file: ${(err as Error).message}`)
          throw err
        }
      }
      await inner.setTags(set, remove)
      tags = next
    },
    join: (addresses, options) => inner.join(addresses, options),
    async leave() {
      hooks.onLeave()
      await inner.leave()
    },
    forceLeave: (node, options) => inner.forceLeave(node, options),
    shutdown: () => inner.shutdown(),
    stats: () => inner.stats(),
    coordinate: (node) => inner.coordinate(node),
    election: (group) => inner.election(group),
    assignments: (group, options) => inner.assignments(group, options),
    logs: (options?: { level?: LogLine['level']; signal?: AbortSignal }): BoundedStream<LogLine> => hooks.log.monitor(options),
    [Symbol.asyncDispose]: () => inner.shutdown(),
  }
}
