/**
 * Name conflicts (spec §4.6, §5.11): memberlist found an alive message naming a node it knows at
 * another address, ignored it, and told Serf (NotifyConflict). Serf's handling:
 * - the name is another node's → a warning naming both addresses; nothing else changes;
 * - the name is ours → an error, and with EnableNameConflictResolution (default on) a `_serf_conflict`
 *   query asking every member whom it knows under our name; fewer than `responses/2 + 1` answers
 *   matching our address → this node shuts down (the minority claimant quits).
 *
 * A conflict about ourselves (resolution on) is reported with the code ERR_MEMBER_NAME_CONFLICT_VOTE
 * and handed to serf-events (`serf.name-conflict`), which owns queries: it holds the `_serf_conflict`
 * vote (one at a time, with a quorum, conflict-vote.ts) and emits `serf.name-conflict-lost` when we
 * are the minority. member-manager keeps out of the vote (it would otherwise become a hub).
 *
 * Pure: builds the public event; the caller counts it and sends it.
 */
import { formatIp } from '../../src/wire/index.ts'
import type { NameConflictCode, NameConflictEventMsg, NodeInfo } from './protocol.ts'

export interface NameConflictClaimant {
  addr: Uint8Array
  port: number
}

/** The `member.conflict` event for a conflict over `existing.name` (ours when it equals `localName`). */
export function describeNameConflict(localName: string, resolutionEnabled: boolean, existing: NodeInfo, other: NameConflictClaimant): NameConflictEventMsg {
  const name = existing.name
  const local = name === localName
  const here = hostPort(existing.addr, existing.port)
  const there = hostPort(other.addr, other.port)
  let code: NameConflictCode
  let message: string
  if (!local) {
    code = 'ERR_MEMBER_NAME_CONFLICT'
    message = `name conflict for '${name}': both ${here} and ${there} claim it`
  } else if (resolutionEnabled) {
    code = 'ERR_MEMBER_NAME_CONFLICT_VOTE'
    message =
      `another node at ${there} claims this node's name '${name}' (we are ${here}); names must be unique. ` +
      `Asking the members by _serf_conflict query which one they know: the minority side shuts down`
  } else {
    code = 'ERR_MEMBER_NAME_CONFLICT_RESOLUTION_DISABLED'
    message =
      `another node at ${there} claims this node's name '${name}' (we are ${here}); names must be unique. ` +
      `Name conflict resolution is disabled (enableNameConflictResolution: false): rename one of them`
  }
  return {
    type: 'member.conflict',
    name,
    // Copies: in the inline placement the bytes are swim's own buffers.
    existing: { addr: existing.addr.slice(), port: existing.port, incarnation: existing.incarnation },
    other: { addr: other.addr.slice(), port: other.port },
    local,
    warning: { code, message },
  }
}

/** `ip:port`, `[ipv6]:port`; bytes of an unexpected length are shown in hex rather than thrown on. */
export function hostPort(addr: Uint8Array, port: number): string {
  if (addr.length !== 4 && addr.length !== 16) {
    const hex = Array.from(addr, (b) => b.toString(16).padStart(2, '0')).join('')
    return `<${hex === '' ? 'no address' : hex}>:${port}`
  }
  const ip = formatIp(addr)
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}
