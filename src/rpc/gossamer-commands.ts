/**
 * Gossamer's own RPC commands (not Serf's): a real `serf` client never sends them, and a real
 * `serf agent` answers them with its "Unsupported command" like any unknown one. Our server
 * answers them when the node runs coordination (else the Error text says so, ERR_COORDINATION_OFF):
 * - `gossamer-leader` {Group} -> {Group, Leader, Term, IsSelf}: the group's leader as the agent knows it;
 * - `gossamer-assignments` {Group} -> {Group, Version, Term, Leader, Partitions, TotalPartitions,
 *   Workers}: the assignment in force for the agent's own worker in the group (the agent takes part
 *   through `-assign GROUP=PARTITIONS`); the Error text names a group it does not take part in.
 */
import type { GossamerNode, MyAssignment } from '../node/api.ts'
import { settle } from './outcome.ts'
import type { RequestBody } from './protocol.ts'
import type { OutValue } from './values.ts'

export const GOSSAMER_COMMANDS = ['gossamer-leader', 'gossamer-assignments'] as const
export type GossamerCommand = (typeof GOSSAMER_COMMANDS)[number]

export function isGossamerCommand(command: string): command is GossamerCommand {
  return (GOSSAMER_COMMANDS as readonly string[]).includes(command)
}

export interface GossamerCommandContext {
  node: GossamerNode
  /** The assignment in force for the agent's worker in `group` (undefined: none yet, or not taking part). */
  assignments?: (group: string) => { registered: boolean; current: MyAssignment | undefined }
}

/** The reply: an Error text ('' when it worked) and always a body (empty on an error), as Serf's body commands. */
export async function runGossamer(command: GossamerCommand, body: RequestBody<'gossamer-leader'>, ctx: GossamerCommandContext): Promise<{ error: string; body: OutValue }> {
  const group = body.Group
  if (command === 'gossamer-leader') {
    const r = await settle((async () => ctx.node.election(group).view())())
    if (!r.ok) return { error: r.error, body: {} }
    return { error: '', body: { Group: group, Leader: r.value.leader ?? '', Term: r.value.term, IsSelf: r.value.isSelf } }
  }
  const lookup = ctx.assignments?.(group)
  if (lookup === undefined || !lookup.registered) return { error: `this agent does not take part in group ${group} (start it with -assign ${group}=PARTITIONS)`, body: {} }
  const a = lookup.current
  if (a === undefined) return { error: '', body: { Group: group, Version: 0, Term: 0, Leader: '', Partitions: [], TotalPartitions: 0, Workers: 0 } }
  return { error: '', body: { Group: group, Version: a.version, Term: a.term, Leader: a.leader, Partitions: a.partitions, TotalPartitions: a.totalPartitions, Workers: a.workers } }
}
