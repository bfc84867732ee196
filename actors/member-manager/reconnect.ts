/**
 * Reconnect choice (spec §5.6): on each reconnect tick, with probability numFailed / numAlive
 * (numAlive = members − failed − left, at least 1), pick one failed member at random and ask swim to
 * join it. The effort grows with the share of failed members. Randomness is the actor's seeded source.
 */
import type { RandomSource } from '../../src/types/random.ts'
import type { Member } from './protocol.ts'
import type { MemberTable } from './member-table.ts'
import { cloneMember } from './member-record.ts'

export interface ReconnectDecision {
  /** The failed member to try, or undefined when this tick does nothing. */
  target: Member | undefined
  /** The probability used (for tests and stats). */
  probability: number
}

export function chooseReconnect(table: MemberTable, random: Pick<RandomSource, 'next' | 'int'>): ReconnectDecision {
  const failed = table.inStatus('failed')
  if (failed.length === 0) return { target: undefined, probability: 0 }
  const c = table.counts()
  const numAlive = Math.max(1, c.total - c.failed - c.left)
  const probability = failed.length / numAlive
  if (random.next() > probability) return { target: undefined, probability }
  const pick = failed[random.int(failed.length)]!
  return { target: cloneMember(pick.member), probability }
}
