import { describe, expect, it } from 'vitest'
import { handlersStats, invalidScript, parseEventScript, scriptMatches } from '../../../src/agent/handlers/event-script.ts'
import type { NodeEvent } from '../../../src/node/api.ts'
import { member } from '../fake-node.ts'

describe('agent - handlers - event-script', () => {
  it.each([
    ['handler.sh', [{ event: '*', name: '', script: 'handler.sh' }]],
    ['member-join,member-leave=join.sh', [
      { event: 'member-join', name: '', script: 'join.sh' },
      { event: 'member-leave', name: '', script: 'join.sh' },
    ]],
    ['user:deploy=deploy.sh', [{ event: 'user', name: 'deploy', script: 'deploy.sh' }]],
    ['query:load=uptime', [{ event: 'query', name: 'load', script: 'uptime' }]],
    ['user=echo a=b', [{ event: 'user', name: '', script: 'echo a=b' }]], // split at the first '='
    ['*=all.sh', [{ event: '*', name: '', script: 'all.sh' }]],
  ])('parses %j', (spec, want) => {
    expect(parseEventScript(spec)).toEqual(want)
    expect(invalidScript(parseEventScript(spec))).toBeUndefined()
  })

  it.each([
    ['member-foo=x.sh', "Invalid event script: Event 'member-foo' invoking 'x.sh'"],
    ['member-join,bar=x.sh', "Invalid event script: Event 'bar' invoking 'x.sh'"],
    ['FOO=1 ./x.sh', "Invalid event script: Event 'FOO' invoking '1 ./x.sh'"],
  ])('refuses %j', (spec, message) => {
    expect(invalidScript(parseEventScript(spec))).toBe(message)
  })

  const join: NodeEvent = { type: 'member-join', members: [member('a', [10, 0, 0, 1])] }
  const deploy: NodeEvent = { type: 'user', ltime: 3n, name: 'deploy', payload: null, coalesce: false }
  const other: NodeEvent = { type: 'user', ltime: 4n, name: 'other', payload: null, coalesce: false }
  const load: NodeEvent = { type: 'query', ltime: 5n, id: 1, name: 'load', payload: null, sourceNode: 'a', deadline: 0, key: 'k' }

  it.each([
    ['*', [true, true, true, true]],
    ['member-join', [true, false, false, false]],
    ['user', [false, true, true, false]],
    ['user:deploy', [false, true, false, false]],
    ['query', [false, false, false, true]],
    ['query:load', [false, false, false, true]],
    ['query:other', [false, false, false, false]],
  ])('filter %j matches as Serf\'s', (filter, want) => {
    const [s] = parseEventScript(`${filter}=x`)
    expect([join, deploy, other, load].map((e) => scriptMatches(s!, e))).toEqual(want)
  })

  it('reports the stats key of each filter, a later duplicate winning', () => {
    expect(handlersStats(['a.sh', 'member-join,user:deploy=b.sh', 'user:deploy=c.sh'].flatMap(parseEventScript))).toEqual({
      '*:': 'a.sh',
      'member-join:': 'b.sh',
      'user:deploy': 'c.sh',
    })
  })
})
