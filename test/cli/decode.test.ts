import { describe, expect, it } from 'vitest'
import { run, summary } from '../../src/cli/decode.ts'
import { main } from '../../src/cli/main.ts'
import { memoryIo } from '../../src/cli/io.ts'
import { buildPacket, buildStream, encodeMessage, encodePushPull, Keyring, parseIp, toHex } from '../../src/wire/index.ts'
import { APPENDIX_A } from '../wire/vectors.ts'

const KEY = Buffer.from(new Uint8Array(32).fill(7)).toString('base64')
const OTHER = Buffer.from(new Uint8Array(16).fill(1)).toString('base64')
const ring = Keyring.fromBase64([KEY])

describe('cli - decode', () => {
  it('prints one JSON object for a packet', async () => {
    const io = memoryIo()
    expect(await run([APPENDIX_A.deadWithCrc], io)).toBe(0)
    expect(io.stdout.length).toBe(1)
    expect(JSON.parse(io.stdout[0]!)).toEqual({
      type: 'hasCrc',
      crc: '205a8656',
      inner: { type: 'dead', From: 'c', Incarnation: 1, Node: 'c' },
    })
    expect(summary).toMatch(/decode/)
  })

  it('is reachable through the gossamer dispatcher', async () => {
    const io = memoryIo()
    expect(await main(['decode', APPENDIX_A.ping], io)).toBe(0)
    expect(JSON.parse(io.stdout[0]!)).toMatchObject({ type: 'ping', SeqNo: 23, SourceAddr: '127.0.0.1' })
  })

  it('decrypts with --key (any of several keys) and decodes streams with --stream', async () => {
    const packet = toHex(buildPacket([encodeMessage({ type: 'nack', SeqNo: 5 })], { keyring: ring }))
    const io = memoryIo()
    expect(await run(['--key', OTHER, `--key=${KEY}`, packet], io)).toBe(0)
    expect(JSON.parse(io.stdout[0]!)).toMatchObject({ type: 'encrypt', keyIndex: 1, inner: { type: 'nack', SeqNo: 5 } })

    const stream = buildStream(
      encodePushPull({
        Join: false,
        NodeStates: [{ Name: 'a', Addr: parseIp('127.0.0.1'), Port: 7946, Meta: new Uint8Array(0), Incarnation: 1, State: 0, Vsn: Uint8Array.of(1, 5, 2, 2, 5, 5) }],
        UserState: new Uint8Array(0),
      }),
      { compress: true, keyring: ring },
    )
    const io2 = memoryIo()
    expect(await run(['--stream', '--key', KEY, toHex(stream)], io2)).toBe(0)
    expect(JSON.parse(io2.stdout[0]!)).toMatchObject({
      type: 'encrypt',
      inner: { type: 'compress', inner: { type: 'pushPull', Nodes: 1, NodeStates: [{ Name: 'a', Addr: '127.0.0.1', tags: { role: '' } }] } },
    })
  })

  it('prints the error code and exits non-zero on bad input', async () => {
    const io = memoryIo()
    expect(await run(['0c205a86570583a446726f6da163ab496e6361726e6174696f6e01a44e6f6465a163'], io)).toBe(1)
    expect(io.stdout).toEqual([])
    expect(io.stderr.join('\n')).toMatch(/ERR_WIRE_BAD_CRC/)
    const wrongKey = memoryIo()
    const packet = toHex(buildPacket([encodeMessage({ type: 'nack', SeqNo: 5 })], { keyring: ring }))
    expect(await run(['--key', OTHER, packet], wrongKey)).toBe(1)
    expect(wrongKey.stderr.join('\n')).toMatch(/ERR_WIRE_DECRYPT/)
  })

  it('reads one hex string per line from stdin with -, one JSON object per line, errors in place', async () => {
    const io = memoryIo([APPENDIX_A.ping, 'zz', '', APPENDIX_A.alive, '07'])
    expect(await run(['-'], io)).toBe(1)
    const lines = io.stdout.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.length).toBe(4)
    expect(lines[0]).toMatchObject({ type: 'ping' })
    expect(lines[1]).toEqual({ error: { code: 'ERR_WIRE_BAD_HEX', message: expect.any(String) } })
    expect(lines[2]).toMatchObject({ type: 'alive', tags: { role: 'py' } })
    expect(lines[3]).toMatchObject({ error: { code: 'ERR_WIRE_TRUNCATED' } })
    const ok = memoryIo([APPENDIX_A.ping])
    expect(await run(['-'], ok)).toBe(0)
  })

  it('refuses bad usage and bad keys with codes', async () => {
    await expect(run([], memoryIo())).rejects.toMatchObject({ code: 'ERR_CLI_USAGE' })
    await expect(run(['--bogus', '00'], memoryIo())).rejects.toMatchObject({ code: 'ERR_CLI_USAGE' })
    await expect(run(['--key'], memoryIo())).rejects.toMatchObject({ code: 'ERR_CLI_USAGE' })
    await expect(run(['--key', 'short', '00'], memoryIo())).rejects.toMatchObject({ code: 'ERR_WIRE_BAD_KEY' })
    const io = memoryIo()
    expect(await main(['decode', '--key', 'short', '00'], io)).toBe(1)
    expect(io.stderr.join('\n')).toMatch(/ERR_WIRE_BAD_KEY/)
  })
})

describe('cli - decode - hints', () => {
  it('suggests --key when an undecodable packet looks encrypted', async () => {
    const packet = toHex(buildPacket([encodeMessage({ type: 'nack', SeqNo: 5 })], { keyring: ring }))
    const io = memoryIo()
    expect(await run([packet], io)).toBe(1)
    expect(io.stderr.join('\n')).toMatch(/--key/)
  })
})

describe('cli - decode - streams', () => {
  it('reports bytes after the stream message instead of dropping them silently', async () => {
    const ack = toHex(encodeMessage({ type: 'ack', SeqNo: 3, Payload: null }))
    const io = memoryIo()
    expect(await run(['--stream', ack + 'abcd'], io)).toBe(0)
    expect(JSON.parse(io.stdout[0]!)).toEqual({ type: 'ack', Payload: null, SeqNo: 3, trailingBytes: 2 })
    const exact = memoryIo()
    expect(await run(['--stream', ack], exact)).toBe(0)
    expect(JSON.parse(exact.stdout[0]!)).toEqual({ type: 'ack', Payload: null, SeqNo: 3 })
  })
})
