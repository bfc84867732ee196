import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { memoryIo } from '../../src/cli/io.ts'
import { main } from '../../src/cli/main.ts'
import { escapeControl, run } from '../../src/cli/snapshot.ts'
import { nodeDisk } from '../../actors/snapshotter/io/node-disk.ts'
import { checksumLine, crc32 } from '../../actors/snapshotter/checksum.ts'
import { runWithClosedReader } from './closed-reader.ts'

const dir = mkdtempSync(join(tmpdir(), 'gossamer-cli-snapshot-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const enc = new TextEncoder()
const batch = (records: string) => records + checksumLine(crc32(enc.encode(records)), enc.encode(records).length)

function file(name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

describe('cli - snapshot inspect', () => {
  it('prints the replayed state as JSON', async () => {
    const path = file(
      'a.snap',
      batch('alive: b 127.0.0.1:2\nalive: a 127.0.0.1:1\nalive: gone 127.0.0.1:3\nclock: 4\n') +
        batch('not-alive: gone\nevent-clock: 7\nquery-clock: 2\n') +
        'what is this\n' +
        batch('alive: x 1.1.1.1:1\n').replace('1.1.1.1', '1.1.9.1') +
        'alive: torn 1.2',
    )
    const io = memoryIo()
    // Lines were skipped: the report is printed, and the exit status says so.
    expect(await run(['inspect', path, '--json'], io)).toBe(1)
    expect(io.stderr.join('')).toContain('3 lines skipped (ERR_SNAPSHOT_DAMAGED)')
    const report = JSON.parse(io.stdout.at(-1)!)
    expect(report).toMatchObject({
      alive: [{ name: 'a', addr: '127.0.0.1:1' }, { name: 'b', addr: '127.0.0.1:2' }],
      aliveCount: 2,
      notAliveCount: 1,
      clock: '4',
      eventClock: '7',
      queryClock: '2',
      left: false,
      lines: { corrupt: 1, corruptSpans: 1, unknown: 1, tornBytes: 'alive: torn 1.2'.length, verifiedSpans: 2 },
    })
    expect(report.lines.skipped).toBe(3)
  })

  it('prints a readable summary, and honours --rejoin for a leave', async () => {
    const path = file('left.snap', 'alive: a 127.0.0.1:1\nclock: 3\nleave\n')
    const io = memoryIo()
    expect(await main(['snapshot', 'inspect', path], io)).toBe(0)
    const text = io.stdout.join('\n')
    expect(text).toContain('alive members: 0')
    expect(text).toContain('left: yes')
    const io2 = memoryIo()
    expect(await run(['inspect', path, '--rejoin'], io2)).toBe(0)
    expect(io2.stdout.join('\n')).toMatch(/alive members: 1\n {2}a {2}127\.0\.0\.1:1/)
  })

  it('fails with a coded error for a missing file and with usage for bad arguments', async () => {
    const io = memoryIo()
    expect(await main(['snapshot', 'inspect', join(dir, 'nope')], io)).toBe(1)
    expect(io.stderr.join('')).toContain('ERR_SNAPSHOT_FILE_NOT_FOUND')
    const io2 = memoryIo()
    expect(await run(['inspect'], io2)).toBe(2)
    expect(io2.stderr.join('')).toContain('missing FILE')
    expect(await run(['frobnicate', 'x'], memoryIo())).toBe(2)
    expect(await run(['inspect', 'a', '--bogus'], memoryIo())).toBe(2)
  })

  it('exits 0 for a clean file and 1 when any line was skipped, whatever the kind', async () => {
    const clean = file('clean.snap', batch('alive: a 127.0.0.1:1\nclock: 2\n') + 'alive: serf 127.0.0.1:2\n')
    const io = memoryIo()
    expect(await run(['inspect', clean], io)).toBe(0)
    expect(io.stderr).toEqual([])
    const damaged: Array<[string, string]> = [
      ['corrupt', batch('alive: a 127.0.0.1:1\n').replace('127.0.0.1', '127.0.9.1')],
      ['unknown', 'what is this\n'],
      ['unreadable', 'alive: p 127.0.0.1:99999\n'],
      ['torn', 'alive: a 127.0.0.1:1\nalive: b 12'],
    ]
    for (const [name, content] of damaged) {
      const out = memoryIo()
      expect(await main(['snapshot', 'inspect', file(`${name}.snap`, content)], out), name).toBe(1)
      expect(out.stderr.join(''), name).toContain('(ERR_SNAPSHOT_DAMAGED)')
      expect(out.stdout.join(''), name).toContain('skipped lines: 1')
    }
  })

  it('replays a CRLF file (Serf would keep its members but lose clocks and leave)', async () => {
    const path = file('crlf.snap', (batch('alive: a 127.0.0.1:1\nclock: 9\n') + 'leave\nalive: b 127.0.0.1:2\n').replace(/\n/g, '\r\n'))
    const io = memoryIo()
    expect(await run(['inspect', path, '--json'], io)).toBe(0)
    expect(JSON.parse(io.stdout[0]!)).toMatchObject({ alive: [{ name: 'b', addr: '127.0.0.1:2' }], clock: '0', left: false, lines: { verifiedSpans: 1, skipped: 0 } })
  })

  it('ends quietly when its reader goes away (| head): no EPIPE crash', { timeout: 30_000 }, async () => {
    let text = ''
    for (let i = 0; i < 100_000; i++) text += `alive: n${i} 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:7946\n`
    const r = await runWithClosedReader(['snapshot', 'inspect', file('many.snap', text)])
    expect(r.first).toMatch(/^snapshot /)
    expect(r.stderr).toBe('')
    expect(r.signal).toBeNull()
    expect(r.code).toBe(0)
  })

  it('escapes control characters from the file in text mode', async () => {
    const path = file('ctl.snap', 'alive: ev\x1b[2Jil 127.0.0.1:1\n')
    const io = memoryIo()
    expect(await run(['inspect', path], io)).toBe(0)
    const text = io.stdout.join('\n')
    expect(text).not.toContain('\x1b')
    expect(text).toContain('ev\\x1b[2Jil')
    expect(escapeControl('a\tb\u0085c')).toBe('a\\tb\\x85c')
  })

  it('refuses a file over the size cap with a coded error instead of reading it', async () => {
    const path = file('big.snap', 'alive: a 127.0.0.1:1\n'.repeat(100))
    await expect(nodeDisk().read(path, 100)).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_FILE_TOO_LARGE' })
    expect((await nodeDisk().read(path, 10_000))?.length).toBe(2100)
    expect(await nodeDisk().read(join(dir, 'absent.snap'), 100)).toBeUndefined()
  })
})
