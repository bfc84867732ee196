/**
 * What an event handler script gets (serf-rpc.md 7.3, 7.4): the SERF_* environment (the local
 * node's name, role and tags, and the user event's or query's name and Lamport time) and stdin
 * (one `NAME\tADDR\tROLE\tTAGS` line per member, or the payload with a newline added).
 */
import type { Member, NodeEvent } from '../../node/api.ts'
import { formatIp } from '../../wire/address.ts'

export interface SelfInfo {
  name: string
  tags: Readonly<Record<string, string>>
}

/** `dc.zone` -> `DC_ZONE`: upper-cased, every character outside [A-Z0-9_] replaced by `_`. */
export function tagEnvName(tag: string): string {
  return `SERF_TAG_${tag.toUpperCase().replace(/[^A-Z0-9_]/gu, '_')}`
}

/** The SERF_* variables for one event (added to the agent's own environment). */
export function handlerEnv(self: SelfInfo, event: NodeEvent): Record<string, string> {
  const env: Record<string, string> = {
    SERF_EVENT: event.type,
    SERF_SELF_NAME: self.name,
    SERF_SELF_ROLE: self.tags['role'] ?? '',
  }
  for (const [k, v] of Object.entries(self.tags)) env[tagEnvName(k)] = v
  if (event.type === 'user') {
    env['SERF_USER_EVENT'] = event.name
    env['SERF_USER_LTIME'] = event.ltime.toString()
  } else if (event.type === 'query') {
    env['SERF_QUERY_NAME'] = event.name
    env['SERF_QUERY_LTIME'] = event.ltime.toString()
  }
  return env
}

/** A literal tab or newline becomes the two characters `\t` / `\n` (commas and `=` stay). */
const escapeField = (s: string): string => s.replace(/\t/g, '\\t').replace(/\n/g, '\\n')

function ipText(addr: Uint8Array): string {
  try {
    return formatIp(addr)
  } catch {
    return '?' // Go's net.IP.String of a bad length
  }
}

export function memberLine(m: Member): string {
  const tags = Object.entries(m.tags)
    .map(([k, v]) => `${escapeField(k)}=${escapeField(v)}`)
    .join(',')
  return `${escapeField(m.name)}\t${ipText(m.addr)}\t${escapeField(m.tags['role'] ?? '')}\t${tags}\n`
}

/** The bytes written to the script's stdin (then closed). */
export function handlerStdin(event: NodeEvent): Uint8Array {
  if (event.type === 'user' || event.type === 'query') {
    const p = event.payload
    if (p === null || p.length === 0) return new Uint8Array(0)
    if (p[p.length - 1] === 0x0a) return p
    const out = new Uint8Array(p.length + 1)
    out.set(p)
    out[p.length] = 0x0a
    return out
  }
  return new TextEncoder().encode(event.members.map(memberLine).join(''))
}
