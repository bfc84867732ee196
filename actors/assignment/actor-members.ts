/**
 * member-manager's events in the assignment actor's core: the member table (alive members and
 * whether each advertises the gossamer tag: who can receive Gossamer messages), and what a join,
 * failure, leave or reap of a registered worker means for each group this node leads (nats: the
 * leader deletes a departed worker's registration key).
 */
import { GOSSAMER_TAG, GOSSAMER_TAG_VERSION } from '../../src/wire/gossamer-message.ts'
import type { MemberEventMsg } from '../member-manager/protocol.ts'
import { onWithdrawal, stepCalc } from './actor-leader.ts'
import type { ActorStep } from './actor-step.ts'
import { BucketMapDraft, bmForEach, bmGet, emptyBucketMap, type BucketMap } from './bucket-map.ts'

export function onMemberEvent(st: ActorStep, m: MemberEventMsg): void {
  st.stats.memberEvents++
  // One draft of the member table per event (a push/pull can name thousands of members).
  const members = new BucketMapDraft(st.s.members)
  const gossamer = new BucketMapDraft(st.s.gossamerMembers)
  const up = m.event === 'member-join' || m.event === 'member-update'
  const changed: Array<{ name: string; known: boolean }> = []
  for (const member of m.members) {
    const name = member.name
    if (name === st.s.self) continue
    const known = members.has(name)
    if (up) {
      if (!known && members.size >= st.s.config.maxMembers) {
        st.refuse('ERR_ASSIGNMENT_TOO_MANY_MEMBERS', `member ${name} past the bound of ${st.s.config.maxMembers}`)
        continue
      }
      const tagged = member.tags[GOSSAMER_TAG] === GOSSAMER_TAG_VERSION
      members.set(name, tagged)
      if (tagged) gossamer.set(name, true)
      else gossamer.delete(name)
    } else if (known) {
      members.delete(name)
      gossamer.delete(name)
    }
    changed.push({ name, known })
  }
  st.s.members = members.finish()
  st.s.gossamerMembers = gossamer.finish()
  st.s.memberCount = st.s.members.size
  for (const group of Object.keys(st.s.groups)) {
    for (const { name, known } of changed) {
      const g = st.group(group)!
      const r = bmGet(g.registrations, name)
      if (r === undefined) continue
      if (m.event === 'member-leave' || m.event === 'member-reap') {
        // nats: the departed worker's key goes too (keys have no max age: the bucket holds the
        // assignment, which must outlive every lease); the leader deletes it, once.
        if (st.s.backend === 'nats' && g.lead !== undefined) {
          st.stats.keysDeleted++
          st.fx.push({ type: 'store', op: 'unregister', group, node: name })
        }
        onWithdrawal(st, g, name)
      }
      else if (g.lead?.calc === undefined) continue
      else if (m.event === 'member-join' && !known) stepCalc(st, group, { type: 'worker-joined', worker: { id: name, weight: r.weight }, now: st.now })
      else if (m.event === 'member-failed') stepCalc(st, group, { type: 'worker-failed', id: name, now: st.now })
    }
  }
}

/** The Gossamer members of a member table (a record persisted before the index was kept). */
export function gossamerIndex(members: BucketMap<boolean>): BucketMap<true> {
  const out = new BucketMapDraft<true>(emptyBucketMap())
  bmForEach(members, (tagged, name) => {
    if (tagged) out.set(name, true)
  })
  return out.finish()
}
