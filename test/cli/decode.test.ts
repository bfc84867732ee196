import { describe, expect, it } from 'vitest'
import { run, summary } from '../../src/cli/decode.ts'
import { main } from '../../src/cli/main.ts'
import { memoryIo } from '../../src/cli/io.ts'
import { buildPacket, buildStream, encodeMessage, encodePushPull, Keyring, parseIp, toHex } from '../../src/wire/index.ts'
import { APPENDIX_A } from '../wire/vectors.ts'
import { runWithClosedReader } from './closed-reader.ts'

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
    const io = memoryIo([APPENDIX_A.ping, 'zz', '', APPENDIX_A.alive, '07', '   '])
    expect(await run(['-'], io)).toBe(1)
    const lines = io.stdout.map((l) => JSON.parse(l) as Record<string, unknown>)
    // Line N of the output answers line N of the input, blank lines included.
    expect(lines.length).toBe(6)
    expect(lines[0]).toMatchObject({ type: 'ping' })
    expect(lines[1]).toEqual({ error: { code: 'ERR_WIRE_BAD_HEX', message: expect.stringMatching(/offset 0/) } })
    expect(lines[2]).toEqual({ error: { code: 'ERR_WIRE_EMPTY_INPUT', message: expect.any(String) } })
    expect(lines[3]).toMatchObject({ type: 'alive', tags: { role: 'py' } })
    expect(lines[4]).toMatchObject({ error: { code: 'ERR_WIRE_TRUNCATED' } })
    expect(lines[5]).toMatchObject({ error: { code: 'ERR_WIRE_EMPTY_INPUT' } })
    const ok = memoryIo([APPENDIX_A.ping, APPENDIX_A.alive])
    expect(await run(['-'], ok)).toBe(0)
    expect(ok.stdout.length).toBe(2)
  })

  it('with -, a line that decodes with a nested error makes the exit status 1', async () => {
    const io = memoryIo([APPENDIX_A.ping, '08ffffffff', APPENDIX_A.alive])
    expect(await run(['-'], io)).toBe(1)
    const lines = io.stdout.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.length).toBe(3)
    expect(lines[1]).toMatchObject({ type: 'user', serf: { error: { code: 'ERR_WIRE_UNKNOWN_TYPE' } } })
  })

  it('refuses bad usage with exit status 2 and the code on stderr', async () => {
    for (const argv of [[], ['--bogus', '00'], ['--key'], ['00', '11'], ['--key', 'short', '00']]) {
      const io = memoryIo()
      expect(await run(argv, io), argv.join(' ')).toBe(2)
      expect(io.stdout).toEqual([])
      expect(io.stderr.join('\n')).toMatch(argv[0] === '--key' && argv.length === 3 ? /ERR_WIRE_BAD_KEY/ : /ERR_CLI_USAGE/)
    }
    const io = memoryIo()
    expect(await main(['decode', '--key', 'short', '00'], io)).toBe(2)
    expect(io.stderr.join('\n')).toMatch(/ERR_WIRE_BAD_KEY/)
    const missing = memoryIo()
    expect(await main(['decode'], missing)).toBe(2)
    expect(missing.stderr.join('\n')).toMatch(/missing HEX/)
  })

  it('--help documents the verb, its options and its exit status', async () => {
    const io = memoryIo()
    expect(await run(['--help'], io)).toBe(0)
    const help = io.stdout.join('\n')
    expect(help).toMatch(/--key BASE64/)
    expect(help).toMatch(/--stream/)
    expect(help).toMatch(/exit status/)
    expect(help).toMatch(/1 +the input did not decode[\s\S]*nested/)
    expect(help).toMatch(/2 +usage error/)
  })
})

describe('cli - decode - nested errors', () => {
  // Each decodes as a whole, but holds a part that does not: the JSON shows where, the exit is 1.
  const cases = [
    { hex: '07010000', what: 'a compound whose only part is empty', path: 'parts[0]', code: 'ERR_WIRE_EMPTY' },
    { hex: '0702000100020000', what: 'a compound with a truncated part', path: 'parts[0]', code: 'ERR_WIRE_TRUNCATED' },
    { hex: '08ffffffff', what: 'a user message whose Serf body does not decode', path: 'serf', code: 'ERR_WIRE_UNKNOWN_TYPE' },
  ]
  for (const c of cases) {
    it(`prints the JSON and exits 1 for ${c.what} (${c.hex})`, async () => {
      const io = memoryIo()
      expect(await run([c.hex], io)).toBe(1)
      expect(io.stdout.length).toBe(1)
      const json = JSON.parse(io.stdout[0]!) as Record<string, unknown>
      expect(JSON.stringify(json)).toContain(`"code":"${c.code}"`)
      const stderr = io.stderr.join('\n')
      expect(stderr).toContain(`at ${c.path}: ${c.code}`)
    })
  }

  it('exits 0 when nothing nested failed (tags, Serf payload and compound parts all decode)', async () => {
    const io = memoryIo()
    expect(await run([APPENDIX_A.alive], io)).toBe(0)
    expect(io.stderr).toEqual([])
  })
})

describe('cli - decode - hex input', () => {
  it('names the offset of a non-hex character and tells an odd digit count apart', async () => {
    const bad = memoryIo()
    expect(await run(['0c20 5azq'], bad)).toBe(1)
    expect(bad.stderr.join('\n')).toMatch(/not a hex digit: "z" at offset 7 \(ERR_WIRE_BAD_HEX\)/)
    const odd = memoryIo()
    expect(await run(['0c2'], odd)).toBe(1)
    expect(odd.stderr.join('\n')).toMatch(/odd number of hex digits \(3\) \(ERR_WIRE_BAD_HEX\)/)
    const blank = memoryIo()
    expect(await run(['  '], blank)).toBe(1)
    expect(blank.stderr.join('\n')).toMatch(/ERR_WIRE_EMPTY_INPUT/)
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

describe('cli - decode - a reader that goes away', () => {
  it('decode - < in | head -1 ends quietly: no EPIPE crash, stdin no longer read', { timeout: 30_000 }, async () => {
    const r = await runWithClosedReader(['decode', '-'], `${APPENDIX_A.ping}\n`.repeat(50_000))
    expect(JSON.parse(r.first.split('\n')[0]!)).toMatchObject({ type: 'ping' })
    expect(r.stderr).toBe('')
    expect(r.signal).toBeNull()
    expect(r.code).toBe(0)
  })
})
