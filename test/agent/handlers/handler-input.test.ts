import { describe, expect, it } from 'vitest'
import { handlerEnv, handlerStdin, tagEnvName } from '../../../src/agent/handlers/handler-input.ts'
import type { NodeEvent } from '../../../src/node/api.ts'
import { member } from '../fake-node.ts'

const self = { name: 'n1', tags: { role: 'web', 'dc.zone': 'east', 'é-x': 'y' } }
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('agent - handlers - handler-input', () => {
  it('sanitises tag names as Serf', () => {
    expect([tagEnvName('dc.zone'), tagEnvName('role'), tagEnvName('a b-c'), tagEnvName('x9_')]).toEqual([
      'SERF_TAG_DC_ZONE',
      'SERF_TAG_ROLE',
      'SERF_TAG_A_B_C',
      'SERF_TAG_X9_',
    ])
  })

  it('gives member events the self variables only', () => {
    const e: NodeEvent = { type: 'member-join', members: [] }
    expect(handlerEnv(self, e)).toEqual({
      SERF_EVENT: 'member-join',
      SERF_SELF_NAME: 'n1',
      SERF_SELF_ROLE: 'web',
      SERF_TAG_ROLE: 'web',
      SERF_TAG_DC_ZONE: 'east',
      SERF_TAG___X: 'y', // 'é' and '-' each become '_'
    })
  })

  it('sets SERF_SELF_ROLE even without a role, and the user and query variables', () => {
    const user: NodeEvent = { type: 'user', ltime: 18446744073709551615n, name: 'deploy', payload: null, coalesce: true }
    const query: NodeEvent = { type: 'query', ltime: 7n, id: 1, name: 'load', payload: null, sourceNode: 'x', deadline: 0, key: 'k' }
    expect(handlerEnv({ name: 'n2', tags: {} }, user)).toEqual({
      SERF_EVENT: 'user',
      SERF_SELF_NAME: 'n2',
      SERF_SELF_ROLE: '',
      SERF_USER_EVENT: 'deploy',
      SERF_USER_LTIME: '18446744073709551615',
    })
    expect(handlerEnv({ name: 'n2', tags: {} }, query)).toMatchObject({ SERF_EVENT: 'query', SERF_QUERY_NAME: 'load', SERF_QUERY_LTIME: '7' })
  })

  it('writes one line per member, tabs and newlines escaped, IPv6 as text', () => {
    const v6 = member('b', [0, 0, 0, 0])
    v6.addr = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    const e: NodeEvent = {
      type: 'member-failed',
      members: [member('a\tb', [10, 0, 0, 1], { role: 'db\nx', dc: 'a=b,c' }), v6],
    }
    expect(text(handlerStdin(e))).toBe('a\\tb\t10.0.0.1\tdb\\nx\trole=db\\nx,dc=a=b,c\nb\t2001:db8::1\t\t\n')
  })

  it.each([
    ['a payload gets a newline', 'hello', 'hello\n'],
    ['one that ends in a newline keeps it', 'hello\n', 'hello\n'],
    ['an empty payload is an empty stdin', '', ''],
  ])('%s', (_name, payload, want) => {
    const e: NodeEvent = { type: 'user', ltime: 1n, name: 'x', payload: new TextEncoder().encode(payload), coalesce: false }
    expect(text(handlerStdin(e))).toBe(want)
    expect(text(handlerStdin({ ...e, payload: null }))).toBe('')
  })
})
