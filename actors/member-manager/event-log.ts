/**
 * Serf's INFO line for each member event (serf.go logs `EventMemberJoin: <name> <ip>` and the
 * like), so an agent's console and `monitor` show who joined, left, failed, changed or was reaped,
 * as a `serf agent`'s do. One line per member: Serf batches members into one event, but logs each.
 */
import { formatIp } from '../../src/wire/index.ts'
import type { MemberEventMsg, MemberEventType } from './protocol.ts'

const NAME: Readonly<Record<MemberEventType, string>> = {
  'member-join': 'EventMemberJoin',
  'member-leave': 'EventMemberLeave',
  'member-failed': 'EventMemberFailed',
  'member-update': 'EventMemberUpdate',
  'member-reap': 'EventMemberReap',
}

/** The text of each line, in the members' order: join, leave and failed name the address too. */
export function memberEventLines(msg: Pick<MemberEventMsg, 'event' | 'members'>): string[] {
  const withAddr = msg.event === 'member-join' || msg.event === 'member-leave' || msg.event === 'member-failed'
  return msg.members.map((m) => (withAddr ? `${NAME[msg.event]}: ${m.name} ${formatIp(m.addr)}` : `${NAME[msg.event]}: ${m.name}`))
}
