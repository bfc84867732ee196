/**
 * `gossamer charts`: what it writes and its exit codes (0 written, 1 the folder cannot be written,
 * 2 usage error or unknown actor), through the CLI's own dispatcher.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { main } from '../../src/cli/main.ts'
import { memoryIo } from '../../src/cli/io.ts'
import { knownActors } from '../../src/inspect/actor-catalog.ts'
import { parseChartsArgs } from '../../src/cli/charts.ts'

const dir = mkdtempSync(join(tmpdir(), 'gossamer-charts-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('gossamer charts', () => {
  it('writes one SVG per named actor into a new nested folder and says what it wrote (exit 0)', async () => {
    const io = memoryIo()
    const out = join(dir, 'a', 'b')
    expect(await main(['charts', '--actor', 'swim', '--actor=snapshotter', '--actor', 'swim', '--out', out], io)).toBe(0)
    expect(readdirSync(out).sort()).toEqual(['snapshotter.svg', 'swim.svg'])
    expect(readFileSync(join(out, 'swim.svg'), 'utf8')).toContain('<svg xmlns="http://www.w3.org/2000/svg"')
    expect(io.stdout[0]).toMatch(/^actor\s+states\s+transitions\s+drawn$/)
    expect(io.stdout.join("\n")).toMatch(/^swim\s+8\s+108\s+20$/m) // 108 since swim.stream
    expect(io.stdout.join('\n')).toMatch(/^snapshotter\s+7\s+53\s+9$/m)
    expect(io.stdout.filter((l) => l.startsWith('wrote '))).toHaveLength(2)
    expect(io.stderr).toEqual([])
  })

  it('--format html writes one page with every actor; --format json one file each', async () => {
    const html = join(dir, 'html')
    expect(await main(['charts', '--format', 'html', '--out', html], memoryIo())).toBe(0)
    expect(readdirSync(html)).toEqual(['charts.html'])
    const page = readFileSync(join(html, 'charts.html'), 'utf8')
    for (const a of knownActors()) expect(page).toContain(`id="actor-${a}"`)
    const json = join(dir, 'json')
    expect(await main(['charts', '--format=json', '--actor', 'snapshotter', '--out', json], memoryIo())).toBe(0)
    const doc = JSON.parse(readFileSync(join(json, 'snapshotter.json'), 'utf8'))
    expect(doc.graph.actor).toBe('snapshotter')
    expect(doc.layout.edges.length).toBeGreaterThan(0)
  })

  it('an unknown actor: ERR_CHARTS_UNKNOWN_ACTOR listing the known ones, exit 2, nothing written', async () => {
    const io = memoryIo()
    const out = join(dir, 'unknown')
    expect(await main(['charts', '--actor', 'swim', '--actor', 'swimm', '--out', out], io)).toBe(2)
    expect(io.stderr.join('\n')).toContain('ERR_CHARTS_UNKNOWN_ACTOR')
    expect(io.stderr.join('\n')).toContain(`known actors: ${knownActors().join(', ')}`)
    expect(existsSync(out)).toBe(false)
    expect(() => parseChartsArgs(['--actor', 'nope'])).toThrow(expect.objectContaining({ code: 'ERR_CHARTS_UNKNOWN_ACTOR', details: expect.objectContaining({ known: knownActors() }) }))
  })

  it.each([
    [['--format', 'png']],
    [['--format']],
    [['--actor']],
    [['--out=']],
    [['--colour', 'red']],
    [['stray']],
  ])('usage error for %j: ERR_CLI_USAGE, exit 2', async (args) => {
    const io = memoryIo()
    expect(await main(['charts', ...args], io)).toBe(2)
    expect(io.stderr.join('\n')).toContain('ERR_CLI_USAGE')
    expect(io.stderr.join('\n')).toContain('usage: gossamer charts')
  })

  it('--help prints the usage and exits 0', async () => {
    const io = memoryIo()
    expect(await main(['charts', '--help'], io)).toBe(0)
    expect(io.stdout.join('\n')).toContain('--format F')
  })

  it('a folder that cannot be made (under a file): ERR_CHARTS_OUTPUT naming the path, exit 1', async () => {
    const file = join(dir, 'plain-file')
    writeFileSync(file, 'x')
    const io = memoryIo()
    expect(await main(['charts', '--actor', 'snapshotter', '--out', join(file, 'sub')], io)).toBe(1)
    expect(io.stderr.join('\n')).toMatch(/cannot write .*plain-file.*: ENOTDIR \(ERR_CHARTS_OUTPUT\)/)
    expect(io.stdout).toEqual([])
  })

  it('an existing file where a chart goes cannot be overwritten as a folder: exit 1', async () => {
    const out = join(dir, 'clash')
    expect(await main(['charts', '--actor', 'snapshotter', '--out', out], memoryIo())).toBe(0)
    const io = memoryIo()
    expect(await main(['charts', '--actor', 'snapshotter', '--out', join(out, 'snapshotter.svg')], io)).toBe(1)
    expect(io.stderr.join('\n')).toContain('ERR_CHARTS_OUTPUT')
  })

  // mkdir under /proc answers ENOENT although /proc exists; Node's recursive mkdir retried that
  // forever (the verb hung). Each level is now tried once.
  it.runIf(existsSync('/proc/self'))('a folder under /proc fails at once with ENOENT (exit 1), not a hang', async () => {
    const io = memoryIo()
    expect(await main(['charts', '--actor', 'snapshotter', '--out', '/proc/gossamer-charts-test/x'], io)).toBe(1)
    expect(io.stderr.join('\n')).toContain('ENOENT (ERR_CHARTS_OUTPUT)')
  }, 10_000)
})
