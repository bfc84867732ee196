/**
 * The built `gossamer` command in a child process: compiled once (tsc, no type check: type errors
 * are the typecheck's job) into a private folder under .tmp/ (git-ignored, inside the repo so the
 * output resolves node_modules and package.json's "type": "module"), then run with node.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APPENDIX_A } from '../wire/vectors.ts'
import { runProcess, type ProcessResult } from '../support/run-process.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
let outDir = ''
let workDir = ''

/** Runs node with `args`; killed after `timeoutMs` (code null then). */
function runNode(args: string[], stdin?: string, timeoutMs = 15_000): Promise<ProcessResult> {
  return runProcess(process.execPath, args, { cwd: ROOT, timeoutMs, stdin: stdin ?? '' })
}

const gossamer = (args: string[], stdin?: string): Promise<ProcessResult> => runNode([join(outDir, 'src/cli/main.js'), ...args], stdin)

beforeAll(async () => {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true })
  workDir = mkdtempSync(join(ROOT, '.tmp', 'bin-test-'))
  outDir = join(workDir, 'out')
  // Only what src/cli/main.ts reaches (its verbs' lazy imports included).
  writeFileSync(
    join(workDir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: false, noCheck: true, declaration: false, sourceMap: false, rootDir: ROOT, outDir },
      files: [join(ROOT, 'src/cli/main.ts')],
      include: [],
    }),
  )
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  // The compile took over 15 s on a loaded machine; these bounds only guard against a hang.
  const build = await runNode([tsc, '-p', join(workDir, 'tsconfig.json')], undefined, 120_000)
  if (build.code !== 0) throw new Error(`tsc failed (${build.code}):\n${build.stdout}${build.stderr}`)
}, 150_000)

afterAll(() => {
  if (workDir !== '') rmSync(workDir, { recursive: true, force: true })
})

describe('cli - built gossamer bin', () => {
  it('decode HEX prints the JSON on stdout and exits 0', async () => {
    const r = await gossamer(['decode', APPENDIX_A.deadWithCrc])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ type: 'hasCrc', crc: '205a8656', inner: { type: 'dead', From: 'c', Incarnation: 1, Node: 'c' } })
  })

  it('a bad hex exits 1 with its code on stderr and nothing on stdout', async () => {
    const r = await gossamer(['decode', '0c2g'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/offset 3 \(ERR_WIRE_BAD_HEX\)/)
  })

  it('a nested error exits 1 and still prints the JSON', async () => {
    const r = await gossamer(['decode', '07010000'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'compound', parts: [{ type: 'invalid', error: { code: 'ERR_WIRE_EMPTY' } }] })
    expect(r.stderr).toMatch(/parts\[0\]: ERR_WIRE_EMPTY/)
  })

  it('decode - answers each stdin line with one line, blank lines included', async () => {
    const r = await gossamer(['decode', '-'], `${APPENDIX_A.ping}\n\n${APPENDIX_A.alive}\n`)
    expect(r.code).toBe(1)
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map((l) => l['type'] ?? (l['error'] as { code: string }).code)).toEqual(['ping', 'ERR_WIRE_EMPTY_INPUT', 'alive'])
  })

  it('--help lists the verbs on stderr and exits 0, as serf --help', async () => {
    const r = await gossamer(['--help'])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/^Usage: gossamer \[--version\] \[--help\] <command> \[<args>\]\n\nAvailable commands are:\n/)
    for (const verb of ['agent', 'decode', 'demo', 'members', 'snapshot', 'version']) expect(r.stderr).toMatch(new RegExp(`^    ${verb} `, 'm'))
  })

  it('an unknown verb or none prints the usage on stderr and exits 127, as serf does', async () => {
    for (const argv of [['frobnicate'], [], ['-version']]) {
      const r = await gossamer(argv)
      expect(r.code, argv.join(' ')).toBe(127)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/^Usage: gossamer /)
    }
  })

  it('version, -v and --version print the package version and the protocol range, as serf version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    for (const argv of [['version'], ['-v'], ['--version'], ['version', 'extra']]) {
      const r = await gossamer(argv)
      expect(r.code, argv.join(' ')).toBe(0)
      expect(r.stdout).toBe(`Gossamer v${version}\nAgent Protocol: 5 (Understands back to: 2)\n`)
    }
  })

  it('usage errors of a verb exit 2', async () => {
    const option = await gossamer(['decode', '--bogus', '00'])
    expect(option.code).toBe(2)
    expect(option.stderr).toMatch(/unknown option --bogus \(ERR_CLI_USAGE\)\nusage: gossamer decode/)
  })
})
