/**
 * Live check against real `serf agent`s: our internal-query answers are byte-identical to Serf's.
 *
 * We send an internal query (`_serf_conflict`, `_serf_*-key(s)`) to an agent's UDP port, as a member
 * would, and take its response payload off our socket. The same situation is then answered by our
 * modules (conflict-response.ts, key-ring-ops.ts + key-query-responder.ts) and the bytes must match:
 * the `[6]Member` of a joined agent, `[6][c0]` for an unknown name, silence about the agent's own
 * name, the key-operation refusals, and a 48-key list trimmed to the 1,024-byte response limit.
 */
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { answerConflictQuery, encodeConflictResponse } from '../../../actors/serf-events/conflict-response.ts'
import { encodeKeyResponse, toNodeKeyResponse } from '../../../actors/serf-events/key-query-responder.ts'
import { applyKeyringOp } from '../../../actors/serf-events/key-ring-ops.ts'
import type { KeyringOp } from '../../../actors/serf-events/key-ring-ops.ts'
import type { Member } from '../../../actors/member-manager/protocol.ts'
import { Keyring, QueryFlag, buildPacket, decodePacket, decodeSerfMessage, encodeMessage, encodeSerfMessage, flattenPacket, parseIp, toHex } from '../../../src/wire/index.ts'
import { SerfAgent, ensureSerf, runSerf, stopAgents, waitUntil } from '../../support/serf.ts'
import { decodeGoBase64 } from '../../../actors/serf-events/key-base64.ts'

const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64')
/** 48 keys: a primary, then 47 others (32 and 16 bytes), so list-keys must be trimmed. */
const KEYS = Array.from({ length: 48 }, (_, i) => new Uint8Array(i % 5 === 4 ? 16 : 32).fill(i + 1))

/**
 * One UDP socket that sends internal queries and collects the response payloads by query ID and
 * sender. Queries carry the no-broadcast flag, so only the agent asked answers them (a rebroadcast
 * copy would be answered by its peers too, under their own names).
 */
class Asker {
  readonly answers = new Map<string, Uint8Array | null>()
  private nextId = 0x5eed
  private ltime = 5000n
  private constructor(readonly socket: Socket, private readonly keyring: Keyring | null) {
    socket.on('message', (datagram) => {
      try {
        for (const msg of flattenPacket(decodePacket(datagram, { keyring: this.keyring })).messages) {
          if (msg.type !== 'user') continue
          const serf = decodeSerfMessage(msg.Payload)
          if (serf.type === 'queryResponse' && serf.Flags === 0) this.answers.set(`${serf.ID}/${serf.From}`, serf.Payload)
        }
      } catch {
        // not for us: a test asserts on what did arrive
      }
    })
  }

  static async open(keyring: Keyring | null): Promise<Asker> {
    const socket = createSocket('udp4')
    await new Promise<void>((resolve) => socket.bind({ address: '127.0.0.1', port: 0 }, () => resolve()))
    return new Asker(socket, keyring)
  }

  private build(name: string, payload: Uint8Array | null): { ltime: bigint; id: number; datagram: Uint8Array } {
    const q = { ltime: this.ltime++, id: this.nextId++ }
    const query = encodeSerfMessage({
      type: 'query', LTime: q.ltime, ID: q.id, Addr: parseIp('127.0.0.1'), Port: this.socket.address().port, SourceNode: 'ts-asker',
      Filters: null, Flags: QueryFlag.noBroadcast, RelayFactor: 0, Timeout: 5_000_000_000n, Name: name, Payload: payload,
    })
    return { ...q, datagram: buildPacket([encodeMessage({ type: 'user', Payload: query })], { keyring: this.keyring }) }
  }

  /** Sends `name` once (twice, in case one is lost: the agent dedupes the copy by LTime and ID). */
  send(agent: SerfAgent, name: string, payload: Uint8Array | null): { ltime: bigint; id: number } {
    const q = this.build(name, payload)
    for (let i = 0; i < 2; i++) this.socket.send(q.datagram, agent.bindPort, '127.0.0.1')
    return { ltime: q.ltime, id: q.id }
  }

  /** Every answer (from any node) to query `id`. */
  answersTo(id: number): string[] {
    return [...this.answers.keys()].filter((k) => k.startsWith(`${id}/`))
  }

  /**
   * Sends `name` with `payload` to the agent and waits for its answer. The same datagram is sent
   * again every second until then (a lost query is retried; the agent dedupes a repeat by LTime and
   * ID, so it never answers twice).
   */
  async ask(agent: SerfAgent, name: string, payload: Uint8Array | null): Promise<{ ltime: bigint; id: number; payload: Uint8Array }> {
    const q = this.build(name, payload)
    let sentAt = 0
    const got = await waitUntil(`${agent.name}'s answer to ${name}`, () => {
      const answer = this.answers.get(`${q.id}/${agent.name}`)
      if (answer !== undefined && answer !== null) return answer
      if (Date.now() - sentAt >= 1_000) {
        sentAt = Date.now()
        this.socket.send(q.datagram, agent.bindPort, '127.0.0.1')
      }
      return undefined
    }, 8_000)
    return { ltime: q.ltime, id: q.id, payload: got }
  }

  close(): void {
    this.socket.close()
  }
}

const keyRequest = (key: Uint8Array) => encodeSerfMessage({ type: 'keyRequest', Key: key })

