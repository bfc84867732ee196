/**
 * member-manager with a crash on demand: its env's send throws on a member event about `crash-now`
 * (so it needs an `events` peer), the machine's action fails, and the supervisor restarts it from
 * its last persisted snapshot. Same persistence and validation as the real definition.
 */
import { defineActor } from '../../../../src/runtime/index.ts'
import type { MemberEventMsg } from '../../../../actors/member-manager/protocol.ts'
import { memberManager } from '../../../../actors/member-manager/definition.ts'
import { createMemberManagerMachine } from '../../../../actors/member-manager/machine.ts'

export const crashableMemberManager = defineActor({
  name: 'member-manager',
  machine: (env) =>
    createMemberManagerMachine({
      ...env,
      send: (to, msg) => {
        if (msg.type === 'member.event' && (msg as unknown as MemberEventMsg).members[0]?.name === 'crash-now') throw new Error('crash on purpose')
        return env.send(to, msg)
      },
    }),
  persist: memberManager.persist,
  validate: (msg) => memberManager.validate?.(msg),
})
