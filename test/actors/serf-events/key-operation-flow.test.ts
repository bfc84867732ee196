import { describe, expect, it } from 'vitest'
import { answerKeyQuery, keyQueryKind } from '../../../actors/serf-events/key-query-responder.ts'
import { prepareKeyOperation } from '../../../actors/serf-events/key-operation-request.ts'
import { addKeyAnswer, finishKeyTally, keyTallyComplete, startKeyTally } from '../../../actors/serf-events/key-operation-tally.ts'
import { keyringAccess, runKeyringOp } from '../../../actors/serf-events/key-ring-ops.ts'
import type { KeyOperationKind } from '../../../actors/serf-events/key-ring-ops.ts'
import { Keyring } from '../../../src/wire/keyring.ts'
import { runInternalQuery, simNodes } from './support-internal.ts'
import type { SimNode } from './support-internal.ts'

const K1 = new Uint8Array(32).fill(1)
const K2 = new Uint8Array(32).fill(2)
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64')

/** `serf keys -<kind>` across three nodes whose keyrings are given, through the real query cores. */
function keyOperation(kind: KeyOperationKind, key: string | null, rings: (Keyring | null)[], lost: string[] = []) {
  const nodes = simNodes(['me', 'a', 'b'])
  const live = new Map(nodes.map((n, i) => [n.name, keyringAccess(rings[i] ?? null)]))
  const prepared = prepareKeyOperation(kind, key)
  if (!prepared.ok) throw prepared.error
  const { plan } = prepared
  const { results } = runInternalQuery(
    nodes,
    { name: plan.name, payload: plan.payload, relayFactor: plan.relayFactor, internal: true },
    (n: SimNode, q) => {
      expect(keyQueryKind(q.name)).toBe(kind)
      const r = answerKeyQuery(q.name, q.payload, (op) => runKeyringOp(live.get(n.name)!, op), { ltime: q.ltime, id: q.id, from: n.name })
      if (!r.ok) throw r.error
      return r.payload
    },
    { lost },
  )
  let tally = startKeyTally(kind, nodes.length)
  for (const r of results) if (r.kind === 'response') tally = addKeyAnswer(tally, r.from, r.payload).tally
  return { ...finishKeyTally(tally), complete: keyTallyComplete(tally), live }
}

describe('cluster-wide key operation through the query cores', () => {
  it('rotates the key of an encrypted three-node cluster: install, use, remove, list', () => {
    const rings = () => [new Keyring([K1]), new Keyring([K1]), new Keyring([K1])]
    const install = keyOperation('install', b64(K2), rings())
    expect(install).toMatchObject({ error: null, complete: true, response: { messages: {}, numNodes: 3, numErr: 0, numResp: 3 } })
    for (const r of install.live.values()) expect(r.current()!.keys.length).toBe(2)

    const both = () => [new Keyring([K1, K2]), new Keyring([K1, K2]), new Keyring([K1, K2])]
    const use = keyOperation('use', b64(K2), both())
    expect(use.error).toBeNull()
    for (const r of use.live.values()) expect(r.current()!.primary).toEqual(K2)

    const removePrimary = keyOperation('remove', b64(K1), both())
    expect(removePrimary.error).toBe('3/3 nodes reported failure')
    expect(removePrimary.response.messages).toEqual({ me: 'Removing the primary key is not allowed', a: 'Removing the primary key is not allowed', b: 'Removing the primary key is not allowed' })

    const list = keyOperation('list', null, [new Keyring([K1, K2]), new Keyring([K1]), new Keyring([K1, K2])])
    expect(list.error).toBeNull()
    expect(list.response.keys).toEqual({ [b64(K1)]: 3, [b64(K2)]: 2 })
  })

  it('an unencrypted cluster: N/N nodes reported failure, with Serf\'s per-node message', () => {
    const r = keyOperation('list', null, [null, null, null])
    expect(r.error).toBe('3/3 nodes reported failure')
    expect(Object.values(r.response.messages)).toEqual(new Array(3).fill('Keyring is empty (encryption not enabled)'))
  })

  it('a lost answer: n/N nodes reported success at the deadline', () => {
    const r = keyOperation('install', b64(K2), [new Keyring([K1]), new Keyring([K1]), new Keyring([K1])], ['b'])
    expect(r.complete).toBe(false)
    expect(r.error).toBe('2/3 nodes reported success')
    expect(r.response).toMatchObject({ numNodes: 3, numResp: 2, numErr: 0 })
  })
})