describe('internal queries: our answers are byte-identical to a real agent\'s', () => {
  let a: SerfAgent | undefined
  let b: SerfAgent | undefined
  let k: SerfAgent | undefined
  let plain: Asker | undefined
  let sealed: Asker | undefined
  let scratch: string | undefined
  const ring = new Keyring(KEYS)

  beforeAll(async () => {
    ensureSerf()
    scratch = mkdtempSync(join(tmpdir(), 'serf-internal-'))
    const keyringFile = join(scratch, 'keyring.json')
    writeFileSync(keyringFile, JSON.stringify(KEYS.map(b64)))
    ;[a, k] = await Promise.all([
      SerfAgent.start({ name: 'iq-a', tags: { role: 'a' }, profile: 'local' }),
      SerfAgent.start({ name: 'iq-k', profile: 'local', extraArgs: ['-keyring-file', keyringFile] }),
    ])
    b = await SerfAgent.start({ name: 'iq-b', tags: { role: 'b' }, profile: 'local', join: [a.bindAddr] })
    await a.waitForMember('iq-b', (m) => m.status === 'alive', 5_000)
    plain = await Asker.open(null)
    sealed = await Asker.open(ring)
  }, 30_000)

  afterAll(async () => {
    plain?.close()
    sealed?.close()
    await stopAgents([a, b, k], { signal: 'SIGKILL' })
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
  })

  it('_serf_conflict: [6]Member of a joined agent, [6][c0] for a stranger, silence about itself', async () => {
    const asked = await plain!.ask(a!, '_serf_conflict', new TextEncoder().encode('iq-b'))
    const bAsAKnowsIt: Member = {
      name: 'iq-b', addr: Uint8Array.of(127, 0, 0, 1), port: b!.bindPort, tags: { role: 'b' }, status: 'alive',
      protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 5,
    }
    expect(toHex(asked.payload)).toBe(toHex(encodeConflictResponse(bAsAKnowsIt)))

    // About its own name the agent says nothing (spec §5.10), as answerConflictQuery: the self
    // query goes first, and the agent handles internal queries in order, so the stranger's answer
    // arrives after any answer to it would have.
    const self = plain!.send(a!, '_serf_conflict', new TextEncoder().encode('iq-a'))
    const stranger = await plain!.ask(a!, '_serf_conflict', new TextEncoder().encode('nobody'))
    expect(toHex(stranger.payload)).toBe(toHex(encodeConflictResponse(null)))
    expect(plain!.answersTo(self.id)).toEqual([])
    expect(answerConflictQuery(new TextEncoder().encode('iq-a'), { localName: 'iq-a', lookup: () => undefined })).toEqual({ kind: 'none', reason: 'own-name' })
  })

  it.each<{ name: string; op: KeyringOp; query: string }>([
    { name: 'install a 10-byte key', op: { kind: 'install', key: new Uint8Array(10).fill(9) }, query: '_serf_install-key' },
    { name: 'use a key not installed', op: { kind: 'use', key: new Uint8Array(32).fill(0xee) }, query: '_serf_use-key' },
    { name: 'remove the primary', op: { kind: 'remove', key: KEYS[0]! }, query: '_serf_remove-key' },
    { name: 'list 48 keys (trimmed)', op: { kind: 'list' }, query: '_serf_list-keys' },
  ])('encrypted agent, $name', async ({ op, query }) => {
    const asked = await sealed!.ask(k!, query, keyRequest(op.kind === 'list' ? new Uint8Array(0) : op.key))
    const reply = applyKeyringOp(ring, op).reply
    const ours = encodeKeyResponse(op.kind, toNodeKeyResponse(op.kind, reply), { ltime: asked.ltime, id: asked.id, from: 'iq-k' })
    expect(ours.ok).toBe(true)
    if (!ours.ok) return
    if (op.kind === 'list') expect(ours.truncated).not.toBeNull()
    expect(toHex(asked.payload)).toBe(toHex(ours.payload))
  })

  it.each<{ op: KeyringOp; query: string }>([
    { op: { kind: 'install', key: new Uint8Array(16).fill(1) }, query: '_serf_install-key' },
    { op: { kind: 'list' }, query: '_serf_list-keys' },
  ])('unencrypted agent refuses $query with the same bytes', async ({ op, query }) => {
    const asked = await plain!.ask(a!, query, keyRequest(op.kind === 'list' ? new Uint8Array(0) : op.key))
    const ours = encodeKeyResponse(op.kind, toNodeKeyResponse(op.kind, applyKeyringOp(null, op).reply), { ltime: asked.ltime, id: asked.id, from: 'iq-a' })
    expect(ours.ok && toHex(ours.payload)).toBe(toHex(asked.payload))
  })

  it('serf keys -install=<bad text> prints the error decodeGoBase64 gives', async () => {
    for (const text of ['abc$', 'A', 'ABCD=', 'AB=C', 'A===', 'AB==CD', 'AAAAAA=', 'é']) {
      const ours = decodeGoBase64(text)
      expect(ours.ok).toBe(false)
      if (ours.ok) return
      const printed = await runSerf(['keys', `-rpc-addr=127.0.0.1:${k!.rpcPort}`, `-install=${text}`]).then(
        () => 'succeeded',
        (err: Error) => err.message,
      )
      expect(printed).toContain(`Error installing key: ${ours.error.message}`)
    }
  })
})
